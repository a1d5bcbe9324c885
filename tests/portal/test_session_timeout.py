"""Issue 15, gap 10: a session ends after an idle time (families 30 min, agents 15 min) and in any case 8 h after the
sign-in; activity extends the idle window, and the page after the sign-out says why. The clock is
portal.middleware.now, moved by the tests."""

import pytest
from django.urls import reverse

from portal import middleware
from tests.factories import PASSWORD, HouseholdFactory, UserFactory

pytestmark = pytest.mark.django_db

DASHBOARD = reverse("portal:dashboard")
ADMIN = reverse("admin:index")
MINUTE = 60


@pytest.fixture
def clock(monkeypatch):
    now = [1_780_000_000.0]
    monkeypatch.setattr(middleware, "now", lambda: now[0], raising=False)  # fails on its asserts without a clock
    return now


@pytest.fixture
def family(client, clock):
    household = HouseholdFactory()
    response = client.post(reverse("portal:login"), {"username": household.owner.email, "password": PASSWORD})
    assert response.url == DASHBOARD
    return client


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


class TestFamilies:
    def test_29_minutes_idle_keep_the_session(self, family, clock):
        clock[0] += 29 * MINUTE
        assert family.get(DASHBOARD).status_code == 200

    def test_30_minutes_idle_sign_out_with_a_french_explanation(self, family, clock):
        clock[0] += 30 * MINUTE
        response = family.get(DASHBOARD, follow=True)
        assert response.redirect_chain[-1][0].startswith(reverse("portal:login"))
        assert "Vous avez été déconnecté(e) après 30 minutes d&#x27;inactivité" in response.content.decode()
        assert not signed_in(family)

    def test_activity_extends_the_idle_window(self, family, clock):
        for _ in range(6):  # 2 h 30 in all, never 30 minutes without a request
            clock[0] += 25 * MINUTE
            assert family.get(DASHBOARD).status_code == 200
        assert signed_in(family)

    def test_a_post_after_the_idle_time_changes_nothing_and_asks_to_sign_in(self, family, clock):
        clock[0] += 31 * MINUTE
        response = family.post(reverse("portal:child_add"), {"first_names": "Léo"})
        assert response.status_code == 302 and response.url.startswith(reverse("portal:login"))

    def test_the_absolute_limit_holds_however_active(self, family, clock, settings):
        settings.SESSION_ABSOLUTE_TIMEOUT = 8 * 60 * MINUTE
        for _ in range(19):  # 7 h 55
            clock[0] += 25 * MINUTE
            assert family.get(DASHBOARD).status_code == 200
        clock[0] += 5 * MINUTE
        response = family.get(DASHBOARD, follow=True)
        assert "une session dure au plus 8 heures" in response.content.decode()
        assert not signed_in(family)

    def test_the_idle_time_is_a_setting(self, family, clock, settings):
        settings.SESSION_IDLE_TIMEOUT_FAMILY = 10 * MINUTE
        clock[0] += 10 * MINUTE
        response = family.get(DASHBOARD, follow=True)
        assert "après 10 minutes d&#x27;inactivité" in response.content.decode()

    def test_a_new_sign_in_starts_a_new_clock(self, family, clock):
        clock[0] += 31 * MINUTE
        family.get(DASHBOARD)
        user = UserFactory()
        HouseholdFactory(owner=user)
        family.post(reverse("portal:login"), {"username": user.email, "password": PASSWORD})
        clock[0] += 20 * MINUTE
        assert family.get(DASHBOARD).status_code == 200


class TestAgents:
    @pytest.fixture
    def agent_client(self, client, clock):
        client.force_login(UserFactory(is_staff=True, is_superuser=True))
        return client

    def test_14_minutes_idle_keep_the_admin_open(self, agent_client, clock):
        clock[0] += 14 * MINUTE
        assert agent_client.get(ADMIN).status_code == 200

    def test_15_minutes_idle_sign_the_agent_out_with_the_reason(self, agent_client, clock):
        clock[0] += 15 * MINUTE
        response = agent_client.get(ADMIN, follow=True)
        assert response.redirect_chain[-1][0].startswith(reverse("admin:login"))
        assert "après 15 minutes d&#x27;inactivité" in response.content.decode()
        assert not signed_in(agent_client)
