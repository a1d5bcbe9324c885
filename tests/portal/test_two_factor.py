"""The agents' admin opens only after the password and a TOTP code; families never meet the second factor.

These tests sign in through the forms: `client.login` checks the password alone (as the family sign-in does), while
tests/conftest.py makes `force_login` pass the second factor for the tests of admin pages."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from cantine import roles
from cantine.management.commands.seed_demo import DEMO_AGENT, DEMO_AGENTS, DEMO_TOTP_KEY
from portal.management.commands.demo_totp import current_code
from portal.models import User
from tests.cantine.test_roles import dossier_of_kind
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
LOGIN = reverse("admin:login")
INDEX = reverse("admin:index")


@pytest.fixture
def agent_with_device(db):
    agent = UserFactory(is_staff=True, is_superuser=True)
    return agent, TOTPDevice.objects.create(user=agent, name="Téléphone", confirmed=True)


GENERIC = "Adresse électronique, mot de passe ou code incorrect."


def sign_in(client, user, code="", address="127.0.0.1"):
    return client.post(
        LOGIN,
        {"username": user.email, "password": PASSWORD, "otp_token": code, "next": INDEX},
        REMOTE_ADDR=address,
    )


def wrong_code(device):
    return f"{(int(current_code(device)) + 1) % 1_000_000:06d}"


def error_note(response):
    return response.content.decode().split('class="errornote"')[1].split("</p>")[0]


def opens_the_admin(client):
    return client.get(INDEX).status_code == 200


class TestAdminSignIn:
    def test_the_page_asks_email_password_and_the_code(self, client):
        page = client.get(LOGIN).content.decode()
        assert "Adresse électronique" in page and "Mot de passe" in page
        assert "Code à 6 chiffres" in page and 'autocomplete="one-time-code"' in page

    def test_without_the_code_it_is_refused(self, client, agent_with_device):
        agent, _device = agent_with_device
        response = sign_in(client, agent)
        assert response.status_code == 200 and "Ce champ est obligatoire" in response.content.decode()
        assert not opens_the_admin(client)

    def test_a_wrong_code_is_refused(self, client, agent_with_device):
        agent, device = agent_with_device
        response = sign_in(client, agent, wrong_code(device))
        assert GENERIC in response.content.decode()
        assert not opens_the_admin(client)

    def test_one_wrong_code_does_not_make_the_next_try_wait(self, client, agent_with_device):
        """django-otp's own throttling (per device, so per account) is off: see the lockout tests below."""
        agent, device = agent_with_device
        sign_in(client, agent, wrong_code(device))
        assert sign_in(client, agent, current_code(device)).status_code == 302
        assert opens_the_admin(client)

    def test_the_right_code_opens_the_admin(self, client, agent_with_device):
        agent, device = agent_with_device
        response = sign_in(client, agent, current_code(device))
        assert response.status_code == 302 and response.url == INDEX
        assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
        assert opens_the_admin(client)

    def test_a_code_cannot_be_used_twice(self, client, agent_with_device):
        agent, device = agent_with_device
        code = current_code(device)
        sign_in(client, agent, code)
        client.logout()
        assert GENERIC in sign_in(client, agent, code).content.decode()

    def test_a_right_password_with_a_wrong_code_reads_as_a_wrong_password(self, client, agent_with_device):
        """The page never confirms a right password before the code is checked: one message for both."""
        agent, device = agent_with_device
        wrong_password = client.post(
            LOGIN, {"username": agent.email, "password": "pas-le-bon", "otp_token": current_code(device)}
        )
        wrong_code_only = sign_in(client, agent, wrong_code(device))
        assert error_note(wrong_password) == error_note(wrong_code_only)
        assert "mot de passe ou code incorrect" in error_note(wrong_password)
        assert not opens_the_admin(client)

    def test_without_a_code_the_password_is_not_checked(self, client, agent_with_device, monkeypatch):
        agent, _device = agent_with_device
        checks = []
        monkeypatch.setattr(User, "check_password", lambda self, raw: checks.append(raw) or True)
        response = sign_in(client, agent)
        assert "Ce champ est obligatoire" in response.content.decode() and checks == []


class TestAdminLockouts:
    """Wrong codes count per account and client address: whoever knows an agent's password cannot lock that agent
    out from elsewhere; the refusal tells the real wait."""

    def test_wrong_codes_lock_the_address_out_for_the_real_delay(self, client, agent_with_device, settings):
        settings.ADMIN_CODE_FAILURES_PER_ACCOUNT_AND_ADDRESS = "3/15 minutes"
        agent, device = agent_with_device
        for _ in range(3):
            sign_in(client, agent, wrong_code(device))
        response = sign_in(client, agent, current_code(device))
        assert "Trop de tentatives" in error_note(response) and "15 minutes" in error_note(response)
        assert not opens_the_admin(client)

    def test_the_agent_still_signs_in_from_another_address(self, client, agent_with_device, settings):
        settings.ADMIN_CODE_FAILURES_PER_ACCOUNT_AND_ADDRESS = "3/15 minutes"
        agent, device = agent_with_device
        for _ in range(5):
            sign_in(client, agent, wrong_code(device), address="203.0.113.66")
        assert sign_in(client, agent, current_code(device), address="198.51.100.7").status_code == 302
        assert opens_the_admin(client)

    def test_wrong_passwords_are_limited_per_account_with_the_same_words_for_an_unknown_one(
        self, client, agent_with_device, settings
    ):
        settings.ADMIN_SIGNIN_FAILURES_PER_ACCOUNT_AND_ADDRESS = "2/10 minutes"
        agent, device = agent_with_device
        for email in (agent.email, "inconnu@example.org"):
            for _ in range(2):
                client.post(LOGIN, {"username": email, "password": "faux", "otp_token": "123456"})
        known = client.post(
            LOGIN, {"username": agent.email, "password": PASSWORD, "otp_token": current_code(device)}
        )
        unknown = client.post(LOGIN, {"username": "inconnu@example.org", "password": "x", "otp_token": "123456"})
        assert "Trop de tentatives" in error_note(known) and error_note(known) == error_note(unknown)
        assert not opens_the_admin(client)


class TestStaffWithoutDevice:
    def test_the_right_password_leads_to_how_to_get_a_device(self, client):
        agent = UserFactory(is_staff=True)
        page = sign_in(client, agent, "123456").content.decode()
        assert "Double authentification à activer" in page
        assert "Demandez à un Responsable" in page
        assert 'name="otp_token"' not in page
        assert not opens_the_admin(client)

    def test_a_session_without_the_second_factor_does_not_open_the_admin(self, client, agent_with_device):
        agent, _device = agent_with_device
        assert client.login(email=agent.email, password=PASSWORD)  # the password alone, as on the family site
        assert client.get(INDEX).url.startswith(LOGIN)
        page = client.get(LOGIN).content.decode()
        assert "sans accès à l'espace agents" in page and 'name="otp_token"' in page

    def test_signed_in_on_the_family_site_without_a_device_explains_it(self, client):
        agent = UserFactory(is_staff=True)
        assert client.login(email=agent.email, password=PASSWORD)
        assert "Double authentification à activer" in client.get(LOGIN).content.decode()

    def test_without_the_second_factor_an_agent_cannot_download_a_notice(self, client, settings, tmp_path):
        settings.PRIVATE_MEDIA_ROOT = tmp_path
        _dossier, notice = dossier_of_kind("canteen")
        agent = UserFactory(is_staff=True, is_superuser=True)
        TOTPDevice.objects.create(user=agent, name="Téléphone", confirmed=True)
        assert client.login(email=agent.email, password=PASSWORD)
        assert client.get(reverse("impot:notice_file", args=[notice.pk])).status_code == 404


class TestFamilies:
    def test_a_family_signs_in_with_its_password_alone(self, client, household):
        response = client.post(
            reverse("portal:login"), {"username": household.owner.email, "password": PASSWORD}
        )
        assert response.url == reverse("portal:dashboard")
        assert client.get(reverse("portal:dashboard")).status_code == 200
        assert DEVICE_ID_SESSION_KEY not in client.session

    def test_the_family_sign_in_page_has_no_code_field(self, client):
        assert "otp_token" not in client.get(reverse("portal:login")).content.decode()

    def test_a_family_account_cannot_open_the_admin_even_with_a_code(self, client, household):
        device = TOTPDevice.objects.create(user=household.owner, name="Téléphone", confirmed=True)
        sign_in(client, household.owner, current_code(device))
        assert not opens_the_admin(client)


class TestCommands:
    def test_seed_demo_gives_each_demo_agent_its_group_and_device(self, settings):
        settings.DEBUG = True
        call_command("seed_demo", stdout=StringIO())
        for email, group in DEMO_AGENTS.items():
            agent = User.objects.get(email=email)
            assert agent.is_staff and not agent.is_superuser and agent.check_password(DEMO_AGENT[1])
            assert list(agent.groups.values_list("name", flat=True)) == [group]
        for email in [DEMO_AGENT[0], *DEMO_AGENTS]:
            assert TOTPDevice.objects.get(user__email=email).key == DEMO_TOTP_KEY
        assert roles.service_kinds(User.objects.get(email="cantine.demo@example.org")) == {"canteen"}

    def test_a_demo_agent_signs_in_with_the_code_demo_totp_prints(self, client, settings):
        settings.DEBUG = True
        call_command("seed_demo", stdout=StringIO())
        out = StringIO()
        call_command("demo_totp", "cantine.demo@example.org", stdout=out)
        response = client.post(
            LOGIN,
            {"username": "cantine.demo@example.org", "password": DEMO_AGENT[1], "otp_token": out.getvalue()},
        )
        assert response.status_code == 302 and opens_the_admin(client)

    def test_demo_totp_refuses_to_run_with_debug_off(self, settings, agent_with_device):
        settings.DEBUG = False
        with pytest.raises(CommandError, match="DEBUG"):
            call_command("demo_totp", agent_with_device[0].email, stdout=StringIO())

    def test_add_totp_device_prints_the_key_for_a_staff_account_only(self, household):
        agent = UserFactory(is_staff=True)
        out = StringIO()
        call_command("add_totp_device", agent.email, stdout=out)
        device = TOTPDevice.objects.get(user=agent)
        assert device.confirmed and device.config_url in out.getvalue()
        with pytest.raises(CommandError):
            call_command("add_totp_device", household.owner.email, stdout=StringIO())
