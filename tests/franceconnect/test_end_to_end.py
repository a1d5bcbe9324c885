"""The whole redirect dance between the portal and the FranceConnect simulator, over real HTTP on a live server."""

import re

import httpx
import pytest
from django.urls import reverse

from franceconnect.models import FranceConnectIdentity
from tests.franceconnect.live import use_sandbox

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sandbox(live_server, settings):
    """The portal configured for its own simulator, exactly as `make run` does, but on the live server's port."""
    use_sandbox(settings, live_server.url)
    with httpx.Client(base_url=live_server.url, follow_redirects=True, timeout=10) as browser:
        yield browser


def csrf_token(html):
    return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)


def pick_identity(browser, key):
    page = browser.get(reverse("franceconnect:login"))
    assert "/sandbox/franceconnect/api/v2/authorize" in str(page.url)
    return browser.post(
        str(page.url),
        data={"csrfmiddlewaretoken": csrf_token(page.text), "identity": key},
        headers={"Referer": str(page.url)},
    )


def test_sign_in_then_sign_out_through_the_simulator(sandbox):
    dashboard = pick_identity(sandbox, "test")
    assert dashboard.url.path == reverse("portal:dashboard")
    assert "Certifiée par FranceConnect" in dashboard.text
    assert "Angela Claire Louise" in dashboard.text and "<dd>France</dd>" in dashboard.text
    identity = FranceConnectIdentity.objects.get()
    assert identity.acr == "eidas1" and identity.sub.endswith("v1")

    home = sandbox.post(
        reverse("franceconnect:logout"),
        data={"csrfmiddlewaretoken": csrf_token(dashboard.text)},
        headers={"Referer": str(dashboard.url)},
    )
    assert home.url.path == reverse("portal:home")
    assert "déconnecté(e) du portail et de FranceConnect" in home.text
    assert sandbox.get(reverse("portal:dashboard")).url.path == reverse("portal:login")


def test_second_sign_in_finds_the_same_account(sandbox):
    pick_identity(sandbox, "test")
    sandbox.cookies.clear()
    pick_identity(sandbox, "test")
    assert FranceConnectIdentity.objects.count() == 1


def test_cancelling_on_franceconnect_comes_back_to_a_french_page(sandbox):
    page = sandbox.get(reverse("franceconnect:login"))
    back = sandbox.post(
        str(page.url),
        data={"csrfmiddlewaretoken": csrf_token(page.text), "cancel": "1"},
        headers={"Referer": str(page.url)},
    )
    assert back.status_code == 200
    assert "Connexion annulée" in back.text
