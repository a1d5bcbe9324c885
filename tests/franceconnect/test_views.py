"""The callback and logout views against the fake provider: the family never sees a 500."""

import time

import httpx
import pytest
from django.urls import reverse

from franceconnect.models import FranceConnectIdentity
from portal.models import Adult
from tests.factories import HouseholdFactory, UserFactory
from tests.franceconnect.op import ISSUER, SUB, authorize_params

pytestmark = pytest.mark.django_db


def start(client, provider, **params):
    response = client.get(reverse("franceconnect:login"), params)
    assert response.status_code == 302 and response.url.startswith(f"{ISSUER}/authorize?")
    query = authorize_params(response.url)
    provider.nonce = query["nonce"]
    return query


def callback(client, **params):
    return client.get(reverse("franceconnect:callback"), params)


def test_first_sign_in_creates_the_family_account_with_its_certified_identity(client, provider):
    query = start(client, provider)
    response = callback(client, code="code-1", state=query["state"])
    assert response.url == reverse("portal:dashboard")
    identity = FranceConnectIdentity.objects.get(sub=SUB)
    assert identity.user.email == "wossewodda-3728@yopmail.com"
    assert not identity.user.has_usable_password()
    holder = identity.user.household.adults.get(role=Adult.Role.HOLDER)
    assert (holder.first_names, holder.last_name, str(holder.birth_date)) == (
        "Angela Claire Louise",
        "DUBOIS",
        "1962-08-24",
    )
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert "Certifiée par FranceConnect" in page
    assert "<dd>France</dd>" in page and "<dd>Paris 7e Arrondissement (Paris)</dd>" in page
    assert "99100" not in page and "75107" not in page  # names, not the raw INSEE codes (issue 16)


def test_later_sign_ins_find_the_account_by_sub(client, provider):
    for _ in range(2):
        query = start(client, provider)
        callback(client, code="code", state=query["state"])
        client.logout()
    assert FranceConnectIdentity.objects.count() == 1


def test_never_merges_with_a_local_account_by_email(client, provider):
    local = UserFactory(email="wossewodda-3728@yopmail.com")
    query = start(client, provider)
    response = callback(client, code="code-1", state=query["state"])
    assert response.status_code == 409
    assert "liez-le à FranceConnect" in response.content.decode()
    assert not FranceConnectIdentity.objects.exists()
    assert "_auth_user_id" not in client.session
    assert not hasattr(local, "franceconnect")


def test_local_account_links_franceconnect_and_its_identity_becomes_read_only(client, provider):
    household = HouseholdFactory()
    client.force_login(household.owner)
    response = client.post(reverse("franceconnect:link"))
    query = authorize_params(response.url)
    provider.nonce = query["nonce"]
    callback(client, code="code-1", state=query["state"])
    assert household.owner.franceconnect.sub == SUB
    response = client.post(
        reverse("portal:adult_edit", args=["holder"]),
        {"first_names": "Faux", "last_name": "Nom", "phone": "0600000000"},
    )
    holder = household.adults.get(role=Adult.Role.HOLDER)
    assert holder.first_names == "Angela Claire Louise" and holder.phone == "0600000000"


@pytest.mark.parametrize("state", ["", "forged-state-forged-state-forged-state"])
def test_unknown_state_is_refused(client, provider, state):
    start(client, provider)
    response = callback(client, code="code-1", state=state)
    assert response.status_code == 400
    assert "La connexion a expiré" in response.content.decode()
    assert not provider.token_route.called


def test_state_is_single_use(client, provider):
    query = start(client, provider)
    callback(client, code="code-1", state=query["state"])
    response = callback(client, code="code-1", state=query["state"])  # replayed, same browser
    assert response.status_code == 400
    assert provider.token_route.call_count == 1


def test_old_state_is_refused(client, provider, monkeypatch):
    query = start(client, provider)
    later = time.time() + 11 * 60
    monkeypatch.setattr("franceconnect.flows.time.time", lambda: later)
    assert callback(client, code="code-1", state=query["state"]).status_code == 400


def test_state_from_another_browser_is_refused(client, provider, django_user_model):
    from django.test import Client

    query = start(client, provider)
    assert callback(Client(), code="code-1", state=query["state"]).status_code == 400


def test_user_cancelling_gets_a_french_page_with_the_alternatives(client, provider):
    query = start(client, provider)
    response = callback(
        client, error="access_denied", error_description="User auth aborted", state=query["state"]
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "Connexion annulée" in html
    assert reverse("franceconnect:login") in html and reverse("portal:login") in html


def test_provider_error_is_explained(client, provider):
    query = start(client, provider)
    response = callback(client, error="server_error", state=query["state"])
    assert response.status_code == 502
    assert "FranceConnect a signalé une erreur" in response.content.decode()


def test_wrong_iss_parameter_is_refused(client, provider):
    query = start(client, provider)
    response = callback(client, code="code-1", state=query["state"], iss="https://evil.example/api/v2")
    assert response.status_code == 400
    assert not provider.token_route.called


@pytest.mark.parametrize("failure", [httpx.ConnectError("refused"), httpx.ReadTimeout("slow")])
def test_unreachable_franceconnect_at_login_gives_a_french_page(client, respx_mock, settings, failure):
    settings.FRANCECONNECT_ISSUER = ISSUER
    respx_mock.get(f"{ISSUER}/.well-known/openid-configuration").mock(side_effect=failure)
    response = client.get(reverse("franceconnect:login"))
    assert response.status_code == 502
    assert "FranceConnect ne répond pas" in response.content.decode()


def test_unconfigured_franceconnect_gives_a_french_page(client, settings):
    settings.FRANCECONNECT_ISSUER = ""
    response = client.get(reverse("franceconnect:login"))
    assert response.status_code == 502
    assert "FranceConnect ne répond pas" in response.content.decode()


def test_token_endpoint_answering_a_web_page_gives_a_french_page(client, provider):
    query = start(client, provider)
    provider.token_route.mock(return_value=httpx.Response(502, text="<html>Bad gateway</html>"))
    response = callback(client, code="code-1", state=query["state"])
    assert response.status_code == 502
    assert "_auth_user_id" not in client.session


def test_link_callback_after_signing_out_links_nothing(client, provider):
    household = HouseholdFactory()
    client.force_login(household.owner)
    query = authorize_params(client.post(reverse("franceconnect:link")).url)
    flow = client.session["franceconnect_flow"]
    client.logout()
    session = client.session
    session["franceconnect_flow"] = flow  # the state survives in a new anonymous session
    session.save()
    response = callback(client, code="code-1", state=query["state"])
    assert response.status_code == 400
    assert not provider.token_route.called
    assert not FranceConnectIdentity.objects.exists()


def test_slow_token_endpoint_gives_a_french_page(client, provider):
    query = start(client, provider)
    provider.token_route.mock(side_effect=httpx.ReadTimeout("slow"))
    response = callback(client, code="code-1", state=query["state"])
    assert response.status_code == 502
    assert "FranceConnect ne répond pas" in response.content.decode()


def test_tampered_id_token_signs_nobody_in(client, provider):
    query = start(client, provider)
    provider.id_claims = {"aud": "another-client"}
    response = callback(client, code="code-1", state=query["state"])
    assert response.status_code == 400
    assert "_auth_user_id" not in client.session


def test_next_must_stay_on_the_portal(client, provider):
    query = start(client, provider, next="https://evil.example/")
    assert callback(client, code="c", state=query["state"]).url == reverse("portal:dashboard")
    client.logout()
    query = start(client, provider, next="/demarches/inscription/")
    assert callback(client, code="c", state=query["state"]).url == "/demarches/inscription/"


def test_logout_goes_through_franceconnect_and_checks_the_returned_state(client, provider):
    query = start(client, provider)
    callback(client, code="code-1", state=query["state"])
    page = client.get(reverse("portal:dashboard")).content.decode()
    assert reverse("franceconnect:logout") in page
    response = client.post(reverse("franceconnect:logout"))
    params = authorize_params(response.url)
    assert response.url.startswith(f"{ISSUER}/session/end?")
    assert params["id_token_hint"].count(".") == 2
    assert params["post_logout_redirect_uri"] == "http://testserver" + reverse(
        "franceconnect:logout_callback"
    )
    assert "_auth_user_id" not in client.session

    response = client.get(reverse("franceconnect:logout_callback"), {"state": "forged"}, follow=True)
    assert "n&#x27;a pas pu être vérifié" in response.content.decode()
    client.post(reverse("franceconnect:logout"))  # no FC session any more: plain logout


def test_logout_callback_with_the_right_state(client, provider):
    query = start(client, provider)
    callback(client, code="code-1", state=query["state"])
    params = authorize_params(client.post(reverse("franceconnect:logout")).url)
    response = client.get(reverse("franceconnect:logout_callback"), {"state": params["state"]}, follow=True)
    assert "déconnecté(e) du portail et de FranceConnect" in response.content.decode()


def test_sign_in_and_sign_up_pages_show_the_button_first(client):
    for name in ("portal:login", "portal:signup"):
        html = client.get(reverse(name)).content.decode()
        button, separator, form = (
            html.index('class="fr-connect"'),
            html.index(">OU<"),
            html.index('name="csrfmiddlewaretoken"'),
        )
        assert button < separator < form
        assert 'href="https://franceconnect.gouv.fr/" target="_blank" rel="noopener"' in html
        assert "S’identifier avec" in html and "FranceConnect est la solution proposée par l’État" in html
