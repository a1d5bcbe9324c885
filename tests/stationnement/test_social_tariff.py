"""The parking card's social tariff fed with a quotient familial: the consent page names the address and, only when
the grid in force has a social tariff, the income of the source the resident picks; the figures come through the
same FranceConnect round trip or the same DGFiP answer, encrypted, never shown without an established identity,
withdrawn or erased with the address. Without them, or when a State API fails, the full price, said plainly."""

import re
from datetime import date, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from api_particulier.situation import NotFound, Person, ProviderUnavailable, QuotientFamilial, ScopeMissing
from impot_client.client import Lookup
from impot_client.situation import Address, Declarant, TaxAddress, TaxSituation
from portal.models import OperationalAlert
from stationnement import rights, selectors, services
from stationnement.models import Application, IncomeFigures, ParkingGrid
from tests.cantine.income.test_erasure import Figures
from tests.factories import HouseholdFactory, UserFactory
from tests.impot_client.test_encryption import database_dump
from tests.stationnement.conftest import GRID
from tests.stationnement.test_services import TODAY, record

pytestmark = pytest.mark.django_db

SOCIAL_GRID = {**GRID, "social": {"qf_up_to": "900", "percent": "-50"}, "income": ["caf", "dgfip"]}
ANGELA = Declarant("DUBOIS", "", "ANGELA CLAIRE LOUISE", date(1962, 8, 24))


def social_grid(income=("caf", "dgfip")):
    ParkingGrid.objects.update(is_active=False)
    return ParkingGrid.objects.create(
        version=ParkingGrid.objects.count() + 1,
        label="délibération avec tarif social",
        data={**SOCIAL_GRID, "income": list(income)},
        is_active=True,
    )


@pytest.fixture
def household():
    household = HouseholdFactory()
    holder = household.adults.get(role="holder")
    holder.first_names, holder.last_name, holder.birth_date = "Angela", "Dubois", date(1962, 8, 24)
    holder.save()
    return household


def draft(household, *, income_source="", mode="franceconnect"):
    application = services.application_start(user=household.owner, household=household)
    services.application_vehicle_set(
        user=household.owner, application=application, plate="ab123cd", duration="year", company_vehicle=False
    )
    return services.application_consent_record(
        user=household.owner,
        application=application,
        mode=mode,
        text_hash="a" * 64,
        income_source=income_source,
    )


def address(rfr=21450, parts="2", declarants=(ANGELA,), with_income=True):
    situation = TaxSituation(
        year=2025,
        rfr=rfr,
        nb_parts=Decimal(parts),
        sit_fam="D",
        nb_pac=1,
        single_parent=True,
        declarants=declarants,
        correlation_id="c",
    )
    return TaxAddress(
        year=2025,
        address=Address(text="4 RUE DES ECOLES 99999 BEAUVAL"),
        declarants=declarants,
        correlation_id="c",
        income=situation if with_income else None,
    )


def quotient(value=715, allocataires=(Person("DUBOIS", "", "ANGELA CLAIRE", date(1962, 8, 24), "F"),)):
    return QuotientFamilial(
        provider="CAF",
        value=value,
        year=2026,
        month=11,
        calculation_year=2026,
        calculation_month=10,
        allocataires=allocataires,
        enfants=(),
        correlation_id="q",
    )


def submit(household, application):
    services.vehicle_store(application=application, record=record())
    return services.application_submit(user=household.owner, application=application, today=TODAY)


# -- The consent page ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("income", "named", "not_named"),
    [
        (None, [], ["quotient familial", "revenu fiscal", "tarif social"]),
        (("caf",), ["quotient familial du mois, à la CAF ou à la MSA"], ["revenu fiscal", "parts"]),
        (("dgfip",), ["revenu fiscal de référence et nombre de parts"], ["CAF", "MSA"]),
        (
            ("caf", "dgfip"),
            ["quotient familial du mois, à la CAF", "revenu fiscal de référence et nombre de parts"],
            [],
        ),
    ],
    ids=["no-social-tariff", "caf", "dgfip", "both"],
)
def test_the_consent_page_names_the_address_and_only_the_income_the_grid_needs(
    client, zones, grid, household, income, named, not_named
):
    if income is not None:
        social_grid(income)
    application = draft(household)
    client.force_login(household.owner)
    page = client.get(reverse("stationnement:domicile", args=[application.pk])).content.decode()
    assert "votre adresse déclarée aux impôts au 1er janvier (donnée « aft »)" in page
    for words in named:
        assert words in page
    for words in not_named:
        assert words not in page
    if income is None:
        assert "ni vos revenus" in page and 'name="social"' not in page
    else:
        assert "Le tarif social (facultatif)" in page and "-50 %" in page and "900,00\u00a0€" in page
        assert "Sans cet accord, le tarif social ne s'applique pas : vous payez le plein tarif" in page
        assert "retirer votre accord à tout moment" in page and "effacés avec l'adresse" in page
        assert 'type="radio" name="social" value="" ' in page and "checked" in page.split('value=""')[1][:40]


def test_a_source_the_grid_does_not_name_is_refused(zones, household):
    social_grid(("dgfip",))
    with pytest.raises(Exception, match="ne se fonde pas sur ces revenus"):
        draft(household, income_source="caf")


def test_the_consent_records_exactly_the_fields_named(zones, household):
    social_grid()
    assert draft(household).consent_fields == ["aft"]
    assert draft(household, income_source="caf").consent_fields == ["aft", "quotient_familial"]
    assert draft(household, income_source="dgfip").consent_fields == ["aft", "rfr", "nb_parts"]


# -- The figures and the price ------------------------------------------------------------------------------


def test_dgfip_income_through_franceconnect_sets_the_social_tariff(zones, household, settings):
    settings.PARKING_AUTO_ISSUE = True
    social_grid()
    application = draft(household, income_source="dgfip")
    services.domicile_store(application=application, found=address(), mode="franceconnect")
    application = submit(household, application)
    # 21 450 / 12 / 2 = 893,75 ≤ 900: 150 € - 50 % = 75 €, then Euro 6d - 10 %.
    assert application.status == Application.Status.ACCEPTED and application.amount == Decimal("67.50")
    assert (
        "Tarif social : quotient familial fiscal de 893,75\u00a0€ ≤ 900,00\u00a0€, -50 % : 75,00\u00a0€."
        in (application.explanation)
    )
    income = IncomeFigures.objects.get(application=application)
    assert (income.source, income.certified, income.rfr, income.nb_parts) == (
        "dgfip",
        True,
        21450,
        Decimal("2"),
    )


def test_caf_income_through_franceconnect_sets_the_social_tariff(zones, household, monkeypatch, settings):
    settings.PARKING_AUTO_ISSUE = True
    social_grid()
    asked = []
    monkeypatch.setattr(
        services.income.particulier,
        "quotient_familial_by_franceconnect",
        lambda token: asked.append(token) or quotient(),
    )
    application = draft(household, income_source="caf")
    services.domicile_store(application=application, found=address(with_income=False), mode="franceconnect")
    assert services.caf_income_fetch(application=application, access_token="jeton-fc") is None
    application = submit(household, application)
    assert asked == ["jeton-fc"] and application.amount == Decimal("67.50")
    assert (
        "Quotient familial CAF du mois de novembre 2026 : 715,00\u00a0€ (source : la CAF, via API Particulier)."
        in (application.explanation)
    )
    assert "Tarif social : quotient familial CAF de 715,00\u00a0€ ≤ 900,00\u00a0€, -50 % : 75,00\u00a0€." in (
        application.explanation
    )


def test_without_consent_the_full_price_is_said_plainly(zones, household):
    social_grid()
    application = draft(household)
    services.domicile_store(application=application, found=address(), mode="franceconnect")
    application = submit(household, application)
    assert application.amount == Decimal("135.00") and not IncomeFigures.objects.exists()
    assert (
        "Tarif social : vos revenus n'ont pas été communiqués, le tarif social ne s'applique pas (plein tarif)."
        in application.explanation
    )


def test_by_numero_fiscal_the_figures_are_never_shown_and_an_agent_issues(zones, household, settings):
    settings.PARKING_AUTO_ISSUE = True
    settings.IMPOT_NUMERO_FISCAL_NEEDS_AGENT = True
    social_grid()
    application = draft(household, income_source="dgfip", mode="numero_fiscal")
    services.domicile_store(application=application, found=address(), mode="numero_fiscal")
    application = submit(household, application)
    assert application.status == Application.Status.SUBMITTED  # not at once: an agent checks
    assert application.amount == Decimal("67.50")
    text = " ".join(application.explanation)
    assert "d'après les revenus transmis, votre quotient familial fiscal est au plus 900,00\u00a0€" in text
    for figure in ("21\u00a0450", "893,75", "Revenu fiscal de référence :"):
        assert figure not in text
    (section,) = rights.household_data(household)
    shown = dict(section.items[0].fields)["Revenus du tarif social"]
    assert "non affichés" in shown and "21" not in shown


def test_declarants_who_are_not_the_household_give_no_social_tariff(zones, household):
    social_grid()
    application = draft(household, income_source="dgfip", mode="numero_fiscal")
    stranger = Declarant("DURAND", "", "PAUL", date(1970, 1, 1))
    application = services.domicile_store(
        application=application, found=address(declarants=(stranger,)), mode="numero_fiscal"
    )
    assert application.income_problem == "mismatch" and IncomeFigures.objects.get().identity_mismatch
    services.application_quote(application, TODAY)
    assert application.amount == Decimal("150.00")  # Euro class unknown yet: the full price


def test_caf_allocataires_who_are_not_the_household_give_no_social_tariff(zones, household, monkeypatch):
    social_grid()
    stranger = (Person("DURAND", "", "PAUL", date(1970, 1, 1), "M"),)
    monkeypatch.setattr(
        services.income.particulier,
        "quotient_familial_by_identity",
        lambda pivot: quotient(allocataires=stranger),
    )
    monkeypatch.setattr(services.income, "household_pivot", lambda household: object())
    application = draft(household, income_source="caf", mode="numero_fiscal")
    services.caf_income_fetch(application=application)
    application.refresh_from_db()
    assert application.income_problem == "mismatch" and not IncomeFigures.objects.get().certified


# -- Failures -----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("error", "reason", "words"),
    [
        (ProviderUnavailable("502"), "unavailable", "le service n'a pas pu répondre"),
        (NotFound("404 23003"), "not_found", "ne connaissent pas de dossier allocataire"),
    ],
    ids=["caf-down", "unknown-to-the-caf"],
)
def test_the_caf_failing_keeps_the_draft_at_full_price(zones, household, monkeypatch, error, reason, words):
    social_grid()

    def fail(token):
        raise error

    monkeypatch.setattr(services.income.particulier, "quotient_familial_by_franceconnect", fail)
    application = draft(household, income_source="caf")
    services.domicile_store(application=application, found=address(with_income=False), mode="franceconnect")
    assert services.caf_income_fetch(application=application, access_token="jeton-fc") is error
    application.refresh_from_db()
    assert application.status == Application.Status.DRAFT and application.zone.code == "A"
    assert application.income_problem == reason and not IncomeFigures.objects.exists()
    services.application_quote(application, TODAY)
    assert application.amount == Decimal("150.00")
    label = selectors.income_problem_label(reason)
    assert words in label and "plein tarif" in label and "« Votre domicile »" in label


def test_the_caf_without_the_holders_identity_asks_for_it(zones, household):
    social_grid()
    application = draft(household, income_source="caf", mode="numero_fiscal")
    services.caf_income_fetch(application=application)  # the factory's holder has no birth place
    application.refresh_from_db()
    assert application.income_problem == "invalid_identity"


def test_dgfip_without_usable_income_keeps_the_address(zones, household):
    social_grid()
    application = draft(household, income_source="dgfip")
    application = services.domicile_store(
        application=application, found=address(with_income=False), mode="franceconnect"
    )
    assert application.zone.code == "A" and application.income_problem == "incomplete"
    assert not IncomeFigures.objects.exists()


def test_the_client_reads_income_and_address_from_one_answer():
    class Answer:
        status_code = 200

        @staticmethod
        def json():
            return {"aft": "4 RUE DES ECOLES 99999 BEAUVAL", "nbPart": 2, "rfr": 21450, "nmNaiDec1": "DUBOIS"}

    lookup = Lookup("franceconnect", "", {})
    both = lookup.parse_address(Answer, 2025, with_income=True)
    assert both.address.text.startswith("4 RUE") and (both.income.rfr, both.income.nb_parts) == (21450, 2)
    assert lookup.parse_address(Answer, 2025).income is None


# -- Withdrawal, erasure, storage ---------------------------------------------------------------------------


def test_withdrawing_erases_the_figures_and_prices_again_at_full_price(client, zones, household, settings):
    settings.PARKING_AUTO_ISSUE = False
    social_grid()
    application = draft(household, income_source="dgfip")
    services.domicile_store(application=application, found=address(), mode="franceconnect")
    application = submit(household, application)
    assert application.amount == Decimal("67.50")
    client.force_login(household.owner)
    detail = client.get(reverse("stationnement:detail", args=[application.pk])).content.decode()
    assert "Retirer mon accord pour le tarif social" in detail
    confirmation = client.get(reverse("stationnement:income_withdraw", args=[application.pk])).content.decode()
    assert "Ce qui va se passer" in confirmation and "Oui, retirer mon accord" in confirmation
    assert IncomeFigures.objects.exists(), "the confirmation page itself erases nothing"
    page = client.post(reverse("stationnement:income_withdraw", args=[application.pk]), follow=True)
    assert "vos revenus sont effacés" in page.content.decode()
    application.refresh_from_db()
    assert not IncomeFigures.objects.exists() and application.consent_fields == ["aft"]
    assert application.amount == Decimal("135.00") and application.income_problem == "withdrawn"
    assert not any("893" in line for line in application.explanation)


def test_withdrawing_after_the_card_keeps_its_amount(zones, household, settings):
    settings.PARKING_AUTO_ISSUE = True
    social_grid()
    application = draft(household, income_source="dgfip")
    services.domicile_store(application=application, found=address(), mode="franceconnect")
    card = submit(household, application).card
    application = services.application_income_withdraw(user=household.owner, application=application)
    card.refresh_from_db()
    assert card.amount == Decimal("67.50") and application.amount == Decimal("67.50")
    assert len(application.explanation) == 1 and "ne change pas" in application.explanation[0]


def test_the_figures_are_encrypted_at_rest(zones, household, monkeypatch):
    social_grid()
    monkeypatch.setattr(
        services.income.particulier, "quotient_familial_by_franceconnect", lambda token: quotient(value=715)
    )
    application = draft(household, income_source="caf")
    services.domicile_store(application=application, found=address(with_income=False), mode="franceconnect")
    services.caf_income_fetch(application=application, access_token="jeton-fc")
    with connection.cursor() as cursor:
        cursor.execute("SELECT qf FROM stationnement_incomefigures")
        (stored,) = cursor.fetchone()
    assert "715" not in stored and stored.startswith("gAAAA")  # a Fernet token


def test_the_purge_erases_the_figures_with_the_address(zones, household, settings):
    settings.PARKING_AUTO_ISSUE = True
    social_grid()
    application = draft(household, income_source="dgfip")
    services.domicile_store(application=application, found=address(), mode="franceconnect")
    card = submit(household, application).card
    assert services.parking_data_purge(today=TODAY)["parking_income"] == 0  # the card is valid
    after_end = card.ends_on + timedelta(days=93)
    assert services.parking_data_purge(today=after_end)["parking_income"] == 1
    application.refresh_from_db()
    assert application.explanation == [] and application.address == "" and not IncomeFigures.objects.exists()
    assert services.parking_data_purge(today=after_end)["parking_income"] == 0


def test_the_accounts_erasure_takes_the_figures(zones, household):
    social_grid()
    application = draft(household, income_source="dgfip")
    services.domicile_store(application=application, found=address(), mode="franceconnect")
    assert rights.household_erase(household)["parking_income"] == 1
    assert not IncomeFigures.objects.exists()


def test_my_data_shows_certified_figures(zones, household):
    social_grid()
    application = draft(household, income_source="dgfip")
    services.domicile_store(application=application, found=address(), mode="franceconnect")
    (section,) = rights.household_data(household)
    shown = dict(section.items[0].fields)["Revenus du tarif social"]
    assert "21\u00a0450,00\u00a0€" in shown and "2 parts" in shown


def test_the_demo_grid_has_a_social_tariff_even_on_an_older_demo_database():
    ParkingGrid.objects.create(version=1, label="démo d'avant", data=GRID, is_active=True)
    call_command("seed_parking_demo", stdout=StringIO())
    call_command("seed_parking_demo", stdout=StringIO())
    grid = ParkingGrid.objects.get(is_active=True)
    assert (grid.version, ParkingGrid.objects.count()) == (2, 2)
    assert grid.data["social"] == {"qf_up_to": "900", "percent": "-50"} and grid.data["income"] == [
        "caf",
        "dgfip",
    ]


def test_the_agent_reads_the_figures_the_resident_does_not(client, zones, household):
    social_grid()
    application = draft(household, income_source="dgfip", mode="numero_fiscal")
    services.domicile_store(application=application, found=address(), mode="numero_fiscal")
    agent = UserFactory(is_staff=True)
    agent.groups.add(Group.objects.get(name="Agent stationnement"))
    client.force_login(agent)
    page = client.get(
        reverse("admin:stationnement_application_change", args=[application.pk])
    ).content.decode()
    assert "Revenus du tarif social" in page and re.search(r"<div class=\"readonly\">21\D?450</div>", page)


def test_the_communes_token_refused_alerts_the_agents_not_the_resident(zones, household, monkeypatch):
    social_grid()

    def refuse(token):
        raise ScopeMissing("403 00100", correlation_id="corr-1")

    monkeypatch.setattr(services.income.particulier, "quotient_familial_by_franceconnect", refuse)
    application = draft(household, income_source="caf")
    services.caf_income_fetch(application=application, access_token="jeton-fc")
    alert = OperationalAlert.objects.get()
    assert alert.kind == "api_particulier_scope_missing" and "corr-1" in alert.message
    application.refresh_from_db()
    assert application.income_problem == "unavailable" and application.status == Application.Status.DRAFT


def test_withdrawing_erases_even_when_the_new_grid_cannot_price_it(zones, household, settings):
    settings.PARKING_AUTO_ISSUE = False
    social_grid()
    application = draft(household, income_source="dgfip")
    services.domicile_store(application=application, found=address(), mode="franceconnect")
    application = submit(household, application)
    ParkingGrid.objects.filter(is_active=True).update(
        data={**SOCIAL_GRID, "environment": {"Euro 6d": "refused"}}
    )
    application = services.application_income_withdraw(user=household.owner, application=application)
    assert not IncomeFigures.objects.exists() and application.amount is None and application.explanation == []


@pytest.mark.django_db(transaction=True)
def test_a_whole_database_dump_shows_no_figure_of_the_social_tariff(zones, household, settings):
    """sqlite3's .dump, or pg_dump on PostgreSQL: the RFR, parts and QF the card's price quoted, in any form."""
    settings.PARKING_AUTO_ISSUE = True
    social_grid()
    figures = Figures(
        rfr=2093761, parts="2.75"
    )  # QF 63 447,30: above the limit, still written in the explanation
    application = draft(household, income_source="dgfip")
    services.domicile_store(
        application=application, found=address(rfr=figures.rfr, parts=figures.parts), mode="franceconnect"
    )
    application = submit(household, application)
    assert figures.found_in(" ".join(application.explanation))  # the explanation quotes them…
    dump = database_dump()
    assert "stationnement_incomefigures" in dump and figures.found_in(dump) == []  # …but only encrypted


def test_the_review_page_says_why_the_social_tariff_does_not_apply_and_offers_to_ask_again(
    client, zones, household, monkeypatch
):
    social_grid()

    def fail(token):
        raise ProviderUnavailable("502")

    monkeypatch.setattr(services.income.particulier, "quotient_familial_by_franceconnect", fail)
    application = draft(household, income_source="caf")
    services.domicile_store(application=application, found=address(with_income=False), mode="franceconnect")
    services.caf_income_fetch(application=application, access_token="jeton-fc")
    services.vehicle_store(application=application, record=record())
    client.force_login(household.owner)
    page = client.get(reverse("stationnement:review", args=[application.pk])).content.decode()
    assert (
        "Le tarif social ne s&#x27;applique pas (le service n&#x27;a pas pu répondre pour le moment)" in page
    )
    assert "Demander à nouveau le tarif social" in page and "Envoyer la demande" in page
    assert "Montant de la carte : 135,00\u00a0€" in page
