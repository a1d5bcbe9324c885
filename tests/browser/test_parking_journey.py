"""Resident parking in real Chromium, on a computer and a phone, every page checked by axe (the admin included):
a FranceConnect resident gets a card at once (DGFiP's address, the ANTS's carte grise), a local resident sends a
carte grise and an agent decides in the admin, a resident outside every zone is offered the alternatives, and the
card's public check (the QR code's target) says only valide, expirée or inconnue."""

import re
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from cantine.management.commands.seed_demo import DEMO_AGENT, DEMO_FAMILY
from stationnement.models import Application, Card
from tests.browser.conftest import SCREENSHOTS, admin_sign_in, viewport_name
from tests.documents import pdf
from tests.franceconnect.live import use_sandbox

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def parking_demo(live_server, settings, tmp_path):
    """`make run`'s parking demo on the live server: the simulators, the demo zones and grid, cards issued at once."""
    use_sandbox(settings, live_server.url)
    settings.API_PARTICULIER_SANDBOX = True
    settings.API_PARTICULIER_URL = f"{live_server.url}/sandbox/api-particulier"
    settings.API_PARTICULIER_TOKEN = "jeton-de-test"
    settings.API_PARTICULIER_RECIPIENT = "21000000000013"
    settings.PARKING_AUTO_ISSUE = True
    settings.IMPOT_RETRY_BACKOFF = 0
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    call_command("seed_parking_demo", stdout=StringIO())


def franceconnect_sign_in(page, base_url, identity):
    page.goto(base_url + reverse("portal:login"))
    page.get_by_role("button", name="S’identifier avec FranceConnect").click()
    pick_identity(page, identity)
    expect(page).to_have_url(base_url + reverse("portal:dashboard"))


def pick_identity(page, identity):
    """The FranceConnect simulator's page: the public test identity whose name matches."""
    expect(page).to_have_url(re.compile(r"/sandbox/franceconnect/api/v2/authorize\?"))
    page.get_by_role("radio", name=re.compile(identity)).check()
    page.get_by_role("button", name="Continuer avec cette identité").click()


def begin_application(page, assert_accessible, plate, screenshot=None):
    """From the dashboard to the domicile step: what the démarche asks, then the vehicle and the duration."""
    page.get_by_role("link", name="Demander une carte de stationnement résident").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Carte de stationnement résident")
    assert_accessible(page)
    page.get_by_role("button", name="Commencer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Votre véhicule")
    assert_accessible(page)
    page.get_by_label("Immatriculation du véhicule").fill(plate)
    page.get_by_label("Durée de la carte").select_option(label="Un an")
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Votre domicile")
    consent = page.get_by_role("region", name="Ce que la commune demande, et pourquoi")
    expect(consent).to_contain_text("votre adresse déclarée aux impôts au 1er janvier")
    expect(consent).to_contain_text("Vous n'êtes pas obligé(e) d'accepter")
    assert_accessible(page)
    if screenshot:
        screenshot(page, "stationnement-consentement")


def check_the_public_page(page, base_url, token, state, assert_accessible, screenshot=None):
    page.goto(base_url + reverse("stationnement:verify", args=[token]))
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérification d'une carte résident")
    expect(page.get_by_role("main")).to_contain_text(state)
    assert_accessible(page)
    if screenshot:
        screenshot(page, f"stationnement-verification-{state.lower()}")


def test_a_franceconnect_resident_gets_a_card_at_once(
    page, live_server, parking_demo, assert_accessible, screenshot
):
    franceconnect_sign_in(page, live_server.url, "Angela Claire Louise DUBOIS")
    assert_accessible(page)
    begin_application(page, assert_accessible, "ab 123 cd", screenshot)

    # One trip through FranceConnect: the address at DGFiP, the carte grise at the ANTS.
    page.get_by_role("button", name="J'autorise (via FranceConnect)").click()
    expect(page.get_by_text("dgfip_aft", exact=False)).to_be_visible()  # the scopes the simulator shows
    expect(page.get_by_text("dgfip_rfr", exact=False)).to_have_count(0)
    assert_accessible(page)
    pick_identity(page, "Angela Claire Louise DUBOIS")

    # The review: the vehicle as the ANTS knows it, the zone of DGFiP's address, the amount line by line.
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifier et envoyer")
    summary = page.locator(".summary")
    expect(summary).to_contain_text("AB-123-CD (Euro 6d)")
    expect(summary).to_contain_text("zone A")
    expect(page.get_by_role("heading", name="Votre tarif")).to_be_visible()
    expect(page.locator(".explanation")).to_contain_text("135")
    assert_accessible(page)
    screenshot(page, "stationnement-verification-avant-envoi")
    page.get_by_role("button", name="Envoyer la demande").click()

    # The card, issued at once, and its PDF.
    card = Card.objects.get()
    expect(page.get_by_role("heading", level=1)).to_have_text("Carte de stationnement résident")
    expect(page.get_by_role("status")).to_contain_text("Votre carte résident est délivrée")
    expect(page.locator(".summary")).to_contain_text(card.number)
    expect(page.locator(".summary")).to_contain_text("AB-123-CD")
    assert_accessible(page)
    screenshot(page, "stationnement-carte-delivree")
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger la carte (PDF)").click()
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    download.value.save_as(
        SCREENSHOTS / viewport_name(page) / "carte-stationnement.pdf"
    )  # for the README's capture

    # Its public check: « Valide », the zone and the end date; no name, no plate, no card number.
    check_the_public_page(page, live_server.url, card.token, "Valide", assert_accessible, screenshot)
    main = page.get_by_role("main")
    expect(main).to_contain_text(f"{card.last_day:%d/%m/%Y}")
    for personal in ("DUBOIS", "Angela", "AB-123-CD", card.number):
        expect(main).not_to_contain_text(personal)
    # An ended card reads « Expirée », a made-up code « Inconnue ».
    Card.objects.filter(pk=card.pk).update(
        starts_on=timezone.localdate() - timedelta(days=60), ends_on=timezone.localdate() - timedelta(days=1)
    )
    check_the_public_page(page, live_server.url, card.token, "Expirée", assert_accessible)
    check_the_public_page(page, live_server.url, "x" * 24, "Inconnue", assert_accessible)


def test_a_local_resident_sends_a_carte_grise_and_an_agent_issues_the_card(
    page, agent_page, live_server, parking_demo, assert_accessible, screenshot
):
    call_command("seed_demo", force=True, stdout=StringIO())
    page.goto(live_server.url + reverse("portal:login"))
    page.get_by_label("Adresse électronique").fill(DEMO_FAMILY[0])
    page.get_by_label("Mot de passe").fill(DEMO_FAMILY[1])
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    begin_application(page, assert_accessible, "AA-111-BB")

    # The numéro fiscal: DGFiP's address is in zone A; the ANTS is not asked for a local account: the carte grise is.
    page.get_by_label("Numéro fiscal").fill("3999 9900 0002 5")
    page.get_by_role("button", name="J'autorise").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Pièces justificatives")
    expect(page.get_by_role("heading", name="Ce qu'il reste à faire")).to_be_visible()
    assert_accessible(page)
    # Sending nothing: a French error, the form again.
    page.get_by_role("button", name="Envoyer la pièce").click()
    expect(page.get_by_role("alert")).to_contain_text("Votre saisie est à corriger")
    assert_accessible(page)
    page.get_by_label("Pièce").select_option(label="carte grise (certificat d'immatriculation)")
    page.get_by_label("Fichier").set_input_files(
        files=[{"name": "carte-grise.pdf", "mimeType": "application/pdf", "buffer": pdf()}]
    )
    page.get_by_role("button", name="Envoyer la pièce").click()
    expect(page.get_by_role("status")).to_contain_text("Pièce envoyée : un agent la vérifiera.")
    expect(page.get_by_text("Tout ce qu'il faut est là.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Continuer vers la vérification").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifier et envoyer")
    assert_accessible(page)
    page.get_by_role("button", name="Envoyer la demande").click()
    expect(page.get_by_text("Un agent vérifie votre demande.")).to_be_visible()
    assert_accessible(page)
    application = Application.objects.get()
    assert application.status == Application.Status.SUBMITTED and not Card.objects.exists()

    # The agent, signed in with the code, finds the application, opens « Décider » and issues the card.
    admin = agent_page
    admin_sign_in(admin, live_server.url, DEMO_AGENT[0], DEMO_AGENT[1])
    admin.goto(live_server.url + reverse("admin:stationnement_application_changelist"))
    expect(admin.get_by_role("heading", level=1)).to_have_text("Demandes de carte résident")
    row = admin.locator("#result_list tbody tr").filter(has_text="AA-111-BB")
    expect(row).to_have_count(1)
    assert_accessible(admin)
    screenshot(admin, "agents-stationnement-demandes")
    row.get_by_role("link").first.click()
    assert_accessible(admin)
    admin.get_by_role("link", name="Décider").click()
    expect(admin.get_by_role("heading", level=1)).to_contain_text("Décider")
    expect(admin.get_by_role("link", name="carte grise (certificat d'immatriculation)")).to_be_visible()
    assert_accessible(admin)
    screenshot(admin, "agents-stationnement-decider")
    expect(admin.get_by_label("Zone").locator("option:checked")).to_have_text(
        re.compile("^A")
    )  # the address's
    admin.get_by_role("button", name="Délivrer la carte").click()
    card = Card.objects.get()
    expect(admin.locator(".messagelist")).to_contain_text(f"Carte {card.number} délivrée.")
    assert_accessible(admin)

    # The resident reads the card.
    page.reload()
    expect(page.locator(".summary")).to_contain_text(card.number)
    expect(page.get_by_role("link", name="Télécharger la carte (PDF)")).to_be_visible()
    assert_accessible(page)


def test_a_resident_outside_every_zone_is_offered_the_alternatives(
    page, live_server, parking_demo, assert_accessible, screenshot
):
    franceconnect_sign_in(page, live_server.url, "Pierre MERCIER")
    begin_application(page, assert_accessible, "JK-012-LM")
    page.get_by_role("button", name="J'autorise (via FranceConnect)").click()
    pick_identity(page, "Pierre MERCIER")

    # Not in a zone: said plainly, the draft kept, a proof of address offered instead.
    expect(page.get_by_role("heading", level=1)).to_have_text("Pièces justificatives")
    expect(page.get_by_role("main")).to_contain_text("hors des zones résidentielles")
    expect(page.get_by_role("main")).to_contain_text("justificatif de domicile")
    assert_accessible(page)
    screenshot(page, "stationnement-hors-zone")
    application = Application.objects.get()
    assert application.status == Application.Status.DRAFT and application.zone is None
