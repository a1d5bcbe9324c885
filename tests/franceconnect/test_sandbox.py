"""The FranceConnect simulator keeps each rule of FranceConnect v2 that a client can observe: every test
below has a request that honours the rule and one that breaks it, or pins a value a client relies on."""

import base64
import hashlib
import json
import re
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.core.cache import cache
from django.test import Client
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet

from franceconnect.sandbox import keys, views
from franceconnect.sandbox.identities import IDENTITIES
from portal.settings import simulators as portal_settings
from tests.franceconnect.op import IDENTITY

pytestmark = pytest.mark.urls("portal.urls_dev")

BASE = "/sandbox/franceconnect/api/v2"
ISSUER = "http://testserver" + BASE
CLIENT_ID = "portail-famille-test"
CLIENT_SECRET = "secret-du-portail-de-test"
REDIRECT_URI = "http://testserver/franceconnect/callback/"
LOGOUT_URI = "http://testserver/franceconnect/logout/callback/"
STATE = "etat-aleatoire-de-plus-de-32-caracteres-0001"
NONCE = "nonce-aleatoire-de-plus-de-32-caracteres-0002"
SCOPE = "openid identite_pivot email preferred_username"
# RFC 7636, appendix B: an independent pair to check the S256 computation against.
CODE_VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CODE_CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
START = 1_750_000_000
ENVELOPE = {"sub", "iss", "aud", "iat", "exp"}


@pytest.fixture(autouse=True)
def sandbox(settings):
    """The simulator as `make run` serves it (pytest-django forces DEBUG off), knowing one client."""
    settings.DEBUG = True
    settings.FRANCECONNECT_SANDBOX = True
    settings.FRANCECONNECT_ISSUER = ISSUER
    settings.FRANCECONNECT_CLIENT_ID = CLIENT_ID
    settings.FRANCECONNECT_CLIENT_SECRET = CLIENT_SECRET
    settings.FRANCECONNECT_SANDBOX_REDIRECT_URIS = [REDIRECT_URI]
    settings.FRANCECONNECT_SANDBOX_POST_LOGOUT_REDIRECT_URIS = [LOGOUT_URI]
    cache.clear()
    yield
    cache.clear()


class Clock:
    def __init__(self):
        self.value = START

    def __call__(self):
        return self.value


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """The simulator's time, moved by hand: expiry is tested without sleeping."""
    fake = Clock()
    monkeypatch.setattr(views, "now", fake)
    return fake


def authorize_url(**overrides):
    params = {
        "client_id": CLIENT_ID,
        "redirect_uri": REDIRECT_URI,
        "response_type": "code",
        "scope": SCOPE,
        "state": STATE,
        "nonce": NONCE,
        "acr_values": "eidas1",
        "prompt": "login consent",
        **overrides,
    }
    return f"{BASE}/authorize?" + urlencode(
        {name: value for name, value in params.items() if value is not None}
    )


def query(response):
    return {name: values[0] for name, values in parse_qs(urlsplit(response["Location"]).query).items()}


def sign_in(client, identity="test", **overrides):
    """Pick `identity` on the authorize page; returns the code sent back to the service."""
    response = client.post(authorize_url(**overrides), {"identity": identity})
    assert response.status_code == 302, response.content
    return query(response)["code"]


def exchange(client, code, headers=None, **overrides):
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": REDIRECT_URI,
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        **overrides,
    }
    return client.post(
        f"{BASE}/token", {name: value for name, value in data.items() if value is not None}, headers=headers
    )


def tokens(client, identity="test", **overrides):
    response = exchange(client, sign_in(client, identity, **overrides))
    assert response.status_code == 200, response.content
    return response.json()


def verified(client, token):
    """Decode and verify `token` as a client would: against the published JWKS, ES256 only."""
    published = KeySet.import_key_set(client.get(f"{BASE}/jwks").json())
    return jwt.decode(token, published, algorithms=["ES256"])


def userinfo(client, access_token):
    return client.get(f"{BASE}/userinfo", headers={"Authorization": f"Bearer {access_token}"})


def basic(client_id, secret):
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


# Gate: DEBUG and FRANCECONNECT_SANDBOX, at request time and in check --deploy.

ENDPOINTS = [
    ("get", "/.well-known/openid-configuration"),
    ("get", "/authorize"),
    ("post", "/token"),
    ("get", "/userinfo"),
    ("get", "/session/end"),
    ("get", "/jwks"),
    ("post", "/checktoken"),
]


@pytest.mark.parametrize("path", [path for _method, path in ENDPOINTS])
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("setting", ["DEBUG", "FRANCECONNECT_SANDBOX"])
def test_every_endpoint_is_404_unless_debug_and_sandbox_are_on(client, settings, method, path, setting):
    """Whatever the method: a 405 would already tell that the simulator is there."""
    setattr(settings, setting, False)
    assert getattr(client, method)(BASE + path).status_code == 404


@pytest.mark.parametrize("method,path", ENDPOINTS)
def test_every_endpoint_answers_when_debug_and_sandbox_are_on(client, method, path):
    """The 404s above come from the gate, not from a wrong path."""
    assert getattr(client, method)(BASE + path).status_code != 404


@pytest.mark.urls("portal.urls")
@pytest.mark.parametrize("method,path", ENDPOINTS)
def test_production_urls_do_not_mount_the_simulator(client, method, path):
    """Production's URLconf has no simulator to gate: 404 even with DEBUG and the sandbox on."""
    assert getattr(client, method)(BASE + path).status_code == 404


# Discovery and keys.


def test_discovery_builds_every_url_from_the_configured_issuer(client, settings):
    settings.FRANCECONNECT_ISSUER = "https://fc.example.test/api/v2"
    document = client.get(f"{BASE}/.well-known/openid-configuration").json()
    assert document["issuer"] == "https://fc.example.test/api/v2"
    assert document["authorization_endpoint"] == "https://fc.example.test/api/v2/authorize"
    assert document["token_endpoint"] == "https://fc.example.test/api/v2/token"
    assert document["userinfo_endpoint"] == "https://fc.example.test/api/v2/userinfo"
    assert document["end_session_endpoint"] == "https://fc.example.test/api/v2/session/end"
    assert document["jwks_uri"] == "https://fc.example.test/api/v2/jwks"


def test_discovery_advertises_what_franceconnect_supports(client):
    document = client.get(f"{BASE}/.well-known/openid-configuration").json()
    assert document["response_types_supported"] == ["code"]
    assert document["grant_types_supported"] == ["authorization_code"]
    assert document["acr_values_supported"] == ["eidas1"]
    assert document["id_token_signing_alg_values_supported"] == ["ES256"]
    assert document["userinfo_signing_alg_values_supported"] == ["ES256"]
    assert document["token_endpoint_auth_methods_supported"] == ["client_secret_post"]
    assert document["code_challenge_methods_supported"] == ["S256"]
    assert document["subject_types_supported"] == ["pairwise"]
    assert document["prompt_values_supported"] == ["login", "consent"]
    assert {"openid", "profile", "birth", "identite_pivot", "email"} <= set(document["scopes_supported"])
    assert {"sub", "given_name", "given_name_array", "birthplace", "birthcountry"} <= set(
        document["claims_supported"]
    )


def test_jwks_holds_one_public_es256_key_with_a_kid(client):
    published = client.get(f"{BASE}/jwks").json()["keys"]
    assert len(published) == 1
    key = published[0]
    assert {name: key[name] for name in ("kty", "crv", "alg", "use")} == {
        "kty": "EC",
        "crv": "P-256",
        "alg": "ES256",
        "use": "sig",
    }
    assert key["kid"] and key["x"] and key["y"]
    assert "d" not in key


def test_signing_key_is_derived_from_secret_key_alone(client, settings):
    """Every worker computes the same key from SECRET_KEY; another SECRET_KEY gives another key."""
    first = client.get(f"{BASE}/jwks").json()
    keys._key_from.cache_clear()  # as a fresh worker process would start
    assert client.get(f"{BASE}/jwks").json() == first
    settings.SECRET_KEY = "une-autre-cle-secrete-pour-un-autre-deploiement-0123456789"
    other = client.get(f"{BASE}/jwks").json()["keys"][0]
    assert other["kid"] != first["keys"][0]["kid"]
    assert other["x"] != first["keys"][0]["x"]


# Authorize: the page, its refusals, the way back.


def test_authorize_page_lists_the_test_identities_in_an_accessible_french_form(client):
    response = client.get(authorize_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="fr">' in html
    assert "<title>Choisir une identité de test — FranceConnect — simulateur</title>" in html
    assert "<h1>Choisir une identité de test</h1>" in html
    assert "<legend>Identité de test</legend>" in html
    for key in IDENTITIES:
        assert f'<label for="identity-{key}">' in html
        assert f'id="identity-{key}" value="{key}"' in html
    assert "Angela Claire Louise DUBOIS" in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert "Annuler et revenir au service" in html
    assert "formnovalidate" in html  # cancelling needs no identity picked
    assert "<script" not in html and "<style" not in html and "style=" not in html  # CSP: self only
    assert "no-store" in response["Cache-Control"]


def test_authorize_page_lets_its_form_redirect_to_the_service(client, settings):
    """Chromium applies CSP form-action to the redirect answering the form: with 'self' alone, it blocks
    the way back to a service on another origin (checked by hand in Chromium)."""
    settings.FRANCECONNECT_SANDBOX_REDIRECT_URIS = ["http://localhost:8000/franceconnect/callback/"]
    response = client.get(authorize_url(redirect_uri="http://localhost:8000/franceconnect/callback/"))
    directives = dict(
        directive.strip().split(" ", 1) for directive in response["Content-Security-Policy"].split(";")
    )
    assert "http://localhost:8000" in directives["form-action"].split()


def test_picking_an_identity_is_csrf_protected():
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(authorize_url(), {"identity": "test"}).status_code == 403
    browser.get(authorize_url())
    token = browser.cookies["csrftoken"].value
    assert (
        browser.post(authorize_url(), {"identity": "test", "csrfmiddlewaretoken": token}).status_code == 302
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"client_id": "service-inconnu"},
        {"client_id": None},
        {"redirect_uri": REDIRECT_URI.rstrip("/")},
        {"redirect_uri": REDIRECT_URI + "?next=/"},
        {"redirect_uri": "http://pirate.example/franceconnect/callback/"},
        {"redirect_uri": None},
        {
            "redirect_uri": "http://pirate.example/",
            "state": None,
        },  # other errors wait until the URI is trusted
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_unknown_client_or_redirect_uri_shows_an_error_page_and_never_redirects(client, overrides, method):
    response = getattr(client, method)(
        authorize_url(**overrides), {"identity": "test"} if method == "post" else None
    )
    assert response.status_code == 400
    assert "Location" not in response
    assert "<h1>Demande refusée</h1>" in response.content.decode()


@pytest.mark.parametrize(
    "overrides,error",
    [
        ({"response_type": "token"}, "unsupported_response_type"),
        ({"response_type": None}, "unsupported_response_type"),
        ({"scope": "profile email"}, "invalid_scope"),
        ({"scope": "openid address"}, "invalid_scope"),  # removed in v2
        ({"nonce": None}, "invalid_request"),
        ({"acr_values": None}, "invalid_request"),
        ({"acr_values": "eidas2"}, "invalid_request"),
        ({"prompt": "none"}, "invalid_request"),
        ({"code_challenge": CODE_CHALLENGE, "code_challenge_method": "plain"}, "invalid_request"),
        ({"code_challenge": CODE_CHALLENGE}, "invalid_request"),  # no method means plain
        ({"code_challenge_method": "S256"}, "invalid_request"),
        ({"code_challenge": "trop-court", "code_challenge_method": "S256"}, "invalid_request"),
        ({"claims": "{pas du json"}, "invalid_request"),
        ({"claims": '["amr"]'}, "invalid_request"),
        ({"claims": '{"id_token": ["amr"]}'}, "invalid_request"),
    ],
)
@pytest.mark.parametrize("method", ["get", "post"])
def test_invalid_authorization_requests_go_back_to_the_service_with_the_error(
    client, overrides, error, method
):
    response = getattr(client, method)(
        authorize_url(**overrides), {"identity": "test"} if method == "post" else None
    )
    assert response.status_code == 302
    assert response["Location"].startswith(REDIRECT_URI + "?")
    answer = query(response)
    assert answer["error"] == error
    assert answer["error_description"]
    assert answer["state"] == STATE
    assert answer["iss"] == ISSUER
    assert "code" not in answer


def test_missing_state_goes_back_as_invalid_request(client):
    response = client.get(authorize_url(state=None))
    assert response.status_code == 302
    answer = query(response)
    assert answer["error"] == "invalid_request"
    assert "state" not in answer


def test_cancelling_goes_back_with_access_denied_in_french_and_the_state(client):
    response = client.post(authorize_url(), {"cancel": "1", "identity": "test"})
    assert response.status_code == 302
    answer = query(response)
    assert answer["error"] == "access_denied"
    assert answer["error_description"] == "L'usager a annulé la connexion avec FranceConnect."
    assert answer["state"] == STATE
    assert "code" not in answer


@pytest.mark.parametrize("data", [{}, {"identity": "inconnue"}])
def test_continuing_without_a_known_identity_shows_the_page_again_with_an_error(client, data):
    response = client.post(authorize_url(), data)
    assert response.status_code == 400
    assert "Location" not in response
    html = response.content.decode()
    assert "Choisissez une identité de test pour continuer." in html
    assert 'aria-invalid="true"' in html


def test_picking_an_identity_goes_back_with_a_code_the_state_and_the_issuer(client):
    response = client.post(authorize_url(), {"identity": "test"})
    assert response.status_code == 302
    assert response["Location"].startswith(REDIRECT_URI + "?")
    answer = query(response)
    assert set(answer) == {"code", "state", "iss"}
    assert answer["state"] == STATE
    assert answer["iss"] == ISSUER
    assert len(answer["code"]) >= 32


def test_a_redirect_uri_with_a_query_keeps_it(client, settings):
    settings.FRANCECONNECT_SANDBOX_REDIRECT_URIS = [REDIRECT_URI + "?retour=1"]
    response = client.post(authorize_url(redirect_uri=REDIRECT_URI + "?retour=1"), {"identity": "test"})
    assert response["Location"].startswith(REDIRECT_URI + "?retour=1&code=")


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost:8000"])
@pytest.mark.parametrize("path", ["/franceconnect/callback/", "/demarches/revenus/franceconnect/retour/"])
def test_make_run_registers_both_portal_callbacks(client, settings, host, path):
    """Sign-in, and the consent to the DGFiP scopes, each come back to their own callback (the defaults that
    portal/settings/simulators.py derives from SITE_URL, http://127.0.0.1:8000 unless set)."""
    settings.FRANCECONNECT_SANDBOX_REDIRECT_URIS = portal_settings.FRANCECONNECT_SANDBOX_REDIRECT_URIS
    response = client.post(authorize_url(redirect_uri=f"http://{host}{path}"), {"identity": "test"})
    assert response["Location"].startswith(f"http://{host}{path}?code=")


# Token.


def test_token_response_is_what_franceconnect_returns(client):
    response = exchange(client, sign_in(client))
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "id_token", "scope"}
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 60
    assert body["scope"] == SCOPE
    assert response["Cache-Control"] == "no-store"


def test_id_token_is_signed_with_the_published_key_and_carries_franceconnect_claims(client, clock):
    code = sign_in(client)
    clock.value += 5
    body = exchange(client, code).json()
    token = verified(client, body["id_token"])
    assert token.header["alg"] == "ES256"
    assert token.header["kid"] == client.get(f"{BASE}/jwks").json()["keys"][0]["kid"]
    claims = token.claims
    assert claims["iss"] == ISSUER
    assert claims["aud"] == CLIENT_ID
    assert claims["iat"] == START + 5
    assert claims["exp"] == START + 65
    assert claims["auth_time"] == START
    assert claims["acr"] == "eidas1"
    assert claims["nonce"] == NONCE
    digest = hashlib.sha256(body["access_token"].encode()).digest()
    assert claims["at_hash"] == base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
    assert re.fullmatch(r"[0-9a-f]{64}v1", claims["sub"])
    assert "amr" not in claims


def test_amr_is_in_the_id_token_when_the_claims_parameter_asks_for_it(client):
    body = tokens(client, claims=json.dumps({"id_token": {"amr": {"essential": True}}}))
    assert verified(client, body["id_token"]).claims["amr"] == ["pwd"]


def test_sub_is_stable_per_person_and_differs_between_people_and_services(client, settings):
    def sub(identity, client_id=CLIENT_ID):
        code = sign_in(client, identity, client_id=client_id)
        body = exchange(client, code, client_id=client_id).json()
        return verified(client, body["id_token"]).claims["sub"]

    first = sub("test")
    assert sub("test") == first
    assert sub("avec_nom_dusage") != first
    settings.FRANCECONNECT_CLIENT_ID = "autre-service"
    assert sub("test", client_id="autre-service") != first


@pytest.mark.parametrize(
    "overrides,headers",
    [
        ({"client_secret": "mauvais-secret"}, None),
        ({"client_id": "service-inconnu"}, None),
        ({"client_secret": None}, None),
        ({"client_id": None, "client_secret": None}, {"Authorization": basic(CLIENT_ID, CLIENT_SECRET)}),
        ({}, {"Authorization": basic(CLIENT_ID, CLIENT_SECRET)}),  # even alongside the right POST secret
    ],
)
def test_token_accepts_client_secret_post_only(client, overrides, headers):
    response = exchange(client, sign_in(client), headers=headers, **overrides)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize("grant_type", ["refresh_token", "client_credentials", None])
def test_token_accepts_the_authorization_code_grant_only(client, grant_type):
    response = exchange(client, sign_in(client), grant_type=grant_type)
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


def test_token_is_post_only(client):
    assert client.get(f"{BASE}/token").status_code == 405


def assert_invalid_grant(response):
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert response.json()["error_description"]


def test_unknown_code_is_refused(client):
    assert_invalid_grant(exchange(client, "code-inconnu"))


def test_code_is_single_use(client):
    code = sign_in(client)
    assert exchange(client, code).status_code == 200
    assert_invalid_grant(exchange(client, code))


@pytest.mark.parametrize("age,status", [(29, 200), (30, 400)])
def test_code_is_valid_30_seconds(client, clock, age, status):
    code = sign_in(client)
    clock.value += age
    assert exchange(client, code).status_code == status


@pytest.mark.parametrize("redirect_uri", ["http://testserver/autre/callback/", None])
def test_code_is_bound_to_its_redirect_uri(client, redirect_uri):
    assert_invalid_grant(exchange(client, sign_in(client), redirect_uri=redirect_uri))


def test_code_is_bound_to_its_client(client, settings):
    code = sign_in(client)
    settings.FRANCECONNECT_CLIENT_ID = "autre-service"
    assert_invalid_grant(exchange(client, code, client_id="autre-service"))


def test_pkce_with_the_right_verifier_is_accepted(client):
    code = sign_in(client, code_challenge=CODE_CHALLENGE, code_challenge_method="S256")
    assert exchange(client, code, code_verifier=CODE_VERIFIER).status_code == 200


@pytest.mark.parametrize("verifier", [None, "x" * 43, CODE_VERIFIER[:-1] + "Y", "trop-court"])
def test_pkce_without_the_right_verifier_is_refused(client, verifier):
    code = sign_in(client, code_challenge=CODE_CHALLENGE, code_challenge_method="S256")
    assert_invalid_grant(exchange(client, code, code_verifier=verifier))


@pytest.mark.parametrize(
    "verifier,status",
    [("a" * 43, 200), ("~._-" * 32, 200), ("a" * 42, 400), ("a" * 129, 400), ("é" * 43, 400)],
)
def test_pkce_verifier_must_be_43_to_128_unreserved_characters(client, verifier, status):
    """RFC 7636 §4.1, even when the verifier does hash to the challenge."""
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    code = sign_in(client, code_challenge=challenge, code_challenge_method="S256")
    assert exchange(client, code, code_verifier=verifier).status_code == status


def test_a_verifier_without_a_challenge_is_refused(client):
    """Otherwise an attacker could strip PKCE from the authorization request (downgrade)."""
    assert_invalid_grant(exchange(client, sign_in(client), code_verifier=CODE_VERIFIER))


# Userinfo.


def test_userinfo_is_a_signed_jwt_about_the_same_sub(client):
    body = tokens(client)
    response = userinfo(client, body["access_token"])
    assert response.status_code == 200
    assert response["Content-Type"] == "application/jwt"
    token = verified(client, response.content.decode())
    assert token.header["alg"] == "ES256"
    assert token.header["kid"] == client.get(f"{BASE}/jwks").json()["keys"][0]["kid"]
    assert token.claims["sub"] == verified(client, body["id_token"]).claims["sub"]
    assert token.claims["iss"] == ISSUER
    assert token.claims["aud"] == CLIENT_ID
    assert {name: value for name, value in token.claims.items() if name not in ENVELOPE} == IDENTITY


PIVOT = {"given_name", "given_name_array", "family_name", "birthdate", "gender", "birthplace", "birthcountry"}


@pytest.mark.parametrize(
    "scope,claims",
    [
        ("openid", set()),
        ("openid email", {"email"}),
        ("openid given_name", {"given_name", "given_name_array"}),
        ("openid family_name birthdate gender", {"family_name", "birthdate", "gender"}),
        ("openid birthplace birthcountry", {"birthplace", "birthcountry"}),
        ("openid preferred_username", {"preferred_username"}),
        ("openid birth", {"birthplace", "birthcountry"}),
        ("openid identite_pivot", PIVOT),
        ("openid dgfip_rfr dgfip_nbpart dgfip_nmNaiDec1 dgfip_annee_n_moins_1", set()),  # for DGFiP only
        ("openid profile", PIVOT - {"birthplace", "birthcountry"} | {"preferred_username"}),
    ],
)
def test_userinfo_releases_only_the_claims_of_the_granted_scopes(client, scope, claims):
    body = tokens(client, "avec_nom_dusage", scope=scope)
    released = verified(client, userinfo(client, body["access_token"]).content.decode()).claims
    assert set(released) - ENVELOPE == claims


@pytest.mark.parametrize(
    "identity,expected",
    [
        ("test", {"given_name_array": ["Angela", "Claire", "Louise"], "family_name": "DUBOIS"}),
        (
            "avec_nom_dusage",
            {
                "given_name": "Pierre",
                "family_name": "MERCIER",
                "preferred_username": "DUBOIS",
                "gender": "male",
            },
        ),
        ("deux_prenoms", {"given_name": "Valentin Emmanuel", "given_name_array": ["Valentin", "Emmanuel"]}),
        ("genre_indefini", {"gender": "unspecified"}),
        ("naissance_algerie", {"birthplace": "", "birthcountry": "99352"}),
        ("date_naissance_partielle", {"birthdate": "1992-11-00", "birthplace": ""}),
        (
            "caracteres_speciaux",
            {"given_name": "Jean-Noël Élie", "family_name": "D'ARTAGNAN-ÉPÉE", "birthplace": "2A004"},
        ),
        ("moins_18_ans", {"birthdate": "2010-11-02"}),
    ],
)
def test_each_test_identity_reaches_the_client_intact(client, identity, expected):
    body = tokens(client, identity)
    released = verified(client, userinfo(client, body["access_token"]).content.decode()).claims
    assert {name: released.get(name) for name in expected} == expected


def test_userinfo_without_a_bearer_token_asks_for_one(client):
    for response in (
        client.get(f"{BASE}/userinfo"),
        client.get(f"{BASE}/userinfo", headers={"Authorization": basic(CLIENT_ID, CLIENT_SECRET)}),
    ):
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Bearer"


@pytest.mark.parametrize("access_token", ["jeton-inconnu", ""])
def test_userinfo_refuses_an_unknown_token(client, access_token):
    response = userinfo(client, access_token)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'


@pytest.mark.parametrize("age,status", [(59, 200), (60, 401)])
def test_access_token_is_valid_60_seconds(client, clock, age, status):
    body = tokens(client)
    clock.value += age
    response = userinfo(client, body["access_token"])
    assert response.status_code == status
    if status == 401:
        assert response["WWW-Authenticate"] == 'Bearer error="invalid_token"'


# Logout.


def session_end(client, hint, **overrides):
    params = {
        "id_token_hint": hint,
        "state": "etat-de-deconnexion-0003",
        "post_logout_redirect_uri": LOGOUT_URI,
        **overrides,
    }
    return client.get(
        f"{BASE}/session/end", {name: value for name, value in params.items() if value is not None}
    )


def test_session_end_goes_back_to_the_registered_uri_with_the_state(client):
    response = session_end(client, tokens(client)["id_token"])
    assert response.status_code == 302
    assert response["Location"] == LOGOUT_URI + "?state=etat-de-deconnexion-0003"


def test_session_end_accepts_an_expired_id_token(client, clock):
    id_token = tokens(client)["id_token"]
    clock.value += 3600
    assert session_end(client, id_token).status_code == 302


@pytest.mark.parametrize("missing", ["id_token_hint", "state", "post_logout_redirect_uri"])
def test_session_end_requires_its_three_parameters(client, missing):
    response = session_end(client, tokens(client)["id_token"], **{missing: None})
    assert response.status_code == 400
    assert "Location" not in response
    assert "sont obligatoires" in response.content.decode()


@pytest.mark.parametrize(
    "uri", [LOGOUT_URI.rstrip("/"), "http://pirate.example/franceconnect/logout/callback/", REDIRECT_URI]
)
def test_session_end_refuses_an_unregistered_post_logout_uri(client, uri):
    response = session_end(client, tokens(client)["id_token"], post_logout_redirect_uri=uri)
    assert response.status_code == 400
    assert "Location" not in response


def test_session_end_refuses_an_id_token_signed_by_another_key(client):
    genuine = verified(client, tokens(client)["id_token"])
    forger = ECKey.generate_key("P-256")
    forged = jwt.encode(genuine.header, genuine.claims, forger, algorithms=["ES256"])
    for hint in (forged, "pas-un-jwt"):
        response = session_end(client, hint)
        assert response.status_code == 400
        assert "pas été émis par ce simulateur" in response.content.decode()


@pytest.mark.parametrize(
    "claims",
    [{"iss": "https://autre.example/api/v2", "aud": CLIENT_ID}, {"iss": ISSUER, "aud": "autre-service"}],
)
def test_session_end_refuses_an_id_token_for_another_issuer_or_client(client, claims):
    assert session_end(client, keys.sign({"sub": "x", **claims})).status_code == 400


# Checktoken (introspection for data providers).

DATA_PROVIDER_ID = "dgfip-sandbox"
DATA_PROVIDER_SECRET = "dgfip-sandbox-secret-not-for-production"
DGFIP_SCOPES = "dgfip_rfr dgfip_nbpart dgfip_annee_n_moins_1"


def checktoken(client, access_token, headers=None, **overrides):
    data = {
        "token": access_token,
        "client_id": DATA_PROVIDER_ID,
        "client_secret": DATA_PROVIDER_SECRET,
        **overrides,
    }
    return client.post(
        f"{BASE}/checktoken",
        {name: value for name, value in data.items() if value is not None},
        headers=headers,
    )


def test_checktoken_describes_a_live_access_token_to_its_data_provider(client):
    body = tokens(client, scope=f"{SCOPE} {DGFIP_SCOPES}")
    response = checktoken(client, body["access_token"])
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    answer = response.json()
    assert answer["active"] is True
    assert answer["aud"] == CLIENT_ID
    assert (answer["iat"], answer["exp"]) == (START, START + 60)
    assert answer["acr"] == "eidas1"
    assert answer["jti"]
    assert answer["scope"] == DGFIP_SCOPES  # the data provider's scopes only
    assert answer["identity"] == {
        "given_name": "Angela Claire Louise",
        "family_name": "DUBOIS",
        "birthdate": "1962-08-24",
        "gender": "female",
        "birthplace": "75107",
        "birthcountry": "99100",
    }


def test_checktoken_gives_the_pivot_identity_whatever_the_scopes(client):
    answer = checktoken(
        client, tokens(client, "avec_nom_dusage", scope="openid dgfip_rfr")["access_token"]
    ).json()
    assert answer["scope"] == "dgfip_rfr"
    assert answer["identity"] == {
        "given_name": "Pierre",
        "family_name": "MERCIER",
        "birthdate": "1969-03-17",
        "gender": "male",
        "birthplace": "95277",
        "birthcountry": "99100",
    }


def test_checktoken_sub_is_the_data_providers_own(client):
    """Pairwise per client: the data provider cannot correlate with the service's `sub`, nor the reverse."""
    body = tokens(client)
    sub = checktoken(client, body["access_token"]).json()["sub"]
    assert re.fullmatch(r"[0-9a-f]{64}v1", sub)
    assert sub != verified(client, body["id_token"]).claims["sub"]
    assert sub == checktoken(client, tokens(client)["access_token"]).json()["sub"]


def test_checktoken_data_provider_comes_from_settings(client, settings):
    settings.FRANCECONNECT_SANDBOX_DATA_PROVIDER_ID = "autre-fournisseur"
    settings.FRANCECONNECT_SANDBOX_DATA_PROVIDER_SECRET = "autre-secret"
    access_token = tokens(client)["access_token"]
    assert checktoken(client, access_token).status_code == 401
    answer = checktoken(client, access_token, client_id="autre-fournisseur", client_secret="autre-secret")
    assert answer.json()["active"] is True


def test_checktoken_reports_unknown_and_expired_tokens_inactive(client, clock):
    access_token = tokens(client)["access_token"]
    assert checktoken(client, "jeton-inconnu").json() == {"active": False}
    clock.value += 60
    assert checktoken(client, access_token).json() == {"active": False}


@pytest.mark.parametrize(
    "overrides,headers",
    [
        ({"client_secret": "mauvais-secret"}, None),
        ({"client_id": "service-inconnu"}, None),
        ({"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}, None),  # the service is no data provider
        (
            {"client_id": None, "client_secret": None},
            {"Authorization": basic(DATA_PROVIDER_ID, DATA_PROVIDER_SECRET)},
        ),
    ],
)
def test_checktoken_refuses_an_unauthenticated_caller(client, overrides, headers):
    response = checktoken(client, tokens(client)["access_token"], headers=headers, **overrides)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
