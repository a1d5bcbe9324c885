"""Messages to families: one per event, kept on the dossier page and emailed by the task worker after the action is
committed; a mail outage never breaks the action, the send is retried, then shown to agents as failed."""

import signal
import smtplib
from contextlib import contextmanager
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.core.management import call_command
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from cantine import notifications, services
from cantine.models import Dossier, DossierMessage
from cantine.tasks import dossier_message_send, dossier_messages_send
from tests.cantine.backoffice import submitted, submitted_with_quote, under_review, with_grid
from tests.factories import DossierFactory, UserFactory

pytestmark = pytest.mark.django_db
Status = Dossier.Status
Kind = DossierMessage.Kind
EmailStatus = DossierMessage.EmailStatus
OUTAGE = "tests.cantine.test_notifications.MailOutageBackend"


class MailOutageBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise smtplib.SMTPException("Le serveur de courriel ne répond pas")


@pytest.fixture
def immediate_tasks(settings):
    """Tasks run as soon as they are enqueued (after commit), so a test reads the email at once."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.COMMUNE_NAME = "Ville de Kerbriant"
    settings.SITE_URL = "https://famille.kerbriant.example/"


@pytest.fixture
def review(make_dossier):
    dossier = under_review(submitted_with_quote())
    mail.outbox.clear()
    return dossier


def owner(dossier):
    return dossier.child.household.owner


EVENTS = {
    "submitted": (
        lambda d, agent: services.dossier_submit(dossier=d, user=owner(d)),
        Kind.SUBMITTED,
        "bien reçue",
        "Nous avons bien reçu votre demande",
    ),
    "accepted": (
        lambda d, agent: services.dossier_accept(dossier=d, agent=agent),
        Kind.ACCEPTED,
        "acceptée",
        "est acceptée",
    ),
    "rejected": (
        lambda d, agent: services.dossier_reject(dossier=d, agent=agent, reason="Domicile hors commune."),
        Kind.REJECTED,
        "refusée",
        "Motif : Domicile hors commune.",
    ),
    "documents": (
        lambda d, agent: services.dossier_request_documents(
            dossier=d, agent=agent, message="Merci de joindre un justificatif de domicile."
        ),
        Kind.DOCUMENTS_REQUESTED,
        "des pièces sont nécessaires",
        "Merci de joindre un justificatif de domicile.",
    ),
    "override": (
        lambda d, agent: services.dossier_quote_override(
            dossier=d, agent=agent, amount=Decimal("1.50"), justification="Quotient révisé par le CCAS."
        ),
        Kind.TARIFF_CHANGED,
        "votre tarif change",
        "1,50\xa0€ par repas",
    ),
}


class TestOneEmailPerEvent:
    @pytest.mark.parametrize("event", EVENTS)
    def test_to_the_household_owner_in_text_and_html_with_the_commune_and_a_link(
        self, immediate_tasks, review, agent, event, django_capture_on_commit_callbacks
    ):
        act, kind, subject, text = EVENTS[event]
        dossier = with_grid(DossierFactory()) if event == "submitted" else review
        with django_capture_on_commit_callbacks(execute=True):
            act(dossier, agent)
        [email] = mail.outbox
        message = dossier.messages.get(kind=kind)
        link = f"https://famille.kerbriant.example/demarches/dossiers/{dossier.pk}/"
        assert email.to == [owner(dossier).email]
        assert email.subject == message.subject
        assert email.subject.startswith("Ville de Kerbriant — ") and subject in email.subject
        assert dossier.reference in email.subject
        assert text in message.body and message.body in email.body and link in email.body
        [(html, mimetype)] = email.alternatives
        assert mimetype == "text/html"
        assert "Ville de Kerbriant" in html and f'href="{link}"' in html and text in html
        message.refresh_from_db()
        assert (message.email_status, message.attempts, message.last_error) == (EmailStatus.SENT, 1, "")

    def test_starting_the_review_tells_nothing(
        self, immediate_tasks, agent, make_dossier, django_capture_on_commit_callbacks
    ):
        dossier = make_dossier(Status.SUBMITTED)
        with django_capture_on_commit_callbacks(execute=True):
            services.dossier_start_review(dossier=dossier, agent=agent)
        assert mail.outbox == []
        assert list(dossier.messages.values_list("kind", flat=True)) == [Kind.SUBMITTED]

    def test_a_recomputation_tells_only_when_the_billed_amount_changes(
        self, immediate_tasks, review, agent, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            services.dossier_quote_compute(dossier=review, agent=agent)
        assert mail.outbox == []
        grid = review.quote.grid
        grid.data = {**grid.data, "brackets": [{"up_to": None, "price": "3.90"}]}
        grid.save()
        with django_capture_on_commit_callbacks(execute=True):
            services.dossier_quote_compute(dossier=review, agent=agent)
        [email] = mail.outbox
        assert "votre tarif change" in email.subject and "3,90\xa0€ par repas" in email.body
        assert "recalculé avec la grille en vigueur" in email.body


class TestOutsideTheRequest:
    def test_the_email_is_queued_once_committed_and_never_sent_inside_the_transaction(
        self, review, agent, django_capture_on_commit_callbacks
    ):
        with django_capture_on_commit_callbacks() as callbacks:
            services.dossier_accept(dossier=review, agent=agent)
            assert not DBTaskResult.objects.exists()
        assert mail.outbox == []
        message = review.messages.get(kind=Kind.ACCEPTED)
        assert message.email_status == EmailStatus.PENDING
        assert len(callbacks) == 1
        callbacks[0]()
        task = DBTaskResult.objects.get()
        assert task.task_path == "cantine.tasks.dossier_message_send"
        assert task.args_kwargs == {"args": [message.pk], "kwargs": {}}
        assert mail.outbox == []  # the worker sends it, not the request

    def test_a_rolled_back_action_tells_nobody(self, review, agent, django_capture_on_commit_callbacks):
        with (
            django_capture_on_commit_callbacks() as callbacks,
            pytest.raises(RuntimeError),
            transaction.atomic(),
        ):
            services.dossier_accept(dossier=review, agent=agent)
            raise RuntimeError("la suite de l'action échoue")
        assert callbacks == []
        assert not review.messages.filter(kind=Kind.ACCEPTED).exists()


@contextmanager
def signal_handlers_kept():
    """db_worker installs its own SIGINT/SIGTERM handlers: give pytest its own back."""
    kept = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in kept.items():
            signal.signal(sig, handler)


def run_worker():
    """What production runs (`manage.py db_worker`), until no task is due."""
    with signal_handlers_kept():
        call_command(
            "db_worker", batch=True, startup_delay=False, reload=False, interval=0, stdout=StringIO()
        )


def make_retries_due():
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())


@pytest.mark.django_db(transaction=True)
def test_a_mail_outage_never_breaks_the_family_and_is_retried_then_shown_to_agents(client, settings):
    """Through the real request, commit, database queue and worker."""
    settings.EMAIL_BACKEND = OUTAGE
    dossier = with_grid(DossierFactory())
    client.force_login(owner(dossier))
    response = client.post(reverse("cantine:dossier_review", args=[dossier.pk]))
    assert response.status_code == 302
    dossier.refresh_from_db()
    assert dossier.status == Status.SUBMITTED
    message = dossier.messages.get()
    assert (message.email_status, message.attempts) == (EmailStatus.PENDING, 0)

    run_worker()
    message.refresh_from_db()
    assert (message.email_status, message.attempts) == (EmailStatus.PENDING, 1)
    assert message.last_error == "SMTPException: Le serveur de courriel ne répond pas"
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.run_after > timezone.now() + timedelta(minutes=4)

    run_worker()  # not due yet: nothing happens
    message.refresh_from_db()
    assert message.attempts == 1
    for attempts in (2, 3):
        make_retries_due()
        run_worker()
        message.refresh_from_db()
        assert message.attempts == attempts
    assert message.email_status == EmailStatus.FAILED
    assert not DBTaskResult.objects.filter(status="READY").exists()  # given up
    assert mail.outbox == []

    agent = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(agent)
    page = client.get(reverse("admin:cantine_dossier_change", args=[dossier.pk])).content.decode()
    assert "Le serveur de courriel ne répond pas" in page and "échec de l&#x27;envoi" in page
    listing = client.get(
        reverse("admin:cantine_dossiermessage_changelist"), {"email_status__exact": EmailStatus.FAILED}
    ).content.decode()
    assert "Le serveur de courriel ne répond pas" in listing

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    client.post(
        reverse("admin:cantine_dossiermessage_changelist"),
        {"action": "resend", "_selected_action": [message.pk]},
    )
    run_worker()
    message.refresh_from_db()
    assert (message.email_status, message.attempts, message.last_error) == (EmailStatus.SENT, 1, "")
    [email] = mail.outbox
    assert email.to == [owner(dossier).email]


def test_resending_applies_to_failed_messages_only(review, agent, django_capture_on_commit_callbacks):
    message = review.messages.get()
    with django_capture_on_commit_callbacks() as callbacks:
        assert notifications.dossier_message_resend(message=message) is False
    assert callbacks == []
    DossierMessage.objects.filter(pk=message.pk).update(email_status=EmailStatus.FAILED, attempts=3)
    with django_capture_on_commit_callbacks() as callbacks:
        assert notifications.dossier_message_resend(message=message) is True
    message.refresh_from_db()
    assert (message.email_status, message.attempts, len(callbacks)) == (EmailStatus.PENDING, 0, 1)


def test_an_already_sent_message_is_not_sent_twice(immediate_tasks, review):
    message = review.messages.get()
    DossierMessage.objects.filter(pk=message.pk).update(email_status=EmailStatus.SENT)
    assert dossier_message_send.call(message.pk) == EmailStatus.SENT
    assert mail.outbox == []


def test_the_family_reads_its_messages_newest_first(client, review, agent):
    services.dossier_request_documents(dossier=review, agent=agent, message="Il manque l'attestation CAF.")
    client.force_login(owner(review))
    page = client.get(reverse("cantine:dossier_detail", args=[review.pk])).content.decode()
    documents = page.index("Il manque l&#x27;attestation CAF.")
    received = page.index("Nous avons bien reçu votre demande")
    assert page.index('id="titre-messages"') < documents < received


def test_a_requote_tells_many_families_with_one_task_per_batch(
    monkeypatch, settings, review, agent, django_capture_on_commit_callbacks
):
    """After a grid change every family whose tariff changes gets its message, the same as one at a time; the mails
    go by batches of MESSAGES_PER_TASK messages, each with its own attempts (a failure is retried on its own)."""
    monkeypatch.setattr(notifications, "MESSAGES_PER_TASK", 2)
    others = [under_review(submitted(DossierFactory(period=review.period))) for _n in range(2)]
    services.quotes_recompute(dossier_ids=[d.pk for d in others])
    grid = review.quote.grid
    grid.data = {**grid.data, "brackets": [{"up_to": None, "price": "3.90"}]}
    grid.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.quotes_recompute(dossier_ids=[review.pk, *(d.pk for d in others)], agent=agent)
    messages = DossierMessage.objects.filter(kind=Kind.TARIFF_CHANGED).order_by("pk")
    assert {message.dossier_id for message in messages} == {review.pk, *(d.pk for d in others)}
    assert {message.recipient for message in messages} == {owner(d).email for d in (review, *others)}
    assert all("3,90\xa0€ par repas" in message.body for message in messages)
    tasks = DBTaskResult.objects.filter(task_path="cantine.tasks.dossier_messages_send").order_by(
        "enqueued_at"
    )
    assert sorted(len(task.args_kwargs["args"][0]) for task in tasks) == [1, 2]
    settings.EMAIL_BACKEND = OUTAGE
    failing = tasks[0].args_kwargs["args"][0]
    assert dossier_messages_send.call(failing) == 0  # none sent: each queued again for its next attempt
    assert DBTaskResult.objects.filter(task_path="cantine.tasks.dossier_message_send").count() == len(failing)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox.clear()
    assert dossier_messages_send.call(tasks[1].args_kwargs["args"][0]) == len(tasks[1].args_kwargs["args"][0])
    assert [email.to for email in mail.outbox] == [
        [message.recipient] for message in messages if message.pk in tasks[1].args_kwargs["args"][0]
    ]


class TestSharedWording:
    """A re-quote words the message once per context, each dossier's reference put in: the same messages as worded
    one at a time, and a template that reads more of the dossier worded for each dossier."""

    @staticmethod
    def worded_alone(dossier, kind, context):
        message = notifications._message(dossier=dossier, kind=kind, **context)
        return (message.recipient, message.subject, message.body)

    @staticmethod
    def renders(kind):
        """The templates of `kind` rendered while the block runs (the test environment's signal)."""
        from django.test.signals import template_rendered

        names = []

        def count(sender, template, **kwargs):
            if template.name and template.name.startswith(f"cantine/emails/{kind}_"):
                names.append(template.name)

        template_rendered.connect(count)
        return names, lambda: template_rendered.disconnect(count)

    def test_the_same_messages_as_worded_one_at_a_time_with_two_renders_per_context(self, review):
        others = [submitted(DossierFactory(period=review.period)) for _n in range(3)]
        overridden = services.dossier_quote_override(
            dossier=others[0],
            amount=Decimal("1.20"),
            justification="Situation suivie par le CCAS.",
            agent=UserFactory(is_staff=True),
        )
        dossiers = [review, *others]
        contexts = [notifications.tariff_changed(d.quote if d != others[0] else overridden) for d in dossiers]
        expected = [self.worded_alone(d, Kind.TARIFF_CHANGED, c) for d, c in zip(dossiers, contexts)]
        names, stop = self.renders(Kind.TARIFF_CHANGED)
        try:
            messages = notifications.dossiers_notify(kind=Kind.TARIFF_CHANGED, notices=list(zip(dossiers, contexts)))
        finally:
            stop()
        assert [(m.recipient, m.subject, m.body) for m in messages] == expected
        assert len({d.reference for d in dossiers}) == 4 and all(d.reference in m.body for d, m in zip(dossiers, messages))
        assert "Situation suivie par le CCAS." in messages[1].body and "1,20\xa0€" in messages[1].body
        assert len(names) == 2 * 2  # two contexts (overridden or not), a subject and a body each

    def test_a_template_reading_more_of_the_dossier_is_worded_for_each(self, review):
        draft = DossierFactory(period=review.period)
        dossiers = [review, draft]
        expected = [self.worded_alone(d, Kind.INCOME_WITHDRAWN, {}) for d in dossiers]
        messages = notifications.dossiers_notify(kind=Kind.INCOME_WITHDRAWN, notices=[(d, {}) for d in dossiers])
        assert [(m.recipient, m.subject, m.body) for m in messages] == expected
        assert "indiquez de nouveau comment" in messages[1].body and "indiquez de nouveau" not in messages[0].body

    def test_a_context_that_cannot_be_compared_is_worded_for_each(self, review):
        context = {"amount": Decimal("2.00"), "unit": ["par repas"], "justification": None}  # a list: unhashable
        messages = notifications.dossiers_notify(kind=Kind.TARIFF_CHANGED, notices=[(review, context)])
        assert review.reference in messages[0].body and "2,00\xa0€ ['par repas']" in messages[0].body
