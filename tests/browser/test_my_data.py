"""« Mes données » in real Chromium, on a computer and a phone, every page checked by axe: the demo family reads what
the commune keeps on its household, downloads it as JSON, then erases its account after a confirmation page."""

import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from playwright.sync_api import expect

from cantine.management.commands.seed_demo import DEMO_FAMILY
from portal.models import User

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_family_reads_downloads_and_erases_its_data(page, live_server, assert_accessible, screenshot):
    call_command("seed_demo", force=True, stdout=StringIO())
    page.goto(live_server.url + reverse("portal:login"))
    page.get_by_label("Adresse électronique").fill(DEMO_FAMILY[0])
    page.get_by_label("Mot de passe").fill(DEMO_FAMILY[1])
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()

    page.get_by_role("region", name="Mes données").get_by_role("link", name="Voir mes données").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mes données")
    main = page.get_by_role("main")
    expect(main).to_contain_text("Léa")
    expect(main).to_contain_text("Hugo")
    expect(main.get_by_role("link", name="Données personnelles")).to_be_visible()  # the retention periods
    assert_accessible(page)
    screenshot(page, "mes-donnees")

    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger mes données (JSON)").click()
    assert download.value.suggested_filename == "mes-donnees.json"
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    json.loads(exported)
    assert "Léa" in exported and DEMO_FAMILY[0] in exported

    # Erasing: first a page that says what goes and what the commune keeps; nothing erased yet.
    page.get_by_role("link", name="Effacer mon compte et les données de mon foyer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Effacer mon compte")
    expect(page.get_by_role("heading", name="Ce qui est effacé")).to_be_visible()
    assert_accessible(page)
    assert User.objects.filter(email=DEMO_FAMILY[0]).exists()
    page.get_by_role("button", name="Effacer définitivement mon compte").click()
    expect(page).to_have_url(live_server.url + reverse("portal:home"))
    expect(page.get_by_role("status")).to_contain_text("Votre compte est effacé.")
    assert_accessible(page)
    assert not User.objects.filter(email=DEMO_FAMILY[0]).exists()
