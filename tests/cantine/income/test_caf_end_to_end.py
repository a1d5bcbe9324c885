"""The CAF/MSA income step against the simulators over real HTTP, as `make run` serves it: the FranceConnect family
« test » (Angela DUBOIS) and the local demo family (the Martins) each get a canteen tariff from the CAF QF and a
crèche rate from the EAJE resources; a family unknown to the CAF goes on to the grid's next source."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from cantine import services as cantine_services
from cantine.income import benefits
from cantine.income.selectors import income_status
from cantine.management.commands.seed_demo import DEMO_FAMILY
from cantine.models import FamilyBenefitData, Period, PsuEffortRate, PsuResourceLimit, Service
from franceconnect.models import FranceConnectIdentity
from portal.models import User
from pricing import SHIPPED
from tests.factories import ChildFactory, DossierFactory, UserFactory
from tests.franceconnect.test_end_to_end import pick_identity, sandbox  # noqa: F401 - fixture
from tests.impot_client.test_end_to_end import hidden, post_form

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def caf_sandbox(sandbox, live_server, settings):  # noqa: F811
    settings.API_PARTICULIER_URL = f"{live_server.url}/sandbox/api-particulier"
    if not PsuEffortRate.objects.exists():  # a transactional test empties what the data migration shipped
        PsuEffortRate.objects.bulk_create(PsuEffortRate(**vars(rate)) for rate in SHIPPED.rates)
        PsuResourceLimit.objects.bulk_create(PsuResourceLimit(**vars(limit)) for limit in SHIPPED.limits)
    call_command("seed_demo", force=True, stdout=StringIO())
    return sandbox


def demo_period(kind) -> Period:
    return (
        Period.objects.filter(service__kind=kind, tariff_grids__is_active=True).order_by("starts_on").first()
    )


def authorise(browser, dossier):
    income = browser.get(reverse("impot:income", args=[dossier.pk]))
    assert "API Particulier" in income.text and "J'autorise" in income.text
    return income, post_form(
        browser,
        income,
        reverse("impot:benefit_authorize", args=[dossier.pk]),
        shown=hidden(income.text, "shown"),
    )


def quoted(dossier):
    return cantine_services.dossier_quote_compute(
        dossier=cantine_services.dossier_submit(dossier=dossier, user=dossier.child.household.owner)
    )


def test_the_franceconnect_family_gets_its_tariffs_from_the_caf(caf_sandbox):
    pick_identity(caf_sandbox, "test")
    household = FranceConnectIdentity.objects.get().user.household
    lucie = ChildFactory(
        household=household, first_names="Lucie", last_name="Dubois", birth_date=date(2012, 5, 2)
    )
    dossier = DossierFactory(child=lucie, period=demo_period(Service.Kind.CANTEEN), income_declined=False)
    _income, franceconnect = authorise(caf_sandbox, dossier)
    assert "/sandbox/franceconnect/api/v2/authorize" in str(franceconnect.url)
    assert "cnaf_quotient_familial" in str(franceconnect.url)
    review = post_form(caf_sandbox, franceconnect, str(franceconnect.url), identity="test")
    assert review.url.path == reverse("cantine:dossier_review", args=[dossier.pk])
    data = FamilyBenefitData.objects.get(dossier=dossier)
    assert (data.mode, data.provider, data.qf, data.child_not_found) == ("france_connect", "CAF", 715, False)
    assert "715&nbsp;€" in review.text  # FranceConnect certified the identity: the family sees its QF
    quote = quoted(dossier)
    assert (quote.income_source, quote.qf, quote.amount) == ("caf", Decimal("715.00"), Decimal("1.00"))
    assert "Quotient familial CAF du mois de" in " ".join(quote.explanation)


def test_the_local_demo_family_gets_its_tariffs_once_an_agent_confirmed(caf_sandbox):
    email, password = DEMO_FAMILY
    page = caf_sandbox.get(reverse("portal:login"))
    post_form(caf_sandbox, page, reverse("portal:login"), username=email, password=password)
    household = User.objects.get(email=email).household
    lea, hugo = household.children.order_by("birth_date")
    canteen = DossierFactory(child=lea, period=demo_period(Service.Kind.CANTEEN), income_declined=False)
    _income, review = authorise(caf_sandbox, canteen)
    assert review.url.path == reverse("cantine:dossier_review", args=[canteen.pk])
    assert "1069" not in review.text and "vérifie" in review.text  # a local account never reads them first
    data = FamilyBenefitData.objects.get(dossier=canteen)
    assert (data.mode, data.qf, data.identity_mismatch, data.child_not_found) == (
        "identite",
        1069,
        False,
        False,
    )
    agent = UserFactory(is_staff=True, is_superuser=True)
    quote = quoted(canteen)
    assert quote.income_source == "none"  # the highest price until the agent confirms
    benefits.benefit_data_confirm(agent=agent, benefit_data=data)
    canteen.refresh_from_db()
    assert (canteen.quote.income_source, canteen.quote.amount) == (
        "caf",
        Decimal("2.60"),
    )  # QF 1069: 1000-1500

    period = demo_period(Service.Kind.CRECHE)
    creche = DossierFactory(
        child=hugo,
        period=period,
        establishment=None,
        canteen_days=[],
        creche_start_date=period.starts_on,
        creche_schedule={"mon": ["08:30", "17:30"]},
        income_declined=False,
    )
    creche.creche_choices.create(establishment=period.service.establishments.first(), rank=1)
    _income, review = authorise(caf_sandbox, creche)
    data = FamilyBenefitData.objects.get(dossier=creche)
    assert (data.route, data.annual_resources, data.children) == ("participation_familiale_eaje", 38500, 2)
    benefits.benefit_data_confirm(agent=agent, benefit_data=data)
    quote = quoted(creche)
    assert quote.income_source == "caf" and "38 500 € ÷ 12 = 3 208,33 €" in " ".join(quote.explanation).replace(
        "\xa0", " "
    )


def test_a_family_unknown_to_the_caf_goes_on_to_dgfip(caf_sandbox):
    pick_identity(caf_sandbox, "date_naissance_partielle")
    household = FranceConnectIdentity.objects.get().user.household
    dossier = DossierFactory(
        child__household=household, period=demo_period(Service.Kind.CANTEEN), income_declined=False
    )
    _income, franceconnect = authorise(caf_sandbox, dossier)
    page = post_form(caf_sandbox, franceconnect, str(franceconnect.url), identity="date_naissance_partielle")
    assert page.url.path == reverse("impot:income", args=[dossier.pk])
    assert "ne trouve pas de dossier allocataire" in page.text
    assert reverse("impot:authorize", args=[dossier.pk]) in page.text  # DGFiP, the grid's next source
    assert income_status(dossier).state == "missing"
