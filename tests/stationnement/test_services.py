"""The application's checks and the card: domicile from DGFiP's address, vehicle from the ANTS, the amount, the
automatic or agent's issuance, renewal."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from api_particulier.vehicles import VehicleHolder, VehicleRecord
from impot_client.situation import Address, Declarant, TaxAddress
from portal.models import AuditEntry
from stationnement import services
from stationnement.models import Application, ApplicationDocument, Card
from tests.clock import noon
from tests.documents import PDF
from tests.factories import HouseholdFactory, UserFactory

pytestmark = pytest.mark.django_db

TODAY = date(2026, 12, 2)


def found(text="4 RUE DES ECOLES 99999 BEAUVAL", declarants=()):
    return TaxAddress(year=2025, address=Address(text=text), declarants=tuple(declarants), correlation_id="c")


def record(status="titulaire", matches=True, environmental_class="Euro 6d", nom="DUBOIS"):
    return VehicleRecord(
        plate="AB-123-CD",
        first_registration="2021-05-17",
        status=status,
        lease="",
        holder=VehicleHolder(nom=nom, prenom="ANGELA", sexe="F", date_naissance=date(1962, 8, 24)),
        address_lines=("4 RUE DES ECOLES",),
        postcode="99999",
        commune="BEAUVAL",
        environmental_class=environmental_class,
        fuel="ES",
        category="M1",
        identity_matches=matches,
        correlation_id="c",
    )


@pytest.fixture
def household():
    household = HouseholdFactory()
    holder = household.adults.get(role="holder")
    holder.first_names, holder.last_name, holder.birth_date = "Angela", "Dubois", date(1962, 8, 24)
    holder.save()
    return household


@pytest.fixture
def application(household):
    application = services.application_start(user=household.owner, household=household)
    services.application_vehicle_set(
        user=household.owner, application=application, plate="ab123cd", duration="year", company_vehicle=False
    )
    return services.application_consent_record(
        user=household.owner, application=application, mode="franceconnect", text_hash="a" * 64
    )


def checked(application, **vehicle):
    services.domicile_store(application=application, found=found(), mode="franceconnect")
    return services.vehicle_store(application=application, record=record(**vehicle))


def test_only_the_owner_starts_or_changes_an_application(household):
    with pytest.raises(PermissionDenied):
        services.application_start(user=UserFactory(), household=household)
    application = services.application_start(user=household.owner, household=household)
    with pytest.raises(PermissionDenied):
        services.application_vehicle_set(
            user=UserFactory(),
            application=application,
            plate="AB-123-CD",
            duration="year",
            company_vehicle=False,
        )


def test_the_plate_is_normalised_and_a_bad_one_refused(application, household):
    assert application.plate == "AB-123-CD"
    with pytest.raises(ValidationError):
        services.application_vehicle_set(
            user=household.owner,
            application=application,
            plate="AB-000-CD",
            duration="year",
            company_vehicle=False,
        )


def test_an_address_in_a_zone_sets_it(zones, application):
    application = services.domicile_store(application=application, found=found(), mode="franceconnect")
    assert application.zone.code == "A" and application.domicile_problem == ""
    assert application.domicile_source == Application.DomicileSource.DGFIP_FRANCECONNECT


def test_an_address_outside_every_zone_asks_for_an_agent(zones, application):
    application = services.domicile_store(
        application=application, found=found("22 CHEMIN DES VIGNES 99999 BEAUVAL"), mode="franceconnect"
    )
    assert application.zone is None and application.domicile_problem == "street_not_in_zones"
    assert any(
        "justificatif de domicile" in problem for problem in services.application_problems(application)
    )


def test_by_numero_fiscal_the_applicant_must_be_a_declarant(zones, application, household):
    stranger = Declarant(
        birth_name="MARTIN", usage_name="", first_names="CLAIRE", birth_date=date(1988, 4, 12)
    )
    application = services.domicile_store(
        application=application, found=found(declarants=[stranger]), mode="numero_fiscal"
    )
    assert application.zone.code == "A" and application.domicile_problem == "not_declarant"
    me = Declarant(birth_name="DUBOIS", usage_name="", first_names="ANGELA", birth_date=date(1962, 8, 24))
    application = services.domicile_store(
        application=application, found=found(declarants=[me]), mode="numero_fiscal"
    )
    assert application.domicile_problem == ""


def test_the_address_is_encrypted_at_rest(zones, application):
    from django.db import connection

    services.domicile_store(application=application, found=found(), mode="franceconnect")
    with connection.cursor() as cursor:
        cursor.execute("SELECT address FROM stationnement_application WHERE id = %s", [application.pk])
        [stored] = cursor.fetchone()
    assert "ECOLES" not in stored


@pytest.mark.parametrize(
    ("vehicle", "problem"),
    [
        ({}, ""),
        ({"matches": False}, ""),
        ({"matches": False, "nom": "DURAND"}, "not_holder"),
        ({"status": "locataire"}, ""),
    ],
)
def test_the_vehicle_must_be_the_households(zones, application, vehicle, problem):
    application = checked(application, **vehicle)
    assert application.vehicle_problem == problem


def test_a_fully_checked_application_gets_its_card_at_once_when_the_commune_allows(
    zones, grid, application, settings
):
    settings.PARKING_AUTO_ISSUE = True
    application = checked(application)
    application = services.application_submit(
        user=application.applicant, application=application, today=TODAY
    )
    assert application.status == Application.Status.ACCEPTED
    card = application.card
    assert (card.zone.code, card.plates, card.starts_on, card.ends_on) == (
        "A",
        ["AB-123-CD"],
        TODAY,
        date(2027, 12, 1),
    )
    assert card.amount == Decimal("135.00")  # Euro 6d: -10 %
    assert card.number == "SR-2026-00001" and len(card.token) >= 24


def test_without_automatic_issuance_an_agent_decides(zones, grid, application, settings, admin_user):
    settings.PARKING_AUTO_ISSUE = False
    application = services.application_submit(
        user=application.applicant, application=checked(application), today=TODAY
    )
    assert application.status == Application.Status.SUBMITTED and not Card.objects.exists()
    card = services.card_issue(application=application, agent=admin_user, today=TODAY)
    assert card.application.status == Application.Status.ACCEPTED
    assert AuditEntry.objects.filter(actor=admin_user, action=AuditEntry.Action.DECIDED).exists()


def test_a_refused_environmental_class_cannot_be_sent(zones, grid, application):
    application = checked(application, environmental_class="Euro 2")
    with pytest.raises(ValidationError) as raised:
        services.application_submit(user=application.applicant, application=application, today=TODAY)
    assert "Euro 2" in raised.value.messages[0]
    application.refresh_from_db()
    assert application.status == Application.Status.DRAFT


def test_an_application_without_proofs_says_what_is_missing(zones, grid, household):
    application = services.application_start(user=household.owner, household=household)
    with pytest.raises(ValidationError) as raised:
        services.application_submit(user=household.owner, application=application, today=TODAY)
    assert len(raised.value.messages) == 3  # plate, domicile, carte grise


def test_documents_let_an_agent_decide(zones, grid, household, settings):
    settings.PARKING_AUTO_ISSUE = True
    application = services.application_start(user=household.owner, household=household)
    services.application_vehicle_set(
        user=household.owner,
        application=application,
        plate="AB-123-CD",
        duration="month",
        company_vehicle=False,
    )
    for kind in (ApplicationDocument.Kind.PROOF_OF_ADDRESS, ApplicationDocument.Kind.REGISTRATION):
        services.document_upload(
            user=household.owner,
            application=application,
            kind=kind,
            uploaded=SimpleUploadedFile("x.pdf", PDF),
        )
    application = services.application_submit(user=household.owner, application=application, today=TODAY)
    assert application.status == Application.Status.SUBMITTED  # never automatic on documents
    assert application.amount == Decimal("15.00")


def test_a_file_that_is_not_a_document_is_refused(application, household):
    with pytest.raises(ValidationError) as raised:
        services.document_upload(
            user=household.owner,
            application=application,
            kind="registration",
            uploaded=SimpleUploadedFile("x.pdf", b"<html>not a pdf</html>"),
        )
    assert "ni un PDF" in str(raised.value)


def test_the_second_vehicle_pays_the_second_rank_and_a_third_is_refused(zones, grid, household, settings):
    settings.PARKING_AUTO_ISSUE = True
    for plate, amount in (("AB-123-CD", Decimal("135.00")), ("EF-456-GH", Decimal("270.00"))):
        application = services.application_start(user=household.owner, household=household)
        services.application_vehicle_set(
            user=household.owner, application=application, plate=plate, duration="year", company_vehicle=False
        )
        services.application_consent_record(
            user=household.owner, application=application, mode="franceconnect", text_hash="a"
        )
        application = services.application_submit(
            user=household.owner, application=checked(application), today=TODAY
        )
        assert application.card.amount == amount
    third = services.application_start(user=household.owner, household=household)
    services.application_vehicle_set(
        user=household.owner, application=third, plate="GH-789-JK", duration="year", company_vehicle=False
    )
    services.application_consent_record(
        user=household.owner, application=third, mode="franceconnect", text_hash="a"
    )
    with pytest.raises(ValidationError, match="au plus 2 carte"):
        services.application_submit(user=household.owner, application=checked(third), today=TODAY)


def test_card_numbers_follow_the_last_number_of_the_year_the_card_starts_in(zones, grid, household, settings):
    """Numbered by the year of `today`, whatever the calendar says, and never a number taken: the count of this
    calendar year's cards gave SR-2027-00001 twice once the clock passed the year of the cards' start."""
    settings.PARKING_AUTO_ISSUE = True
    numbers = []
    for plate, today in (("AB-123-CD", date(2031, 1, 5)), ("EF-456-GH", date(2031, 1, 6))):
        application = services.application_start(user=household.owner, household=household)
        services.application_vehicle_set(
            user=household.owner, application=application, plate=plate, duration="year", company_vehicle=False
        )
        services.application_consent_record(
            user=household.owner, application=application, mode="franceconnect", text_hash="a"
        )
        numbers.append(
            services.application_submit(user=household.owner, application=checked(application), today=today)
            .card.number
        )
    assert numbers == ["SR-2031-00001", "SR-2031-00002"]


def test_renewal_ends_the_old_card_when_the_new_one_is_issued(zones, grid, application, settings):
    settings.PARKING_AUTO_ISSUE = True
    old = services.application_submit(
        user=application.applicant, application=checked(application), today=TODAY
    ).card
    renewal = services.application_start(
        user=application.applicant, household=application.household, replaces=old
    )
    assert renewal.plate == "AB-123-CD"
    services.application_consent_record(
        user=renewal.applicant, application=renewal, mode="franceconnect", text_hash="a"
    )
    later = date(2027, 11, 20)
    new = services.application_submit(user=renewal.applicant, application=checked(renewal), today=later).card
    old.refresh_from_db()
    assert old.ended_on == date(2027, 11, 19) and old.state_on(later) == "expired"
    assert new.amount == Decimal("135.00")  # still the first vehicle: the old card does not count


@pytest.mark.parametrize(
    ("start", "duration", "end"),
    [
        (date(2026, 1, 31), "month", date(2026, 2, 27)),
        (date(2026, 12, 2), "quarter", date(2027, 3, 1)),
        (date(2024, 2, 29), "year", date(2025, 2, 27)),
        (date(2026, 3, 1), "year", date(2027, 2, 28)),
    ],
)
def test_card_end_dates(start, duration, end):
    assert services.card_end(start, duration) == end


def test_a_refusal_needs_a_reason(zones, grid, application, settings, admin_user):
    settings.PARKING_AUTO_ISSUE = False
    application = services.application_submit(
        user=application.applicant, application=checked(application), today=TODAY
    )
    with pytest.raises(ValidationError):
        services.application_refuse(agent=admin_user, application=application, reason="  ")
    refused = services.application_refuse(
        agent=admin_user, application=application, reason="Adresse hors zone."
    )
    assert refused.status == Application.Status.REFUSED


def test_the_purge_erases_proofs_addresses_and_old_drafts_once(zones, grid, application, household, settings):
    settings.PARKING_AUTO_ISSUE = True
    services.document_upload(
        user=household.owner,
        application=application,
        kind="attestation",
        uploaded=SimpleUploadedFile("x.pdf", PDF),
    )
    card = services.application_submit(
        user=household.owner, application=checked(application), today=TODAY
    ).card
    stale = services.application_start(user=household.owner, household=household)
    Application.objects.filter(pk=stale.pk).update(updated_at=noon(TODAY - timedelta(days=91)))
    assert services.parking_data_purge(today=TODAY) == {
        "parking_documents": 1,
        "parking_addresses": 0,
        "parking_income": 0,
        "parking_drafts": 1,
    }
    after_end = card.ends_on + timedelta(days=93)
    assert services.parking_data_purge(today=after_end) == {
        "parking_documents": 0,
        "parking_addresses": 1,
        "parking_income": 0,
        "parking_drafts": 0,
    }
    assert Application.objects.get(pk=application.pk).address == ""
    assert services.parking_data_purge(today=after_end) == {
        "parking_documents": 0,
        "parking_addresses": 0,
        "parking_income": 0,
        "parking_drafts": 0,
    }
