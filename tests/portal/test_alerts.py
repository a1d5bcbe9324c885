"""Operational alerts: "les agents sont prévenus" is true. What only the commune can fix reaches ALERT_EMAILS through
the task queue, once an hour per kind, and waits on the admin index until someone resolves it."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from cantine.roles import CANTEEN_AGENTS, MANAGERS
from impot_client import services
from impot_client.situation import AccessRefused, GatewayMisconfigured, ImpotUnavailable, QuotaReached
from portal import alerts
from portal.models import OperationalAlert
from tests.cantine.test_notifications import OUTAGE, run_worker
from tests.factories import DossierFactory, UserFactory
from tests.impot_client.conftest import grant

NUMERO_FISCAL = "3999990000025"
IMMEDIATE = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def recipients(settings):
    settings.ALERT_EMAILS = ["informatique@beauval.example", "regie@beauval.example"]
    settings.TASKS = IMMEDIATE
    return settings.ALERT_EMAILS


@pytest.fixture
def dossier(household):
    return DossierFactory(child__household=household, income_declined=False)


@pytest.fixture
def dgfip(monkeypatch):
    """The DGFiP client answers with `dgfip.error`."""

    def fetch(numero_fiscal, today=None):
        raise fetch.error

    monkeypatch.setattr(services.client, "fetch_by_numero_fiscal", fetch)
    return fetch


@pytest.fixture
def lookup(dossier, dgfip, django_capture_on_commit_callbacks, settings):
    """One numéro-fiscal lookup that ends with `error`, its commit callbacks run (the queue is immediate). The
    lookups stand for many families' at once: one account's own limits are not what these tests count."""
    for limit in ("ATTEMPTS_PER_ACCOUNT", "NUMBERS_PER_ACCOUNT", "ATTEMPTS_PER_DOSSIER", "NUMBERS_PER_DOSSIER"):
        setattr(settings, f"IMPOT_NUMERO_FISCAL_{limit}", "1000/minute")

    def run(error):
        dgfip.error = error
        with pytest.raises(type(error)), django_capture_on_commit_callbacks(execute=True):
            services.tax_data_fetch_by_numero_fiscal(consent=grant(dossier), numero_fiscal=NUMERO_FISCAL)

    return run


class Clock:
    """portal.alerts.now(), moved by tests instead of sleeping."""

    def __init__(self):
        self.value = 1_780_000_000.0

    def __call__(self):
        return self.value

    def advance(self, minutes):
        self.value += minutes * 60


@pytest.fixture
def clock(monkeypatch):
    """Also forgets the streaks that earlier tests' refusals started in the cache."""
    cache.clear()
    clock = Clock()
    monkeypatch.setattr(alerts, "now", clock)
    yield clock
    cache.clear()


def personal_data(dossier):
    household = dossier.child.household
    holder = household.adults.get()
    return [
        NUMERO_FISCAL,
        holder.last_name,
        holder.first_names,
        household.owner.email,
        dossier.child.last_name,
    ]


ERRORS = [
    (AccessRefused("HTTP 403", correlation_id="corr-403"), "impot_access_refused", "habilitation DataPass"),
    (
        GatewayMisconfigured("HTTP 404 without a DGFiP body", correlation_id="corr-404"),
        "impot_misconfigured",
        "IMPOT_API_URL",
    ),
]


@pytest.mark.parametrize(("error", "kind", "to_check"), ERRORS)
def test_an_error_the_commune_must_fix_opens_one_alert_and_mails_the_recipients_once(
    recipients, lookup, dossier, error, kind, to_check
):
    lookup(error)
    alert = OperationalAlert.objects.get()
    assert (alert.kind, alert.occurrences, alert.resolved_at) == (kind, 1, None)
    assert to_check in alert.message and error.correlation_id in alert.message
    assert "numero_fiscal" in alert.message  # the mode
    [email] = mail.outbox
    assert email.to == recipients
    assert "Alerte" in email.subject and to_check in email.body and error.correlation_id in email.body
    assert "Première occurrence" in email.body and "/admin/" in email.body
    for text in personal_data(dossier):
        assert text not in alert.message and text not in email.subject and text not in email.body


@pytest.mark.parametrize(("error", "kind", "to_check"), ERRORS)
def test_a_second_occurrence_within_the_hour_is_counted_not_mailed(recipients, lookup, error, kind, to_check):
    lookup(error)
    lookup(error)
    alert = OperationalAlert.objects.get()
    assert alert.occurrences == 2 and alert.last_seen >= alert.first_seen
    assert len(mail.outbox) == 1


def test_the_alert_is_mailed_again_when_it_recurs_after_the_hour(recipients, lookup):
    lookup(AccessRefused("HTTP 403"))
    OperationalAlert.objects.update(mailed_at=timezone.now() - alerts.MAIL_INTERVAL - timedelta(seconds=1))
    lookup(AccessRefused("HTTP 403"))
    assert OperationalAlert.objects.get().occurrences == 2
    assert len(mail.outbox) == 2


def test_each_kind_has_its_own_alert_and_mail(recipients, lookup):
    lookup(AccessRefused("HTTP 403"))
    lookup(GatewayMisconfigured("HTTP 400"))
    assert set(OperationalAlert.objects.values_list("kind", flat=True)) == {
        "impot_access_refused",
        "impot_misconfigured",
    }
    assert len(mail.outbox) == 2


def test_an_outage_of_dgfip_alerts_nobody(recipients, lookup):
    """DGFiP down is theirs to fix, and the family is told to retry: no alert."""
    lookup(ImpotUnavailable("HTTP 503"))
    assert not OperationalAlert.objects.exists() and mail.outbox == []


def test_without_any_recipient_the_alert_still_shows(settings, lookup):
    settings.ALERT_EMAILS = []
    settings.TASKS = IMMEDIATE
    lookup(AccessRefused("HTTP 403"))
    assert OperationalAlert.objects.count() == 1 and mail.outbox == []


class TestQuota:
    def test_refused_for_less_than_the_setting_alerts_nobody(self, recipients, lookup, clock, settings):
        settings.IMPOT_QUOTA_ALERT_AFTER_MINUTES = 5
        for _minute in range(5):
            lookup(QuotaReached())
            clock.advance(minutes=0.9)
        assert not OperationalAlert.objects.exists() and mail.outbox == []

    def test_refused_for_longer_opens_one_alert(self, recipients, lookup, clock, settings, dossier):
        settings.IMPOT_QUOTA_ALERT_AFTER_MINUTES = 5
        for _minute in range(8):
            lookup(QuotaReached())
            clock.advance(minutes=1)
        alert = OperationalAlert.objects.get()
        assert alert.kind == "impot_quota" and "IMPOT_QUOTA_PER_MINUTE" in alert.message
        assert alert.occurrences == 3  # minutes 5, 6 and 7
        [email] = mail.outbox
        assert "quota" in email.subject
        for text in personal_data(dossier):
            assert text not in email.body

    def test_a_pause_in_the_refusals_starts_the_count_again(self, recipients, lookup, clock, settings):
        settings.IMPOT_QUOTA_ALERT_AFTER_MINUTES = 5
        lookup(QuotaReached())
        clock.advance(minutes=4)  # the quota came back meanwhile
        lookup(QuotaReached())
        clock.advance(minutes=2)
        lookup(QuotaReached())
        assert not OperationalAlert.objects.exists()


def staff(group):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


class TestAdmin:
    @pytest.fixture
    def alert(self, recipients, lookup):
        lookup(AccessRefused("HTTP 403", correlation_id="corr-403"))
        return OperationalAlert.objects.get()

    @pytest.mark.parametrize("group", [CANTEEN_AGENTS, MANAGERS])
    def test_the_admin_index_shows_the_open_alerts_to_every_agent(self, client, alert, group):
        client.force_login(staff(group))
        page = client.get(reverse("admin:index")).content.decode()
        assert "Alerte d'exploitation ouverte" in page
        assert "habilitation DataPass" in page and "corr-403" in page

    def test_a_resolved_alert_leaves_the_index(self, client, alert, agent):
        alerts.alert_resolve(alert=alert)
        client.force_login(agent)
        page = client.get(reverse("admin:index")).content.decode()
        assert "corr-403" not in page and "Alerte d'exploitation" not in page

    @pytest.mark.parametrize("who", ["superuser", MANAGERS])
    def test_a_superuser_or_a_manager_marks_it_resolved(self, client, alert, agent, who):
        client.force_login(agent if who == "superuser" else staff(MANAGERS))
        changelist = reverse("admin:portal_operationalalert_changelist")
        response = client.post(changelist, {"action": "resolve", "_selected_action": [alert.pk]})
        assert response.status_code == 302
        alert.refresh_from_db()
        assert alert.resolved_at is not None

    def test_an_agent_reads_them_but_cannot_resolve_them(self, client, alert):
        client.force_login(staff(CANTEEN_AGENTS))
        changelist = reverse("admin:portal_operationalalert_changelist")
        page = client.get(changelist).content.decode()
        assert "corr-403" in page and "Marquer comme résolues" not in page
        client.post(changelist, {"action": "resolve", "_selected_action": [alert.pk]})
        alert.refresh_from_db()
        assert alert.resolved_at is None

    def test_nobody_edits_or_deletes_an_alert(self, client, alert, agent):
        client.force_login(agent)
        assert client.get(reverse("admin:portal_operationalalert_change", args=[alert.pk])).status_code == 200
        assert client.get(reverse("admin:portal_operationalalert_add")).status_code == 403
        assert client.get(reverse("admin:portal_operationalalert_delete", args=[alert.pk])).status_code == 403

    def test_a_new_occurrence_after_resolution_opens_a_new_alert_and_mails(self, alert, lookup):
        alerts.alert_resolve(alert=alert)
        lookup(AccessRefused("HTTP 403"))
        assert OperationalAlert.objects.filter(resolved_at=None).count() == 1
        assert OperationalAlert.objects.count() == 2 and len(mail.outbox) == 2


@pytest.mark.django_db(transaction=True)
def test_the_familys_message_is_true_through_the_request_the_queue_and_the_worker(
    client, settings, dgfip, migrations_data
):
    """Through the real request, commit, database queue and worker: the family reads « les agents sont prévenus »,
    and they are, even when the mail server is down for a while."""
    settings.ALERT_EMAILS = ["informatique@beauval.example"]
    settings.EMAIL_BACKEND = OUTAGE
    dgfip.error = AccessRefused("HTTP 403", correlation_id="corr-403")
    dossier = DossierFactory(income_declined=False)
    client.force_login(dossier.child.household.owner)
    shown = client.get(reverse("impot:income", args=[dossier.pk])).context["shown"]
    response = client.post(
        reverse("impot:authorize", args=[dossier.pk]), {"shown": shown, "numero_fiscal": NUMERO_FISCAL}
    )
    assert response.status_code == 200 and "les agents sont prévenus" in response.content.decode()
    assert OperationalAlert.objects.get().kind == "impot_access_refused"
    task = DBTaskResult.objects.get()
    assert task.task_path == "portal.alerts.alert_mail_send" and mail.outbox == []  # queued, not sent

    run_worker()  # the mail server is down: tried again later
    retry = DBTaskResult.objects.get(status="READY")
    assert retry.run_after > timezone.now() + timedelta(minutes=4)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    DBTaskResult.objects.filter(status="READY").update(run_after=timezone.now())
    run_worker()
    [email] = mail.outbox
    assert email.to == ["informatique@beauval.example"] and "corr-403" in email.body

    agent = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(agent)
    assert "corr-403" in client.get(reverse("admin:index")).content.decode()
