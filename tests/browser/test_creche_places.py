"""A crèche place, end to end in Chromium (on a computer and a phone, axe on every page): the demo family applies,
its application waits in the queue, a crèche agent signed in with a TOTP code offers a place from the committee
session's waiting list, the family accepts it, reads the contract, downloads it as a PDF and confirms it."""

import re
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from cantine import roles
from cantine.management.commands.seed_demo import DEMO_AGENT, DEMO_AGENTS, DEMO_FAMILY
from cantine.models import (
    AgeGroup,
    CommitteeSession,
    CrecheCapacity,
    Dossier,
    Establishment,
    Period,
    PlaceOffer,
)
from tests.browser.conftest import admin_sign_in
from tests.browser.test_family_journey import open_school_year_label

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
AGENT = next(email for email, group in DEMO_AGENTS.items() if group == roles.CRECHE_AGENTS)


def one_place_left(creche, period):
    """One place left in the babies' section, whatever the demo holds."""
    CrecheCapacity.objects.update_or_create(
        establishment=creche, age_group=AgeGroup.BABIES, from_date=period.starts_on, defaults={"places": 1}
    )


def apply_for_hugo(page, assert_accessible, period, start):
    """The family's application, in the browser: Hugo (ten months old) at the crèche Les Petits Pas on Mondays,
    Tuesdays and Thursdays, 8:30 to 17:00, income not given."""
    page.get_by_role("main").get_by_role("link", name="Inscrire un enfant").click()
    expect(page.get_by_text("Étape 1 sur 5")).to_be_visible()
    page.get_by_role("group", name="Enfant").get_by_role("radio", name="Hugo Martin").check()
    page.get_by_role("group", name="Service").get_by_role("radio", name="Crèche municipale").check()
    assert_accessible(page)
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_text("Étape 2 sur 5")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("group", name="Période").get_by_role(
        "radio", name=re.compile("^" + re.escape(period.label))
    ).check()
    page.get_by_role("button", name="Commencer la demande").click()
    expect(page.get_by_text("Étape 3 sur 5")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Date d'entrée souhaitée").fill(start.isoformat())
    for day in ("Lundi", "Mardi", "Jeudi"):
        page.get_by_label(f"{day} : arrivée").fill("08:30")
        page.get_by_label(f"{day} : départ").fill("17:00")
    page.get_by_label("Crèche, choix n° 1").select_option(label="Crèche Les Petits Pas")
    page.get_by_role("button", name="Continuer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vos revenus pour le calcul du tarif")
    assert_accessible(page)
    page.get_by_role("button", name="Ne pas interroger la CAF ni la MSA").click()
    assert_accessible(page)
    page.get_by_role("button", name="Je ne communique pas mes revenus").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifier et envoyer la demande")
    expect(page.get_by_text("Lundi", exact=False).first).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Envoyer ma demande").click()
    expect(page.get_by_role("status")).to_contain_text("est envoyée")
    assert_accessible(page)


def test_application_committee_offer_acceptance_contract(
    agent_page, page, live_server, assert_accessible, screenshot, migrations_data
):
    call_command("seed_demo", force=True, stdout=StringIO())
    today = timezone.localdate()
    period = Period.objects.get(service__slug="creche", label=open_school_year_label(today))
    one_place_left(Establishment.objects.get(name="Crèche Les Petits Pas"), period)

    # The family applies, then sees its place in the queue and when the committee decides.
    page.goto(live_server.url + "/compte/connexion/")
    page.get_by_label("Adresse électronique").fill(DEMO_FAMILY[0])
    page.get_by_label("Mot de passe").fill(DEMO_FAMILY[1])
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon espace famille")
    apply_for_hugo(page, assert_accessible, period, max(today + timedelta(days=30), period.starts_on))
    dossier = Dossier.objects.get(child__first_names="Hugo")
    assert dossier.status == Dossier.Status.SUBMITTED
    session = CommitteeSession.objects.create(
        period=period, held_on=today, decision_date=today + timedelta(days=7)
    )
    page.reload()
    place = page.get_by_role("region", name="Votre place en crèche")
    expect(place).to_contain_text("position 1 sur 1")
    expect(place).to_contain_text(f"Décision attendue le {session.decision_date:%d/%m/%Y}")
    assert_accessible(page)

    # The crèche agent signs in with the code, opens the session and offers the place.
    admin = agent_page
    admin_sign_in(admin, live_server.url, AGENT, DEMO_AGENT[1])
    admin.goto(live_server.url + reverse("admin:cantine_committeesession_change", args=[session.pk]))
    row = admin.locator(".field-candidates tr").filter(has_text=dossier.reference)
    expect(row).to_contain_text("Hugo Martin")
    assert_accessible(admin)
    screenshot(admin, "agents-commission")
    row.get_by_role("link", name="Proposer une place").click()
    assert_accessible(admin)
    admin.get_by_label("Commission").select_option(str(session.pk))
    admin.get_by_label("Crèche").select_option(label="Choix n° 1 : Crèche Les Petits Pas")  # the family's order
    admin.get_by_label("Réponse attendue au plus tard le").fill(f"{today + timedelta(days=10):%d/%m/%Y}")
    admin.get_by_role("button", name="Proposer la place").click()
    expect(admin.locator(".messagelist")).to_contain_text(f"Demande {dossier.reference} : place proposée")
    assert_accessible(admin)

    # The family accepts, reads its contract, downloads it and confirms it.
    page.reload()
    expect(place).to_contain_text("La commission vous propose une place à la crèche Les Petits Pas")
    assert_accessible(page)
    screenshot(page, "creche-offre-de-place")
    page.get_by_role("button", name="J'accepte la place").click()
    expect(page.get_by_role("heading", name="Votre contrat d'accueil", exact=True)).to_be_visible()
    contract = PlaceOffer.objects.get(dossier=dossier).contract
    expect(place).to_contain_text(f"{contract.monthly_fee}".replace(".", ","))
    assert_accessible(page)
    screenshot(page, "creche-contrat")
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le contrat (PDF)").click()
    assert download.value.suggested_filename == f"contrat-{dossier.reference}.pdf"
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    page.get_by_role("button", name="Je confirme ce contrat").click()
    expect(place).to_contain_text(f"Contrat confirmé le {today:%d/%m/%Y}")
    assert_accessible(page)
    contract.refresh_from_db()
    assert contract.confirmed_at is not None
