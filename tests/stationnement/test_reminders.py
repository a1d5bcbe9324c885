"""Reminders before a card's end (`parking_reminders`, daily): once per card, never for a card already renewed; and
the renewal they lead to checks the address again."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from stationnement import services, tasks
from stationnement.models import Application, Card
from tests.factories import HouseholdFactory
from tests.stationnement.test_services import found, record
from tests.stationnement.test_tasks import SITE, TODAY, sent_for_an_agent

pytestmark = pytest.mark.django_db

ENDS = date(2027, 3, 1)  # a quarter's card issued on TODAY


@pytest.fixture(autouse=True)
def commune(settings):
    settings.COMMUNE_NAME, settings.SITE_URL = "Ville de Beauval", SITE
    settings.PARKING_REMINDER_DAYS = 30


@pytest.fixture
def card(zones, grid):
    application = sent_for_an_agent()
    return services.card_issue(application=application, zone=zones.zones.get(code="A"), today=TODAY)


def remind(day, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        return services.card_reminders_send(today=day)


def test_a_card_ending_within_the_delay_is_reminded_once_with_a_renew_link(
    card, immediate_tasks, django_capture_on_commit_callbacks
):
    assert remind(ENDS - timedelta(days=31), django_capture_on_commit_callbacks) == 0
    assert remind(ENDS - timedelta(days=30), django_capture_on_commit_callbacks) == 1
    card.refresh_from_db()
    assert card.reminded_at is not None
    [email] = mail.outbox
    assert email.to == [card.household.owner.email]
    assert email.subject == f"Ville de Beauval — votre carte résident {card.number} prend fin le 01/03/2027"
    assert "Renouveler ou modifier" in email.body and "Votre adresse sera vérifiée à nouveau" in email.body
    assert f"{SITE}{reverse('stationnement:detail', args=[card.application_id])}#renouveler" in email.body
    assert remind(ENDS - timedelta(days=29), django_capture_on_commit_callbacks) == 0
    assert remind(ENDS, django_capture_on_commit_callbacks) == 0
    assert len(mail.outbox) == 1


def test_the_delay_is_a_setting(card, settings, django_capture_on_commit_callbacks):
    settings.PARKING_REMINDER_DAYS = 45
    assert remind(ENDS - timedelta(days=45), django_capture_on_commit_callbacks) == 1


def test_ended_or_expired_cards_are_not_reminded(card, django_capture_on_commit_callbacks):
    assert remind(ENDS + timedelta(days=1), django_capture_on_commit_callbacks) == 0
    Card.objects.filter(pk=card.pk).update(ended_on=ENDS - timedelta(days=40))
    assert remind(ENDS - timedelta(days=10), django_capture_on_commit_callbacks) == 0


def submitted_renewal(card, **start):
    owner = card.household.owner
    renewal = services.application_start(user=owner, household=card.household, **start)
    Application.objects.filter(pk=renewal.pk).update(plate="AB-123-CD", status=Application.Status.SUBMITTED)
    return renewal


@pytest.mark.parametrize("how", ["from_the_card", "from_the_dashboard"])
def test_a_card_already_renewed_is_not_reminded(card, how, django_capture_on_commit_callbacks):
    submitted_renewal(card, replaces=card if how == "from_the_card" else None)
    assert remind(ENDS - timedelta(days=10), django_capture_on_commit_callbacks) == 0
    assert Card.objects.get(pk=card.pk).reminded_at is None


def test_a_draft_renewal_or_another_vehicle_still_gets_the_reminder(card, django_capture_on_commit_callbacks):
    owner = card.household.owner
    services.application_start(user=owner, household=card.household, replaces=card)  # a draft
    second = submitted_renewal(card)
    Application.objects.filter(pk=second.pk).update(plate="EF-456-GH")
    assert remind(ENDS - timedelta(days=10), django_capture_on_commit_callbacks) == 1


def test_a_card_renewed_between_queue_and_send_is_not_mailed(card, django_capture_on_commit_callbacks):
    assert remind(ENDS - timedelta(days=10), django_capture_on_commit_callbacks) == 1
    submitted_renewal(card, replaces=card)
    assert tasks.parking_mail_send.call(tasks.REMINDER, card.application_id) == "cancelled"
    assert mail.outbox == []


def test_the_command_reminds_and_refuses_a_bad_date(card):
    out = StringIO()
    call_command("parking_reminders", "--date", str(ENDS - timedelta(days=5)), stdout=out)
    assert out.getvalue().startswith("1 rappel(s)")
    out = StringIO()
    call_command("parking_reminders", "--date", str(ENDS - timedelta(days=4)), stdout=out)
    assert out.getvalue().startswith("0 rappel(s)")
    with pytest.raises(CommandError, match="Date invalide"):
        call_command("parking_reminders", "--date", "01/03/2027")


def test_the_daily_task_runs_the_same_reminders(card):
    today = timezone.localdate()
    Card.objects.filter(pk=card.pk).update(starts_on=today - timedelta(days=60), ends_on=today)
    assert tasks.parking_reminders_task.call() == 1
    assert tasks.parking_reminders_task.call() == 0


def test_the_renew_link_lands_on_the_renewal_form(card, client):
    client.force_login(card.household.owner)
    page = client.get(reverse("stationnement:detail", args=[card.application_id])).content.decode()
    assert 'id="renouveler"' in page and f'name="replaces" value="{card.pk}"' in page


class TestRenewalChecksTheAddressAgain:
    @pytest.fixture
    def first_card(self, zones, grid, settings):
        settings.PARKING_AUTO_ISSUE = True
        household = HouseholdFactory()
        holder = household.adults.get(role="holder")
        holder.first_names, holder.last_name, holder.birth_date = "Angela", "Dubois", date(1962, 8, 24)
        holder.save()
        owner = household.owner
        application = services.application_start(user=owner, household=household)
        services.application_vehicle_set(
            user=owner, application=application, plate="AB-123-CD", duration="year", company_vehicle=False
        )
        services.application_consent_record(
            user=owner, application=application, mode="franceconnect", text_hash="a" * 64
        )
        services.domicile_store(application=application, found=found(), mode="franceconnect")
        services.vehicle_store(application=application, record=record())
        return services.application_submit(user=owner, application=application, today=TODAY).card

    def renewal(self, card):
        renewal = services.application_start(
            user=card.household.owner, household=card.household, replaces=card
        )
        return Application.objects.get(pk=renewal.pk)

    def test_nothing_of_the_old_domicile_nor_its_consent_is_carried_over(self, first_card):
        renewal = self.renewal(first_card)
        assert renewal.plate == "AB-123-CD" and renewal.replaces == first_card
        assert (renewal.address, renewal.zone, renewal.domicile_source, renewal.consent_at) == (
            "",
            None,
            "",
            None,
        )
        with pytest.raises(ValidationError, match="domicile n'est pas encore vérifié"):
            services.application_submit(user=renewal.applicant, application=renewal, today=ENDS)
        with pytest.raises(ValidationError, match="accord est nécessaire"):
            services.domicile_store(application=renewal, found=found(), mode="franceconnect")

    def test_the_new_address_decides_the_new_cards_zone(self, first_card):
        renewal = self.renewal(first_card)
        owner = renewal.applicant
        services.application_consent_record(
            user=owner, application=renewal, mode="franceconnect", text_hash="b"
        )
        services.domicile_store(
            application=renewal, found=found("12 AVENUE DE LA GARE 99999 BEAUVAL"), mode="franceconnect"
        )
        services.vehicle_store(application=renewal, record=record())
        later = date(2027, 11, 20)
        card = services.application_submit(user=owner, application=renewal, today=later).card
        assert card.zone.code == "B"
        first_card.refresh_from_db()
        assert first_card.ended_on == later - timedelta(days=1)

    def test_a_resident_who_moved_out_of_the_zones_needs_a_proof_for_an_agent(self, first_card):
        renewal = self.renewal(first_card)
        owner = renewal.applicant
        services.application_consent_record(
            user=owner, application=renewal, mode="franceconnect", text_hash="b"
        )
        services.domicile_store(
            application=renewal, found=found("22 CHEMIN DES VIGNES 99999 BEAUVAL"), mode="franceconnect"
        )
        services.vehicle_store(application=renewal, record=record())
        with pytest.raises(ValidationError, match="justificatif de domicile"):
            services.application_submit(user=owner, application=renewal, today=ENDS)
        assert not Card.objects.exclude(pk=first_card.pk).exists()
