"""The canteen enrolment's income step in real Chromium, on a computer and a phone, every page checked by axe: a
FranceConnect family's tax data come from DGFiP through FranceConnect and set the tariff before « Envoyer »; when
DGFiP is down, a local family sends its tax notice and an agent (TOTP) types its figures, which re-quote the dossier."""

import re
from datetime import date
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from cantine import roles
from cantine.management.commands.seed_demo import DEMO_AGENT, DEMO_AGENTS, DEMO_FAMILY
from cantine.models import Dossier
from impot_client.models import TaxNotice
from tests.browser.conftest import admin_sign_in
from tests.browser.test_family_journey import open_school_year_label
from tests.documents import pdf
from tests.franceconnect.live import use_sandbox
from tests.migrations_data import restore_groups

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
ANGELA = "Angela Claire Louise DUBOIS"  # the simulator's identity `test`: DGFiP household 3999990000017


@pytest.fixture
def demo(live_server, settings, tmp_path):
    """`make run`'s commune on the live server: the simulators, the demo services, grids, family and agents."""
    use_sandbox(settings, live_server.url)
    settings.IMPOT_RETRY_BACKOFF = 0
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    restore_groups()
    call_command("seed_demo", force=True, stdout=StringIO())


def eight_years_ago(today: date) -> str:
    return today.replace(year=today.year - 8, day=min(today.day, 28)).isoformat()


def enrol_at_the_canteen(page, assert_accessible, child: str):
    """Steps 1 to 3 for `child`: the canteen, the open school year, the school preselected, Monday and Thursday."""
    page.get_by_role("main").get_by_role("link", name="Inscrire un enfant").click()
    expect(page.get_by_text("Étape 1 sur 5")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("group", name="Enfant").get_by_role("radio", name=child).check()
    page.get_by_role("group", name="Service").get_by_role("radio", name="Restauration scolaire").check()
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_text("Étape 2 sur 5")).to_be_visible()
    assert_accessible(page)
    period = open_school_year_label(timezone.localdate())
    page.get_by_role("group", name="Période").get_by_role(
        "radio", name=re.compile("^" + re.escape(period))
    ).check()
    page.get_by_role("button", name="Commencer la demande").click()
    expect(page.get_by_text("Étape 3 sur 5")).to_be_visible()
    assert_accessible(page)
    days = page.get_by_role("group", name="Jours de repas")
    for day in ("Lundi", "Jeudi"):
        days.get_by_role("checkbox", name=day).check()
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vos revenus pour le calcul du tarif")
    assert_accessible(page)
    # The demo grid asks the CAF first; these families go on to DGFiP.
    page.get_by_role("button", name="Ne pas interroger la CAF ni la MSA").click()
    expect(page.get_by_text("Direction générale des Finances publiques", exact=False)).to_be_visible()
    assert_accessible(page)


def test_a_franceconnect_family_enrols_with_its_tax_data(
    page, live_server, demo, assert_accessible, screenshot
):
    # Signed in with FranceConnect: the certified identity, no child yet.
    page.goto(live_server.url + reverse("portal:login"))
    page.get_by_role("button", name="S’identifier avec FranceConnect").click()
    expect(page).to_have_url(re.compile(r"/sandbox/franceconnect/api/v2/authorize\?"))
    assert_accessible(page)
    screenshot(page, "simulateur-franceconnect")
    page.get_by_role("radio", name=re.compile(ANGELA)).check()
    page.get_by_role("button", name="Continuer avec cette identité").click()
    expect(page).to_have_url(live_server.url + reverse("portal:dashboard"))
    expect(page.get_by_role("region", name="Mon identité")).to_contain_text("Certifiée par FranceConnect")
    assert_accessible(page)

    # Her son, in CE2 at the École Jules-Ferry.
    page.get_by_role("link", name="Ajouter un enfant").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("enfant")
    assert_accessible(page)
    page.get_by_label("Prénoms").fill("Noé")
    page.get_by_label(re.compile("^Nom")).fill("Dubois")
    page.get_by_label("Date de naissance").fill(eight_years_ago(timezone.localdate()))
    page.get_by_label("École").select_option(label="École Jules-Ferry")
    page.get_by_label("Classe").select_option(label="CE2")
    page.get_by_role("button", name=re.compile("^(Ajouter|Enregistrer)")).click()
    expect(page.get_by_role("region", name="Mes enfants")).to_contain_text("Noé Dubois")
    assert_accessible(page)

    enrol_at_the_canteen(page, assert_accessible, "Noé Dubois")
    # A FranceConnect family is not asked for a numéro fiscal: DGFiP answers through FranceConnect.
    expect(page.get_by_label("Numéro fiscal")).to_have_count(0)
    page.get_by_role("button", name="J'autorise (via FranceConnect)").click()
    expect(
        page.get_by_text("dgfip_rfr", exact=False)
    ).to_be_visible()  # the scopes FranceConnect is asked for
    assert_accessible(page)
    page.get_by_role("radio", name=re.compile(ANGELA)).check()
    page.get_by_role("button", name="Continuer avec cette identité").click()

    # The review: her tax data, shown (they came through her own FranceConnect), then « Envoyer ».
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifier et envoyer la demande")
    expect(page.get_by_role("main")).to_contain_text("21 450 €")  # RFR of 3999990000017, 2 parts
    assert_accessible(page)
    page.get_by_role("button", name="Envoyer ma demande").click()

    # Sent: the tariff and how it is computed, QF 21 450 € ÷ 12 ÷ 2 parts = 893,75 €.
    dossier = Dossier.objects.get(child__first_names="Noé")
    expect(page.get_by_role("status")).to_contain_text(f"Votre demande {dossier.reference} est envoyée.")
    expect(page.get_by_role("heading", name="Votre tarif")).to_be_visible()
    expect(page.get_by_role("main")).to_contain_text("893,75")
    assert_accessible(page)
    screenshot(page, "tarif-explique")
    assert dossier.status == Dossier.Status.SUBMITTED
    assert dossier.tax_data.rfr == 21450


def test_dgfip_down_the_family_sends_its_notice_and_an_agent_enters_the_figures(
    page, agent_page, live_server, demo, assert_accessible, screenshot
):
    page.goto(live_server.url + reverse("portal:login"))
    page.get_by_label("Adresse électronique").fill(DEMO_FAMILY[0])
    page.get_by_label("Mot de passe").fill(DEMO_FAMILY[1])
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    enrol_at_the_canteen(page, assert_accessible, "Léa Martin")

    # The simulator's household 3999990000108 answers 500 every time: said plainly, the draft kept, the ways out.
    page.get_by_label("Numéro fiscal").fill("3999990000108")
    page.get_by_role("button", name="J'autorise").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Vos revenus n'ont pas pu être obtenus")
    expect(alert).to_contain_text("envoyer votre avis d'imposition")
    assert_accessible(page)
    screenshot(page, "dgfip-indisponible")

    page.get_by_role("link", name="Envoyer mon avis d'imposition").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Envoyer votre avis d'imposition")
    assert_accessible(page)
    page.get_by_label("Votre dernier avis d'imposition").set_input_files(
        files=[{"name": "avis.pdf", "mimeType": "application/pdf", "buffer": pdf()}]
    )
    page.get_by_role("button", name="Envoyer l'avis").click()
    expect(page.get_by_role("status")).to_contain_text("un agent le lira et saisira les montants utiles")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifier et envoyer la demande")
    assert_accessible(page)
    page.get_by_role("button", name="Envoyer ma demande").click()
    dossier = Dossier.objects.get(child__first_names="Léa")
    expect(page.get_by_role("status")).to_contain_text(f"Votre demande {dossier.reference} est envoyée.")
    assert_accessible(page)
    notice = TaxNotice.objects.get(dossier=dossier)

    # The service's manager (who may read tax figures), signed in with the code, types the notice's figures.
    agent = next(email for email, group in DEMO_AGENTS.items() if group == roles.MANAGERS)
    admin = agent_page
    admin_sign_in(admin, live_server.url, agent, DEMO_AGENT[1])
    admin.goto(live_server.url + reverse("admin:impot_client_taxnotice_change", args=[notice.pk]))
    assert_accessible(admin)
    admin.get_by_role("link", name="Saisir les montants de cet avis").click()
    assert_accessible(admin)
    screenshot(admin, "agents-saisie-avis")
    admin.get_by_label("Revenu fiscal de référence (€)").fill("28000")
    admin.get_by_label("Nombre de parts").fill("2.5")
    admin.get_by_label("Personnes à charge").fill("1")
    admin.get_by_role("button", name="Enregistrer les montants").click()
    expect(admin.locator(".messagelist")).to_contain_text(
        f"Montants enregistrés pour la demande {dossier.reference}"
    )
    assert_accessible(admin)

    # The family reads the figures the agent checked on its dossier.
    dossier.refresh_from_db()
    assert dossier.tax_data.rfr == 28000 and dossier.tax_data.source == "notice"
    page.reload()
    main = page.get_by_role("main")
    expect(main).to_contain_text("Avis d'imposition vérifié par un agent")
    expect(main).to_contain_text("28 000 €")
    expect(page.get_by_role("heading", name="Votre tarif", exact=True)).to_be_visible()
    # Entering the figures re-quoted the dossier at once (QF 28 000 € ÷ 12 ÷ 2,5), and the family was told.
    expect(main).to_contain_text("933,33")
    expect(page.get_by_role("heading", name=f"demande {dossier.reference} : votre tarif change")).to_be_visible()
    assert_accessible(page)
