"""Redis (the shared cache) down or the task queue failing: every page ends on a French page with the dossier kept,
never a 500, and /healthz says which dependency is down (issue 15, gap 7).

Measured before: with CACHE_URL on a Redis that was stopped, « J'autorise » and FranceConnect sign-in answered 500,
and /healthz 200. "Down" here is a real Redis client on a port nothing listens on; the healthy case is the real
Redis on 127.0.0.1:6379 (skipped without it, a failure in CI)."""

# ruff: noqa: F811 - the `dossier` and `dgfip` fixtures, imported, are tests' arguments

import os
import socket
import uuid
from datetime import timedelta
from unittest import mock

import pytest
import redis
from django.db import DatabaseError
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from cantine.models import Dossier
from franceconnect.models import FranceConnectIdentity
from impot_client import client as impot_client
from impot_client.situation import ImpotUnavailable
from portal import ratelimit
from portal.models import Consent
from tests.cantine.income.test_views import dgfip, shown  # noqa: F401 - `dgfip` is a fixture
from tests.factories import DossierFactory
from tests.franceconnect.op import ISSUER, authorize_params
from tests.impot_client.conftest import dossier, holder, private_media  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

LIVE_REDIS = "redis://127.0.0.1:6379/15"


def closed_port() -> int:
    """A port nothing listens on: bound, then released."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def redis_cache_settings(location: str) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": f"test-dependencies-{uuid.uuid4().hex}",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


@pytest.fixture
def redis_down(monkeypatch):
    """The cache and the rate limits on a Redis that does not answer. Restored before other fixtures' teardown
    (which may clear the cache)."""
    monkeypatch.setattr(ratelimit, "_limiters", {})
    with override_settings(CACHES=redis_cache_settings(f"redis://127.0.0.1:{closed_port()}/0")):
        yield
    ratelimit._limiters.clear()


@pytest.fixture
def redis_up(monkeypatch):
    connection = redis.Redis.from_url(LIVE_REDIS, socket_connect_timeout=0.5)
    try:
        connection.ping()
    except redis.exceptions.RedisError as error:
        message = f"Redis is not reachable at 127.0.0.1:6379 ({error})"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    monkeypatch.setattr(ratelimit, "_limiters", {})
    caches = redis_cache_settings(LIVE_REDIS)
    with override_settings(CACHES=caches):
        yield
    for key in connection.scan_iter(f"{caches['default']['KEY_PREFIX']}:*"):
        connection.delete(key)


class TestRateLimitsFailSafe:
    def test_a_window_that_cannot_be_counted_refuses_with_unavailable(self, redis_down):
        with pytest.raises(ratelimit.Unavailable):
            ratelimit.hit("5/minute", "k")
        with pytest.raises(ratelimit.Unavailable):
            ratelimit.allows("5/minute", "k")

    def test_windows_count_on_a_live_redis(self, redis_up):
        assert [ratelimit.hit("1/minute", "k") for _ in range(2)] == [True, False]

    def test_the_dgfip_quota_refuses_the_call_when_it_cannot_be_counted(self, redis_down):
        with pytest.raises(ImpotUnavailable) as raised:
            impot_client._take_quota("cid")
        assert "Réessayez" in str(raised.value.message)


class TestIncomeConsentWithRedisDown:
    def test_numero_fiscal_consent_ends_on_the_income_page_with_a_french_retry_and_no_lookup(
        self, family_client, dossier, dgfip, redis_down
    ):
        response = family_client.post(
            reverse("impot:authorize", args=[dossier.pk]),
            {"shown": shown(family_client, dossier), "numero_fiscal": "3999990000025"},
        )
        assert response.status_code == 503
        page = response.content.decode()
        assert "Réessayez dans quelques minutes" in page
        assert 'value="3999990000025"' in page  # the form keeps what was typed
        assert dgfip.calls == []
        assert not Consent.objects.exists()  # refused before anything changes
        assert Dossier.objects.filter(pk=dossier.pk, status=Dossier.Status.DRAFT).exists()

    def test_franceconnect_consent_still_goes_to_franceconnect(self, client, provider, redis_down):
        """FranceConnect's discovery document and keys are only a copy in the cache: asked again without it."""
        query = authorize_params(client.get(reverse("franceconnect:login")).url)
        provider.nonce = query["nonce"]
        client.get(reverse("franceconnect:callback"), {"code": "c", "state": query["state"]})
        user = FranceConnectIdentity.objects.get().user
        draft = DossierFactory(child__household=user.household, income_declined=False)
        page = client.get(reverse("impot:income", args=[draft.pk]))
        response = client.post(reverse("impot:authorize", args=[draft.pk]), {"shown": page.context["shown"]})
        assert response.status_code == 302 and response.url.startswith(f"{ISSUER}/authorize?")
        assert Consent.objects.filter(dossier=draft, mode="franceconnect").exists()
        # back from FranceConnect, the DGFiP quota cannot be counted: no call, the income page says to retry
        query = authorize_params(response.url)
        provider.nonce = query["nonce"]
        back = client.get(reverse("impot:franceconnect_callback"), {"code": "c2", "state": query["state"]})
        assert back.status_code == 302 and back.url == reverse("impot:income", args=[draft.pk])
        page = client.get(back.url).content.decode()
        assert "Réessayez dans quelques minutes" in page
        assert Dossier.objects.filter(pk=draft.pk, status=Dossier.Status.DRAFT).exists()


class TestSignInWithRedisDown:
    def test_franceconnect_sign_in_completes(self, client, provider, redis_down):
        response = client.get(reverse("franceconnect:login"))
        assert response.status_code == 302 and response.url.startswith(f"{ISSUER}/authorize?")
        query = authorize_params(response.url)
        provider.nonce = query["nonce"]
        callback = client.get(reverse("franceconnect:callback"), {"code": "c", "state": query["state"]})
        assert callback.status_code == 302
        assert FranceConnectIdentity.objects.exists()
        assert client.get(reverse("portal:dashboard")).status_code == 200

    def test_password_sign_in_is_refused_in_french_while_its_limits_cannot_be_counted(
        self, client, household, password, redis_down
    ):
        """The sign-in's attempt limits live in the shared cache: uncounted, a password could be tried without end,
        so the sign-in waits for the cache (fail closed) on the French 503 page. FranceConnect sign-in goes on."""
        response = client.post(
            reverse("portal:login"), {"username": household.owner.email, "password": password}
        )
        assert response.status_code == 503 and "Réessayez dans quelques minutes" in response.content.decode()
        assert client.get(reverse("portal:dashboard")).status_code == 302  # not signed in


class TestAnyViewHittingADeadCache:
    def test_ends_on_a_french_503_page_not_a_500(self, family_client):
        with mock.patch(
            "portal.views.selectors.household_for", side_effect=redis.exceptions.ConnectionError("refused")
        ):
            response = family_client.get(reverse("portal:dashboard"))
        assert response.status_code == 503
        assert response["Retry-After"]
        page = response.content.decode()
        assert "Service momentanément indisponible" in page
        assert "ne sont pas perdus" in page and "Réessayez dans quelques minutes" in page

    def test_other_errors_are_left_to_django(self, family_client):
        with (
            mock.patch("portal.views.selectors.household_for", side_effect=KeyError("bug")),
            pytest.raises(KeyError),
        ):
            family_client.get(reverse("portal:dashboard"))


class TestTaskQueueFailing:
    def test_sending_a_dossier_with_the_queue_failing_keeps_it_sent_and_answers_a_page(
        self, family_client, dossier, django_capture_on_commit_callbacks, monkeypatch
    ):
        from django_tasks_db.backend import DatabaseBackend

        def refuse(*args, **kwargs):
            raise DatabaseError("task table unavailable")

        monkeypatch.setattr(DatabaseBackend, "enqueue", refuse)
        family_client.post(reverse("impot:decline", args=[dossier.pk]), {"shown": shown(family_client, dossier)})
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            response = family_client.post(reverse("cantine:dossier_review", args=[dossier.pk]))
        assert callbacks  # the mail was to be queued, and the queue refused it
        assert response.status_code == 302
        dossier.refresh_from_db()
        assert dossier.status == Dossier.Status.SUBMITTED


class TestHealthz:
    def test_reports_the_database_and_the_task_queue_under_the_default_settings(self, client):
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json() == {"status": "ok", "database": "ok", "tasks": "ok"}

    def test_reports_a_live_redis_cache(self, client, redis_up):
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json()["cache"] == "ok"

    def test_503_when_redis_is_down(self, client, redis_down):
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json() == {"status": "error", "database": "ok", "cache": "unavailable", "tasks": "ok"}

    def test_503_when_the_task_table_does_not_answer(self, client):
        with mock.patch(
            "django_tasks_db.models.DBTaskResultQuerySet.ready", side_effect=DatabaseError("no table")
        ):
            response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json()["tasks"] == "unavailable"

    def test_a_worker_that_does_not_keep_up_is_reported_without_failing_the_node(self, client, settings):
        from django_tasks_db.models import DBTaskResult

        from cantine.tasks import dossier_message_send

        settings.TASKS_WORKER_LATE_AFTER_SECONDS = 60
        result = dossier_message_send.enqueue(0)
        assert client.get("/healthz").json()["worker"] == "ok"
        DBTaskResult.objects.filter(pk=result.id).update(enqueued_at=timezone.now() - timedelta(minutes=5))
        response = client.get("/healthz")
        assert response.status_code == 200
        assert response.json()["worker"] == "late"
