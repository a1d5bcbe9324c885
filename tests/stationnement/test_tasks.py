"""The resident's mails: card issued (by an agent or at once), application refused with its reason; queued on
commit, sent by the worker with the retries of every mail, written from the application as it stands then."""

from datetime import date, timedelta
from unittest import mock

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from stationnement import services, tasks
from stationnement.models import Application
from tests.cantine.test_notifications import OUTAGE, make_retries_due, run_worker
from tests.documents import PDF
from tests.factories import HouseholdFactory, UserFactory
from tests.stationnement.test_services import checked

TODAY = date(2026, 12, 2)
SITE = "https://famille.beauval.example"


def sent_for_an_agent(household=None):
    """An application outside every zone, with its proofs: an agent decides."""
    household = household or HouseholdFactory()
    owner = household.owner
    application = services.application_start(user=owner, household=household)
    services.application_vehicle_set(
        user=owner, application=application, plate="AB-123-CD", duration="quarter", company_vehicle=False
    )
    for kind in ("proof_of_address", "registration"):
        services.document_upload(
            user=owner, application=application, kind=kind, uploaded=SimpleUploadedFile("x.pdf", PDF)
        )
    return services.application_submit(user=owner, application=application, today=TODAY)


@pytest.fixture
def agent(db):
    return UserFactory(is_staff=True, is_superuser=True)


@pytest.fixture(autouse=True)
def commune(settings):
    settings.COMMUNE_NAME, settings.SITE_URL = "Ville de Beauval", SITE


@pytest.mark.django_db
class TestDecisionMails:
    def test_an_agents_card_tells_the_holder_its_number_zone_and_dates_with_a_link(
        self, zones, grid, agent, immediate_tasks, django_capture_on_commit_callbacks
    ):
        application = sent_for_an_agent()
        with django_capture_on_commit_callbacks(execute=True):
            card = services.card_issue(
                application=application, agent=agent, zone=zones.zones.get(code="B"), today=TODAY
            )
        [email] = mail.outbox
        assert email.to == [application.household.owner.email]
        assert email.subject == f"Ville de Beauval — votre carte de stationnement résident {card.number}"
        assert "zone B, valable du 02/12/2026 au 01/03/2027" in email.body
        assert SITE + reverse("stationnement:detail", args=[application.pk]) in email.body
        assert (
            card.token not in email.body and "AB-123-CD" not in email.body
        )  # no verification code, no plate

    def test_a_card_issued_at_once_is_mailed_too(
        self, zones, grid, settings, immediate_tasks, django_capture_on_commit_callbacks
    ):
        settings.PARKING_AUTO_ISSUE = True
        household = HouseholdFactory()
        holder = household.adults.get(role="holder")
        holder.first_names, holder.last_name, holder.birth_date = "Angela", "Dubois", date(1962, 8, 24)
        holder.save()
        application = services.application_start(user=household.owner, household=household)
        services.application_vehicle_set(
            user=household.owner,
            application=application,
            plate="AB-123-CD",
            duration="year",
            company_vehicle=False,
        )
        services.application_consent_record(
            user=household.owner, application=application, mode="franceconnect", text_hash="a" * 64
        )
        application = checked(application)
        with django_capture_on_commit_callbacks(execute=True):
            application = services.application_submit(
                user=household.owner, application=application, today=TODAY
            )
        assert application.status == Application.Status.ACCEPTED
        [email] = mail.outbox
        assert application.card.number in email.subject and "zone A" in email.body

    def test_a_refusal_tells_the_reason(
        self, zones, grid, agent, immediate_tasks, django_capture_on_commit_callbacks
    ):
        application = sent_for_an_agent()
        with django_capture_on_commit_callbacks(execute=True):
            services.application_refuse(
                agent=agent, application=application, reason="Le justificatif date de plus de trois mois."
            )
        [email] = mail.outbox
        assert email.subject == "Ville de Beauval — votre demande de carte résident est refusée"
        assert "Motif : Le justificatif date de plus de trois mois." in email.body
        assert SITE + reverse("stationnement:detail", args=[application.pk]) in email.body

    def test_a_decision_that_fails_queues_nothing(
        self, zones, grid, agent, django_capture_on_commit_callbacks
    ):
        application = sent_for_an_agent()
        with django_capture_on_commit_callbacks() as queued, pytest.raises(ValidationError):
            services.application_refuse(agent=agent, application=application, reason="  ")
        with django_capture_on_commit_callbacks() as queued_issue, pytest.raises(ValidationError):
            services.card_issue(application=application, agent=agent, today=TODAY)  # no zone chosen
        assert queued == [] and queued_issue == []
        with django_capture_on_commit_callbacks() as queued:
            services.application_refuse(agent=agent, application=application, reason="Hors zone.")
        assert len(queued) == 1

    def test_the_task_carries_no_address_and_a_decision_no_longer_true_sends_nothing(
        self, zones, grid, agent, django_capture_on_commit_callbacks
    ):
        application = sent_for_an_agent()
        with django_capture_on_commit_callbacks(execute=True):
            services.application_refuse(agent=agent, application=application, reason="Hors zone.")
        queued = DBTaskResult.objects.get()
        assert queued.task_path == "stationnement.tasks.parking_mail_send"
        assert application.household.owner.email not in str(queued.args_kwargs)
        Application.objects.filter(pk=application.pk).update(status=Application.Status.SUBMITTED)
        assert tasks.parking_mail_send.call(tasks.REFUSED, application.pk) == "cancelled"
        assert tasks.parking_mail_send.call(tasks.CARD_ISSUED, application.pk) == "cancelled"  # no card
        assert tasks.parking_mail_send.call(tasks.REFUSED, 0) == "cancelled"  # purged
        assert mail.outbox == []


@pytest.mark.django_db(transaction=True)
def test_a_mail_outage_never_fails_the_decision_and_is_retried(zones, grid, settings, migrations_data):
    """Through the commit, the database queue and the worker, as the dossier mails."""
    agent = UserFactory(is_staff=True, is_superuser=True)
    application = sent_for_an_agent()
    settings.EMAIL_BACKEND = OUTAGE
    with mock.patch("portal.mail.logger") as logger:
        services.application_refuse(agent=agent, application=application, reason="Hors zone.")
        application.refresh_from_db()
        assert application.status == Application.Status.REFUSED
        run_worker()
        retry = DBTaskResult.objects.get(status="READY")
        assert retry.run_after > timezone.now() + timedelta(minutes=4)
        assert application.household.owner.email not in str(logger.warning.call_args)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    make_retries_due()
    run_worker()
    [email] = mail.outbox
    assert "Motif : Hors zone." in email.body
    assert not DBTaskResult.objects.filter(status="READY").exists()


@pytest.mark.django_db(transaction=True)
def test_after_three_failed_attempts_the_mail_is_given_up(zones, grid, settings, migrations_data):
    agent = UserFactory(is_staff=True, is_superuser=True)
    application = sent_for_an_agent()
    settings.EMAIL_BACKEND = OUTAGE
    services.application_refuse(agent=agent, application=application, reason="Hors zone.")
    run_worker()
    for _attempt in (2, 3):
        make_retries_due()
        run_worker()
    assert not DBTaskResult.objects.filter(status="READY").exists()
    assert sorted(DBTaskResult.objects.values_list("return_value", flat=True)) == [
        "failed",
        "retrying",
        "retrying",
    ]
    assert mail.outbox == []
