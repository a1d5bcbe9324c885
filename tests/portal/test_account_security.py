"""Issue 15, gaps 2, 3, 4 and 9: equal work whatever the address, limits on what a stranger can repeat, no account
blocked by someone who pre-registered its address, and account mails that survive a mail outage."""

import re
from datetime import timedelta

import pytest
from django.contrib.auth.hashers import MD5PasswordHasher
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from franceconnect.models import FranceConnectIdentity
from portal import services
from portal.models import Household, User
from tests.cantine.test_notifications import OUTAGE, make_retries_due, run_worker
from tests.factories import PASSWORD, HouseholdFactory, UserFactory
from tests.franceconnect.test_views import callback, start

pytestmark = pytest.mark.django_db

LOGIN = reverse("portal:login")
RESET = reverse("portal:password_reset")
SIGNUP = reverse("portal:signup")
SIGNUP_DATA = {
    "first_names": "Inès",
    "last_name": "Moreau",
    "birth_date": "1990-06-21",
    "email": "ines@example.org",
    "password1": "un-mot-de-passe-long",
    "password2": "un-mot-de-passe-long",
}
CONFIRM_LINK = re.compile(r"https?://[^/\s]+(/compte/confirmer/\S+)")
RESET_LINK = re.compile(r"https?://[^/\s]+(/compte/mot-de-passe/[^/\s]+/[^/\s]+/)")


@pytest.fixture
def hashes(monkeypatch):
    """Every password hash, computed or checked: each is one call of the test hasher's encode."""
    calls = []
    encode = MD5PasswordHasher.encode
    monkeypatch.setattr(MD5PasswordHasher, "encode", lambda self, *a: calls.append(1) or encode(self, *a))
    return calls


def sign_in(client, email, password=PASSWORD, address="127.0.0.1"):
    return client.post(LOGIN, {"username": email, "password": password}, REMOTE_ADDR=address)


def errors(response) -> str:
    """The page's error summary (the rest of the page holds a fresh CSRF token each time)."""
    page = response.content.decode()
    return page[page.index('class="error-summary"') :].split("</div>")[0]


def unconfirmed(email="attente@example.org", **kwargs):
    return UserFactory(email=email, is_active=False, email_confirmed_at=None, **kwargs)


class TestEqualWork:
    @pytest.mark.parametrize(
        "case, password",
        [
            ("unknown", PASSWORD),
            ("active", PASSWORD),
            ("active", "pas-le-bon"),
            ("unconfirmed", PASSWORD),
            ("unconfirmed", "pas-le-bon"),
        ],
    )
    def test_every_sign_in_costs_one_password_hash(self, client, hashes, case, password):
        if case == "active":
            HouseholdFactory(owner=UserFactory(email="claire@example.org"))
        elif case == "unconfirmed":
            unconfirmed(email="claire@example.org")
        hashes.clear()
        sign_in(client, "claire@example.org", password)
        assert len(hashes) == 1

    def test_the_reset_request_does_the_same_work_for_a_known_and_an_unknown_address(
        self, client, django_capture_on_commit_callbacks
    ):
        UserFactory(email="claire@example.org")
        work = {}
        for email in ("claire@example.org", "personne@example.org"):
            DBTaskResult.objects.all().delete()
            with (
                CaptureQueriesContext(connection) as queries,
                django_capture_on_commit_callbacks(execute=True),
            ):
                response = client.post(RESET, {"email": email})
            assert response.url == reverse("portal:password_reset_done")
            work[email] = (len(queries), DBTaskResult.objects.count(), len(mail.outbox))
        assert (
            work["claire@example.org"]
            == work["personne@example.org"]
            == (work["claire@example.org"][0], 1, 0)
        )


class TestFamilySignInLimits:
    def test_after_five_wrong_passwords_the_right_one_is_refused_with_the_real_delay(self, client, hashes):
        HouseholdFactory(owner=UserFactory(email="claire@example.org"))
        for _ in range(5):
            sign_in(client, "claire@example.org", "pas-le-bon")
        hashes.clear()
        response = sign_in(client, "claire@example.org")
        page = response.content.decode()
        assert response.status_code == 200 and "Trop de tentatives" in page and "15 minutes" in page
        assert "_auth_user_id" not in client.session
        assert hashes == []  # refused before any work
        assert 'value="claire@example.org"' in page

    def test_the_refusal_reads_the_same_for_an_unknown_address(self, client):
        HouseholdFactory(owner=UserFactory(email="claire@example.org"))
        pages = {}
        for email in ("claire@example.org", "personne@example.org"):
            for _ in range(5):
                sign_in(client, email, "pas-le-bon")
            pages[email] = errors(sign_in(client, email, "pas-le-bon"))
        assert pages["claire@example.org"] == pages["personne@example.org"]
        assert "Trop de tentatives" in pages["claire@example.org"]

    def test_another_address_is_not_locked_out_by_one_address(self, client):
        HouseholdFactory(owner=UserFactory(email="claire@example.org"))
        for _ in range(5):
            sign_in(client, "claire@example.org", "pas-le-bon", address="203.0.113.66")
        assert sign_in(client, "claire@example.org", address="198.51.100.7").url == reverse(
            "portal:dashboard"
        )

    def test_an_account_is_limited_across_addresses(self, client, settings):
        settings.SIGNIN_FAILURES_PER_ACCOUNT = "3/hour"
        HouseholdFactory(owner=UserFactory(email="claire@example.org"))
        for index in range(3):
            sign_in(client, "claire@example.org", "pas-le-bon", address=f"203.0.113.{index + 1}")
        response = sign_in(client, "claire@example.org", address="198.51.100.7")
        assert "Trop de tentatives" in response.content.decode()

    def test_an_address_is_limited_across_accounts(self, client, settings):
        settings.SIGNIN_FAILURES_PER_ADDRESS = "3/hour"
        HouseholdFactory(owner=UserFactory(email="claire@example.org"))
        for index in range(3):
            sign_in(client, f"essai-{index}@example.org", "pas-le-bon")
        assert "Trop de tentatives" in sign_in(client, "claire@example.org").content.decode()

    def test_an_ipv6_client_counts_by_its_slash_64(self, client, settings):
        settings.SIGNIN_FAILURES_PER_ADDRESS = "2/hour"
        HouseholdFactory(owner=UserFactory(email="claire@example.org"))
        for suffix in ("1", "2"):
            sign_in(client, f"essai-{suffix}@example.org", "x", address=f"2001:db8:1:2::{suffix}")
        assert (
            "Trop de tentatives"
            in sign_in(client, "claire@example.org", address="2001:db8:1:2::3").content.decode()
        )

    def test_behind_a_proxy_the_address_is_the_last_forwarded_one(self, client, settings):
        settings.CLIENT_ADDRESS_HEADER = "HTTP_X_FORWARDED_FOR"
        settings.SIGNIN_FAILURES_PER_ADDRESS = "2/hour"
        HouseholdFactory(owner=UserFactory(email="claire@example.org"))
        for index in range(2):
            client.post(
                LOGIN,
                {"username": f"essai-{index}@example.org", "password": "x"},
                HTTP_X_FORWARDED_FOR=f"10.0.0.{index}, 203.0.113.9",
            )
        blocked = client.post(
            LOGIN,
            {"username": "claire@example.org", "password": PASSWORD},
            HTTP_X_FORWARDED_FOR="203.0.113.9",
        )
        assert "Trop de tentatives" in blocked.content.decode()
        other = client.post(
            LOGIN,
            {"username": "claire@example.org", "password": PASSWORD},
            HTTP_X_FORWARDED_FOR="198.51.100.1",
        )
        assert other.url == reverse("portal:dashboard")


class TestMailLimits:
    def test_reset_mails_are_limited_per_address_typed_with_the_same_words_for_an_unknown_one(
        self, client, django_capture_on_commit_callbacks
    ):
        UserFactory(email="claire@example.org")
        pages = {}
        for email in ("claire@example.org", "personne@example.org"):
            for _ in range(3):
                with django_capture_on_commit_callbacks(execute=True):
                    assert client.post(RESET, {"email": email}).status_code == 302
            with django_capture_on_commit_callbacks(execute=True):
                response = client.post(RESET, {"email": email})
            assert response.status_code == 200
            pages[email] = errors(response)
        assert pages["claire@example.org"] == pages["personne@example.org"]
        assert "Trop de tentatives" in pages["claire@example.org"]
        assert DBTaskResult.objects.count() == 6  # 3 per address, the refused ones queued nothing

    def test_reset_mails_are_limited_per_client_address(self, client, settings):
        settings.PASSWORD_RESET_MAILS_PER_ADDRESS = "2/hour"
        for index in range(2):
            client.post(RESET, {"email": f"essai-{index}@example.org"})
        assert "Trop de tentatives" in client.post(RESET, {"email": "autre@example.org"}).content.decode()

    def test_sign_up_mails_are_limited_and_the_form_keeps_what_was_typed(self, client):
        for _ in range(3):
            assert client.post(SIGNUP, SIGNUP_DATA).status_code == 302
        response = client.post(SIGNUP, SIGNUP_DATA)
        page = response.content.decode()
        assert response.status_code == 200 and "Trop de tentatives" in page
        assert 'value="ines@example.org"' in page and 'value="Inès"' in page

    def test_sign_up_mails_are_limited_per_client_address(self, client, settings):
        settings.SIGNUP_MAILS_PER_ADDRESS = "2/hour"
        for index in range(2):
            client.post(SIGNUP, {**SIGNUP_DATA, "email": f"essai-{index}@example.org"})
        assert "Trop de tentatives" in client.post(SIGNUP, SIGNUP_DATA).content.decode()
        assert not User.objects.filter(email="ines@example.org").exists()


def confirmation_link(index=-1):
    return CONFIRM_LINK.search(mail.outbox[index].body).group(1)


def confirm(client, link, password="un-nouveau-mot-de-passe"):
    return client.post(link, {"new_password1": password, "new_password2": password})


class TestPreRegistration:
    """Someone types another person's address on the sign-up form: that person must keep every way in."""

    def test_confirming_sets_the_password_so_the_pre_registered_one_never_works(
        self, client, django_capture_on_commit_callbacks, immediate_tasks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(
                SIGNUP,
                {**SIGNUP_DATA, "password1": "choisi-par-un-autre", "password2": "choisi-par-un-autre"},
            )
        link = confirmation_link()
        assert 'name="new_password1"' in client.get(link).content.decode()
        assert confirm(client, link).url == reverse("portal:dashboard")
        client.logout()
        assert sign_in(client, "ines@example.org", "choisi-par-un-autre").status_code == 200
        assert sign_in(client, "ines@example.org", "un-nouveau-mot-de-passe").url == reverse(
            "portal:dashboard"
        )

    def test_confirming_without_a_password_activates_nothing(
        self, client, django_capture_on_commit_callbacks, immediate_tasks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(SIGNUP, SIGNUP_DATA)
        response = client.post(
            confirmation_link(), {"new_password1": "un-mot-de-passe-long", "new_password2": "autre"}
        )
        assert response.status_code == 200 and "ne sont pas identiques" in response.content.decode()
        assert not User.objects.get(email="ines@example.org").is_active
        assert "_auth_user_id" not in client.session

    def test_a_new_sign_up_replaces_the_unconfirmed_account_and_its_old_link(
        self, client, django_capture_on_commit_callbacks, immediate_tasks
    ):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(SIGNUP, {**SIGNUP_DATA, "first_names": "Usurpateur"})
        old_link = confirmation_link()
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(SIGNUP, SIGNUP_DATA)
        assert response.url == reverse("portal:signup_done")
        user = User.objects.get(email="ines@example.org")
        assert user.household.adults.get().first_names == "Inès"
        assert "Bonjour Inès" in mail.outbox[-1].body and "déjà un compte" not in mail.outbox[-1].subject
        assert client.get(old_link).status_code == 400
        assert confirm(client, confirmation_link()).url == reverse("portal:dashboard")

    def test_a_reset_request_for_an_unconfirmed_address_sends_a_fresh_confirmation(
        self, client, django_capture_on_commit_callbacks, immediate_tasks
    ):
        unconfirmed(email="ines@example.org")
        with django_capture_on_commit_callbacks(execute=True):
            client.post(RESET, {"email": "ines@example.org"})
        [email] = mail.outbox
        assert email.to == ["ines@example.org"]
        assert confirm(client, confirmation_link()).url == reverse("portal:dashboard")

    def test_a_franceconnect_sign_in_is_never_blocked_by_an_unconfirmed_account(self, client, provider):
        squatter = unconfirmed(email="wossewodda-3728@yopmail.com")
        HouseholdFactory(owner=squatter)
        query = start(client, provider)
        response = callback(client, code="code-1", state=query["state"])
        assert response.status_code == 302 and response.url == reverse("portal:dashboard")
        identity = FranceConnectIdentity.objects.get()
        assert identity.user.pk != squatter.pk and identity.user.email == "wossewodda-3728@yopmail.com"
        assert not User.objects.filter(pk=squatter.pk).exists()
        assert Household.objects.filter(owner=identity.user).exists()

    def test_a_confirmed_local_account_still_stops_franceconnect(self, client, provider):
        UserFactory(email="wossewodda-3728@yopmail.com")
        query = start(client, provider)
        assert callback(client, code="code-1", state=query["state"]).status_code == 409


class TestUnconfirmedExpiry:
    def test_the_purge_erases_unconfirmed_accounts_older_than_the_setting(self, settings):
        settings.RETENTION_UNCONFIRMED_ACCOUNT_DAYS = 7
        old = timezone.now() - timedelta(days=8)
        expired = unconfirmed(email="vieux@example.org", date_joined=old)
        HouseholdFactory(owner=expired)
        recent = unconfirmed(email="recent@example.org", date_joined=timezone.now() - timedelta(days=6))
        confirmed = UserFactory(email="confirme@example.org", date_joined=old)
        deactivated = UserFactory(email="desactive@example.org", is_active=False, date_joined=old)
        agent = UserFactory(
            email="agent@example.org", is_staff=True, is_active=False, email_confirmed_at=None
        )
        assert services.unconfirmed_accounts_purge() == 1
        assert not User.objects.filter(pk=expired.pk).exists()
        assert not Household.objects.filter(owner_id=expired.pk).exists()
        assert set(User.objects.values_list("pk", flat=True)) == {
            recent.pk,
            confirmed.pk,
            deactivated.pk,
            agent.pk,
        }
        assert services.unconfirmed_accounts_purge() == 0

    def test_the_delay_is_a_setting(self, settings):
        unconfirmed(date_joined=timezone.now() - timedelta(days=3))
        settings.RETENTION_UNCONFIRMED_ACCOUNT_DAYS = 2
        assert services.unconfirmed_accounts_purge() == 1


@pytest.mark.django_db(transaction=True)
class TestAccountMailsThroughTheQueue:
    """Through the real request, commit, database queue and worker, as dossier mails."""

    def test_a_sign_up_mail_is_queued_and_retried_while_the_mail_server_is_down(self, client, settings):
        settings.EMAIL_BACKEND = OUTAGE
        assert client.post(SIGNUP, SIGNUP_DATA).url == reverse("portal:signup_done")
        assert mail.outbox == [] and DBTaskResult.objects.get().task_path == "portal.tasks.account_mail_send"
        assert "ines@example.org" not in str(DBTaskResult.objects.get().args_kwargs)  # no address, no token
        run_worker()
        retry = DBTaskResult.objects.get(status="READY")
        assert retry.run_after > timezone.now() + timedelta(minutes=4)
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        make_retries_due()
        run_worker()
        [email] = mail.outbox
        assert email.to == ["ines@example.org"]
        assert confirm(client, confirmation_link()).url == reverse("portal:dashboard")

    def test_a_reset_mail_is_queued_and_retried_while_the_mail_server_is_down(self, client, settings):
        UserFactory(email="claire@example.org")
        settings.EMAIL_BACKEND = OUTAGE
        assert client.post(RESET, {"email": "claire@example.org"}).url == reverse(
            "portal:password_reset_done"
        )
        assert mail.outbox == []
        run_worker()
        assert DBTaskResult.objects.filter(status="READY").count() == 1
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        make_retries_due()
        run_worker()
        [email] = mail.outbox
        link = RESET_LINK.search(email.body).group(1)
        assert client.get(link, follow=True).status_code == 200

    def test_the_worker_sends_nothing_for_an_unknown_address(self, client):
        client.post(RESET, {"email": "personne@example.org"})
        run_worker()
        assert mail.outbox == []
        assert DBTaskResult.objects.get().status == "SUCCESSFUL"

    def test_after_the_last_attempt_the_mail_is_given_up(self, client, settings):
        settings.EMAIL_BACKEND = OUTAGE
        client.post(SIGNUP, SIGNUP_DATA)
        for _ in range(3):
            run_worker()
            make_retries_due()
        assert not DBTaskResult.objects.filter(status="READY").exists()
        assert DBTaskResult.objects.count() == 3
