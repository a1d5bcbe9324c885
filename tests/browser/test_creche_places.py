"""A crèche place, end to end in Chromium: the demo family's application waits in the queue, a crèche agent signed
in with a TOTP code offers a place from the committee session's waiting list, the family accepts it on its phone,
reads the contract, downloads it as a PDF and confirms it."""

from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from cantine import roles, services
from cantine.income.services import consent_record
from cantine.management.commands.seed_demo import DEMO_AGENT, DEMO_AGENTS, DEMO_FAMILY
from cantine.models import AgeGroup, CommitteeSession, CrecheCapacity, Establishment, Period, PlaceOffer
from portal.management.commands.demo_totp import current_code
from portal.models import Consent, User
from tests.browser.test_agent_journey import DESKTOP
from tests.browser.test_family_journey import open_school_year_label

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
AGENT = next(email for email, group in DEMO_AGENTS.items() if group == roles.CRECHE_AGENTS)


def application_of_the_demo_family():
    """Hugo (ten months old) at the crèche Les Petits Pas three days a week, income declined, sent."""
    family = User.objects.get(email=DEMO_FAMILY[0])
    child = family.household.children.get(first_names="Hugo")
    period = Period.objects.get(service__slug="creche", label=open_school_year_label(timezone.localdate()))
    creche = Establishment.objects.get(name="Crèche Les Petits Pas")
    start = max(timezone.localdate() + timedelta(days=30), period.starts_on)
    dossier = services.dossier_create(child=child, service=period.service, period=period)
    schedule = {day: ("08:30", "17:00") for day in ("mon", "tue", "thu")}
    services.dossier_set_creche_details(
        dossier=dossier, user=family, start_date=start, schedule=schedule, choices=[creche]
    )
    consent_record(user=family, dossier=dossier, decision=Consent.Decision.REFUSED, shown_text_hash="0" * 64)
    CrecheCapacity.objects.update_or_create(  # one place left in the section, whatever the demo holds
        establishment=creche, age_group=AgeGroup.BABIES, from_date=period.starts_on, defaults={"places": 1}
    )
    return services.dossier_submit(dossier=dossier, user=family)


def test_application_committee_offer_acceptance_contract(
    browser, page, live_server, assert_accessible, migrations_data
):
    call_command("seed_demo", force=True, stdout=StringIO())
    dossier = application_of_the_demo_family()
    today = timezone.localdate()
    session = CommitteeSession.objects.create(
        period=dossier.period, held_on=today, decision_date=today + timedelta(days=7)
    )

    # The family, on its phone, sees its place in the queue and when the committee decides.
    page.goto(live_server.url + "/compte/connexion/")
    page.get_by_label("Adresse électronique").fill(DEMO_FAMILY[0])
    page.get_by_label("Mot de passe").fill(DEMO_FAMILY[1])
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon espace famille")
    page.goto(live_server.url + reverse("cantine:dossier_detail", args=[dossier.pk]))
    place = page.get_by_role("region", name="Votre place en crèche")
    expect(place).to_contain_text("position 1 sur 1")
    expect(place).to_contain_text(f"Décision attendue le {session.decision_date:%d/%m/%Y}")
    assert_accessible(page)

    # The crèche agent signs in with the code, opens the session and offers the place.
    agent_context = browser.new_context(**DESKTOP)
    admin = agent_context.new_page()
    admin.goto(live_server.url + "/admin/")
    admin.get_by_label("Adresse électronique").fill(AGENT)
    admin.get_by_label("Mot de passe").fill(DEMO_AGENT[1])
    admin.get_by_label("Code à 6 chiffres").fill(current_code(TOTPDevice.objects.get(user__email=AGENT)))
    admin.get_by_role("button", name="Se connecter").click()
    admin.goto(live_server.url + reverse("admin:cantine_committeesession_change", args=[session.pk]))
    row = admin.locator(".field-candidates tr").filter(has_text=dossier.reference)
    expect(row).to_contain_text("Hugo Martin")
    row.get_by_role("link", name="Proposer une place").click()
    admin.get_by_label("Commission").select_option(str(session.pk))
    admin.get_by_label("Crèche").select_option(label="Choix n° 1 : Crèche Les Petits Pas")  # the family's order
    admin.get_by_label("Réponse attendue au plus tard le").fill(f"{today + timedelta(days=10):%d/%m/%Y}")
    admin.get_by_role("button", name="Proposer la place").click()
    expect(admin.locator(".messagelist")).to_contain_text(f"Demande {dossier.reference} : place proposée")
    agent_context.close()

    # The family accepts, reads its contract, downloads it and confirms it.
    page.reload()
    expect(place).to_contain_text("La commission vous propose une place à la crèche Les Petits Pas")
    assert_accessible(page)
    page.get_by_role("button", name="J'accepte la place").click()
    expect(page.get_by_role("heading", name="Votre contrat d'accueil", exact=True)).to_be_visible()
    contract = PlaceOffer.objects.get(dossier=dossier).contract
    expect(place).to_contain_text(f"{contract.monthly_fee}".replace(".", ","))
    assert_accessible(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le contrat (PDF)").click()
    assert download.value.suggested_filename == f"contrat-{dossier.reference}.pdf"
    assert Path(download.value.path()).read_bytes().startswith(b"%PDF")
    page.get_by_role("button", name="Je confirme ce contrat").click()
    expect(place).to_contain_text(f"Contrat confirmé le {today:%d/%m/%Y}")
    contract.refresh_from_db()
    assert contract.confirmed_at is not None
