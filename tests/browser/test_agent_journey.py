"""A canteen agent signs in to the admin with a TOTP code, finds the dossier the demo family sent, reviews and
accepts it; the family then reads the decision (on a phone and on a computer). In real Chromium; the family's pages are checked by axe.

axe checks the admin's pages as strictly as the family's (WCAG 2.1 A and AA, 0 violations)."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from cantine import roles, services
from cantine.income.services import consent_record
from cantine.management.commands.seed_demo import DEMO_AGENT, DEMO_AGENTS, DEMO_FAMILY
from cantine.models import Dossier, Period
from portal.models import Consent, User
from tests.browser.conftest import DESKTOP_CONTEXT, admin_sign_in
from tests.browser.test_family_journey import open_school_year_label
from tests.migrations_data import restore_groups

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
AGENT = next(email for email, group in DEMO_AGENTS.items() if group == roles.CANTEEN_AGENTS)
DESKTOP = DESKTOP_CONTEXT  # an agent's screen, as the other admin tests import it from here


def dossier_sent_by_the_demo_family():
    """Léa at the canteen on Mondays and Tuesdays, income declined, sent: what the family journey produces."""
    family = User.objects.get(email=DEMO_FAMILY[0])
    child = family.household.children.get(first_names="Léa")
    period = Period.objects.get(
        service__slug="restauration-scolaire", label=open_school_year_label(timezone.localdate())
    )
    dossier = services.dossier_create(child=child, service=period.service, period=period)
    services.dossier_set_canteen_details(
        dossier=dossier, user=family, establishment=child.school, days=["mon", "tue"]
    )
    consent_record(user=family, dossier=dossier, decision=Consent.Decision.REFUSED, shown_text_hash="0" * 64)
    return services.dossier_submit(dossier=dossier, user=family)


def test_an_agent_accepts_a_dossier_and_the_family_sees_it(
    agent_page, page, live_server, assert_accessible, screenshot
):
    restore_groups()
    call_command("seed_demo", force=True, stdout=StringIO())
    dossier = dossier_sent_by_the_demo_family()
    admin = agent_page

    # Sign-in: email, password and the code the agent's authenticator app shows.
    admin.goto(live_server.url + "/admin/")
    expect(admin.get_by_label("Code à 6 chiffres")).to_be_visible()
    assert_accessible(admin)
    screenshot(admin, "agents-connexion")
    admin_sign_in(admin, live_server.url, AGENT, DEMO_AGENT[1])
    assert_accessible(admin)

    # The dossier list, filtered on the dossiers sent and waiting for a review.
    admin.get_by_role("link", name="Demandes d'inscription").first.click()
    expect(admin.get_by_role("heading", level=1)).to_have_text("Demandes d'inscription")
    admin.locator("#changelist-filter").get_by_role("link", name="Envoyée", exact=True).click()
    expect(admin).to_have_url(re.compile(r"status__exact=submitted"))
    row = admin.locator("#result_list tbody tr").filter(has_text=dossier.reference)
    expect(row).to_contain_text("Léa Martin")
    expect(row).to_contain_text("Claire Martin")
    expect(row).to_contain_text("Envoyée")
    assert_accessible(admin)
    screenshot(admin, "agents-liste-des-demandes")
    row.get_by_role("link", name=dossier.reference).click()

    # The dossier page: the family, the children, the consent, the tariff; then the review starts.
    expect(admin.locator(".field-identity")).to_contain_text(
        "identité déclarée par la famille, non certifiée"
    )
    expect(admin.locator(".field-household_children")).to_contain_text("Hugo Martin")
    expect(admin.locator(".field-consent_record")).to_contain_text("Refusé")
    expect(admin.locator(".field-canteen_days_text")).to_contain_text("Lundi, Mardi")
    assert_accessible(admin)
    screenshot(admin, "agents-dossier")
    for decision, status in (("En cours d'instruction", "En cours d'instruction"), ("Acceptée", "Acceptée")):
        admin.get_by_role("link", name="Décider").click()
        assert_accessible(admin)
        admin.get_by_role("radio", name=decision).check()
        admin.get_by_role("button", name="Enregistrer la décision").click()
        expect(admin.locator(".messagelist")).to_contain_text(f"Demande {dossier.reference} : {status}.")
        assert_accessible(admin)
    dossier.refresh_from_db()
    assert dossier.status == Dossier.Status.ACCEPTED
    assert dossier.history.latest("at").actor.email == AGENT

    # The family reads the decision.
    page.goto(live_server.url + "/compte/connexion/")
    page.get_by_label("Adresse électronique").fill(DEMO_FAMILY[0])
    page.get_by_label("Mot de passe").fill(DEMO_FAMILY[1])
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon espace famille")
    assert_accessible(page)
    page.get_by_role("link", name=re.compile(r"^Restauration scolaire — Léa")).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Demande {dossier.reference}")
    expect(page.get_by_text("Statut :")).to_contain_text("Acceptée")
    assert_accessible(page)
