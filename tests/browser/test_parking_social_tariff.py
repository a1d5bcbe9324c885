"""A local account asks for the parking card's social tariff in real Chromium, on a phone: the consent page names
the address and the optional income, the radio buttons work by their labels, the figures DGFiP gives are never
shown; each page checked by axe."""

import re
from datetime import date

import pytest
from playwright.sync_api import expect

from portal.models import Adult
from stationnement.models import IncomeFigures, ParkingGrid
from tests.browser.test_holder_identity import signed_in_as
from tests.documents import PDF
from tests.factories import HouseholdFactory
from tests.franceconnect.live import use_sandbox
from tests.stationnement.conftest import zones  # noqa: F401 - fixture
from tests.stationnement.test_social_tariff import SOCIAL_GRID

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_local_account_asks_for_the_social_tariff_with_its_numero_fiscal(
    page,
    live_server,
    settings,
    assert_accessible,
    zones,  # noqa: F811
    tmp_path,
):
    use_sandbox(settings, live_server.url)
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    ParkingGrid.objects.create(version=1, label="délibération sociale", data=SOCIAL_GRID, is_active=True)
    household = HouseholdFactory()
    Adult.objects.filter(household=household).update(
        first_names="Angela", last_name="Dubois", birth_date=date(1962, 8, 24)
    )
    signed_in_as(page, live_server, household.owner)

    page.goto(live_server.url + "/demarches/stationnement/")
    page.get_by_role("button", name="Commencer").click()
    page.get_by_label("Immatriculation du véhicule").fill("AB-123-CD")
    page.get_by_role("button", name="Continuer").click()

    expect(page.get_by_role("heading", name="Le tarif social (facultatif)")).to_be_visible()
    social = page.get_by_role("group", name="Demander le tarif social ?")
    expect(social.get_by_label("Non, je ne demande pas le tarif social (plein tarif)")).to_be_checked()
    assert_accessible(page)

    page.get_by_label("Numéro fiscal").fill("3999990000017")
    social.get_by_label("Oui, avec mon revenu fiscal de référence et mon nombre de parts (DGFiP)").check()
    page.get_by_role("button", name="J'autorise").click()

    expect(page).to_have_url(re.compile(r"/pieces/$"))
    assert IncomeFigures.objects.get().rfr == 21450
    page.get_by_label("Pièce").select_option(label="carte grise (certificat d'immatriculation)")
    page.get_by_label("Fichier").set_input_files(
        files=[{"name": "carte-grise.pdf", "mimeType": "application/pdf", "buffer": PDF}]
    )
    page.get_by_role("button", name="Envoyer la pièce").click()
    assert_accessible(page)

    page.get_by_role("link", name="Continuer vers la vérification").click()
    explanation = page.locator("ol.explanation")
    expect(explanation).to_contain_text(
        "d'après les revenus transmis, votre quotient familial fiscal est au plus"
    )
    expect(page.locator("main")).not_to_contain_text("21 450")
    expect(page.locator("main")).not_to_contain_text("893,75")
    assert_accessible(page)
