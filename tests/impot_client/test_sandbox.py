"""The DGFiP API Impôt particulier simulator keeps each rule of the real gateway that the portal's client can
observe. FranceConnect mode asks the FranceConnect simulator's checktoken over HTTP: those tests serve
both simulators on a live server, the rest use Django's test client."""

import base64
import unicodedata
import uuid
from datetime import datetime

import httpx
import pytest
from django.core.cache import cache
from django.utils import timezone

from franceconnect.sandbox.identities import IDENTITIES, Identity
from impot_client.sandbox import views
from impot_client.sandbox.households import HOUSEHOLDS, household_of
from tests.franceconnect import test_sandbox as fc

pytestmark = pytest.mark.urls("portal.urls_dev")

BASE = "/sandbox/dgfip"
API = f"{BASE}/impotparticulier/1.0"
CLIENT_ID = "portail-famille-dgfip-sandbox"
CLIENT_SECRET = "sandbox-dgfip-secret-not-for-production"
TELESERVICE = "portail-famille-sandbox"
CONTENT_TYPE = "application/prs.dgfip.part.situations.ir.assiettes.v1+json"
DEMO = "3999990000025"
UUID = "6f1c2b0e-2f7c-4d55-9a57-1f1f0e0a0b0c"
ALL_FC_SCOPES = (
    "openid dgfip_rfr dgfip_nbpart dgfip_sitfam dgfip_pac dgfip_pariso dgfip_annee_n_moins_1 "
    "dgfip_nmNaiDec1 dgfip_nmUsaDec1 dgfip_prnmDec1 dgfip_dateNaisDec1 "
    "dgfip_nmNaiDec2 dgfip_nmUsaDec2 dgfip_prnmDec2 dgfip_dateNaisDec2"
)


@pytest.fixture(autouse=True)
def sandbox(settings):
    """Both simulators as `make run` serves them (pytest-django forces DEBUG off), with the FranceConnect
    client of the FranceConnect simulator's tests, whose helpers give the family's FC tokens."""
    settings.DEBUG = True
    settings.IMPOT_SANDBOX = True
    settings.IMPOT_CLIENT_ID = CLIENT_ID
    settings.IMPOT_CLIENT_SECRET = CLIENT_SECRET
    settings.IMPOT_ID_TELESERVICE = TELESERVICE
    settings.IMPOT_TIMEOUT = 5.0
    settings.FRANCECONNECT_SANDBOX = True
    settings.FRANCECONNECT_CLIENT_ID = fc.CLIENT_ID
    settings.FRANCECONNECT_CLIENT_SECRET = fc.CLIENT_SECRET
    settings.FRANCECONNECT_SANDBOX_REDIRECT_URIS = [fc.REDIRECT_URI]
    cache.clear()
    yield
    cache.clear()


class Clock:
    """The simulator's time, set to a local date at noon: DGFiP's year rules turn on 22 July."""

    def __init__(self):
        self.on("2025-09-15")

    def on(self, day: str):
        self.value = int(timezone.make_aware(datetime.fromisoformat(f"{day}T12:00")).timestamp())

    def __call__(self):
        return self.value


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(views, "now", fake)
    return fake


@pytest.fixture
def franceconnect(live_server, settings):
    """The FranceConnect simulator on a live server, where the DGFiP simulator calls checktoken."""
    settings.FRANCECONNECT_ISSUER = live_server.url + fc.BASE
    return live_server


def dgfip_token(client, scope="RessourceIR") -> str:
    response = client.post(
        f"{BASE}/token",
        {
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "scope": scope,
        },
    )
    assert response.status_code == 200, response.content
    return response.json()["access_token"]


def call(client, path, access_token=None, **headers):
    """GET a resource with the headers the gateway requires; a header set to None is left out."""
    sent = {
        "Authorization": f"Bearer {access_token or dgfip_token(client)}",
        "ID_Teleservice": TELESERVICE,
        "X-Correlation-ID": str(uuid.uuid4()),
        **headers,
    }
    return client.get(path, headers={name: value for name, value in sent.items() if value is not None})


def by_spi(client, spi=DEMO, year=2024, **headers):
    return call(client, f"{API}/spi/{spi}/situations/ir/assiettes/annrev/{year}", **headers)


def by_franceconnect(client, identity="test", scope=ALL_FC_SCOPES, year=2024, **headers):
    fc_token = fc.tokens(client, identity, scope=scope)["access_token"]
    return call(
        client,
        f"{API}/situations/ir/assiettes/annrev/{year}",
        **{"X-FranceConnect-OAuth": fc_token, **headers},
    )


def assert_error(response, status, codeapp):
    """DGFiP's error body, as the contract names its application code: {"erreur": {"codeapp", "message"}}."""
    assert response.status_code == status
    assert response["Content-Type"] == CONTENT_TYPE
    body = response.json()
    assert set(body) == {"erreur"} and set(body["erreur"]) == {"codeapp", "message"}
    assert body["erreur"]["codeapp"] == codeapp
    assert body["erreur"]["message"]
    return body["erreur"]["message"]


def basic(client_id, secret):
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


# Gate: DEBUG and IMPOT_SANDBOX, at request time and in check --deploy.

ENDPOINTS = [
    ("post", f"{BASE}/token"),
    ("get", f"{API}/situations/ir/assiettes/annrev/2024"),
    ("get", f"{API}/spi/{DEMO}/situations/ir/assiettes/annrev/2024"),
]


@pytest.mark.parametrize("path", [path for _method, path in ENDPOINTS])
@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("setting", ["DEBUG", "IMPOT_SANDBOX"])
def test_every_endpoint_is_404_unless_debug_and_sandbox_are_on(client, settings, method, path, setting):
    setattr(settings, setting, False)
    assert getattr(client, method)(path).status_code == 404


@pytest.mark.parametrize("method,path", ENDPOINTS)
def test_every_endpoint_answers_when_debug_and_sandbox_are_on(client, method, path):
    """The 404s above come from the gate, not from a wrong path."""
    assert getattr(client, method)(path).status_code == 401


@pytest.mark.urls("portal.urls")
@pytest.mark.parametrize("method,path", ENDPOINTS)
def test_production_urls_do_not_mount_the_simulator(client, method, path):
    """Production's URLconf has no simulator to gate: 404 even with DEBUG and the sandbox on."""
    assert getattr(client, method)(path).status_code == 404


# Token (OAuth2 client credentials).


def test_token_grants_a_bearer_token_for_an_hour(client):
    response = client.post(
        f"{BASE}/token",
        {
            "grant_type": "client_credentials",
            "client_id": CLIENT_ID,
            "client_secret": CLIENT_SECRET,
            "scope": "RessourceIR",
        },
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"access_token", "token_type", "expires_in", "scope"}
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 3600, "RessourceIR")
    assert len(body["access_token"]) >= 32
    assert response["Cache-Control"] == "no-store"
    assert by_spi(client, access_token=body["access_token"]).status_code == 200


@pytest.mark.parametrize(
    "client_id,secret", [(CLIENT_ID, CLIENT_SECRET), ("portail%2Dfamille-dgfip-sandbox", CLIENT_SECRET)]
)
def test_token_accepts_http_basic(client, client_id, secret):
    """RFC 6749 §2.3.1: the id and secret are form-encoded before base64."""
    response = client.post(
        f"{BASE}/token",
        {"grant_type": "client_credentials", "scope": "RessourceIR"},
        headers={"Authorization": basic(client_id, secret)},
    )
    assert response.status_code == 200
    assert by_spi(client, access_token=response.json()["access_token"]).status_code == 200


@pytest.mark.parametrize(
    "data,headers",
    [
        ({"client_id": CLIENT_ID, "client_secret": "mauvais-secret"}, None),
        ({"client_id": "teleservice-inconnu", "client_secret": CLIENT_SECRET}, None),
        ({"client_id": CLIENT_ID}, None),
        ({}, None),
        ({}, {"Authorization": basic(CLIENT_ID, "mauvais-secret")}),
        ({}, {"Authorization": "Basic pas-du-base64!"}),
        ({}, {"Authorization": "Basic " + base64.b64encode(b"\xff:\xfe").decode()}),
    ],
)
def test_token_refuses_an_unauthenticated_client(client, data, headers):
    response = client.post(f"{BASE}/token", {"grant_type": "client_credentials", **data}, headers=headers)
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


@pytest.mark.parametrize("grant_type", ["authorization_code", "password", None])
def test_token_accepts_the_client_credentials_grant_only(client, grant_type):
    data = {"client_id": CLIENT_ID, "client_secret": CLIENT_SECRET, "grant_type": grant_type}
    response = client.post(f"{BASE}/token", {name: value for name, value in data.items() if value})
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


@pytest.mark.parametrize("scope", [None, "", "  ", "RessourceInconnue", "RessourceIR dgfip_rfr", "openid"])
def test_token_refuses_a_missing_or_unknown_scope(client, scope):
    data = {"grant_type": "client_credentials", "client_id": CLIENT_ID, "client_secret": CLIENT_SECRET}
    response = client.post(f"{BASE}/token", data if scope is None else {**data, "scope": scope})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_token_grants_the_known_scopes_asked(client):
    response = client.post(
        f"{BASE}/token",
        {"grant_type": "client_credentials", "scope": "RessourceIRDerniere RessourceIR"},
        headers={"Authorization": basic(CLIENT_ID, CLIENT_SECRET)},
    )
    assert response.json()["scope"] == "RessourceIR RessourceIRDerniere"
    assert by_spi(client, access_token=response.json()["access_token"]).status_code == 200


@pytest.mark.parametrize("scope", ["RessourceIRDerniere", "RessourceIFI RessourceIRMultiple"])
def test_a_token_without_the_resources_scope_is_refused(client, scope):
    response = by_spi(client, access_token=dgfip_token(client, scope))
    assert assert_error(response, 403, 4031) == "le jeton n'a pas le scope RessourceIR de cette ressource"


def test_token_is_post_only(client):
    assert client.get(f"{BASE}/token").status_code == 405


@pytest.mark.parametrize("age,status", [(3599, 200), (3600, 401)])
def test_access_token_is_valid_an_hour(client, clock, age, status):
    access_token = dgfip_token(client)
    clock.value += age
    assert by_spi(client, access_token=access_token).status_code == status


# Headers, checked in the gateway's order.


@pytest.mark.parametrize(
    "authorization", [None, "Bearer jeton-inconnu", "Bearer ", basic(CLIENT_ID, CLIENT_SECRET)]
)
def test_a_live_bearer_token_is_required(client, authorization):
    response = by_spi(client, Authorization=authorization)
    assert assert_error(response, 401, 4010) == "jeton d'accès absent, invalide ou expiré"


@pytest.mark.parametrize("teleservice", [None, "", "autre-teleservice"])
def test_id_teleservice_must_be_the_portals(client, teleservice):
    assert_error(by_spi(client, ID_Teleservice=teleservice), 403, 4031)


@pytest.mark.parametrize(
    "correlation_id",
    [None, "", "pas-un-uuid", UUID.replace("-", ""), UUID + "0", f"{{{UUID}}}", UUID.replace("a", "g")],
)
def test_correlation_id_must_be_a_uuid(client, correlation_id):
    assert_error(by_spi(client, **{"X-Correlation-ID": correlation_id}), 400, 4000)


def test_an_upper_case_uuid_is_a_uuid(client):
    assert by_spi(client, **{"X-Correlation-ID": UUID.upper()}).status_code == 200


def test_headers_are_checked_token_first_then_teleservice_then_correlation_id(client):
    bad = {"ID_Teleservice": "autre", "X-Correlation-ID": "pas-un-uuid"}
    assert_error(by_spi(client, Authorization=None, **bad), 401, 4010)
    assert_error(by_spi(client, **bad), 403, 4031)
    assert_error(by_spi(client, spi="123", **{"X-Correlation-ID": "pas-un-uuid"}), 400, 4000)


# Numéro fiscal (SPI) mode.


def test_the_demo_family_answers_every_field_the_datapass_grants(client):
    response = by_spi(client, DEMO)
    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPE
    assert response.json() == {
        "rfr": 38500,
        "nbPart": 2.5,
        "sitFam": "M",
        "pac": {"nbPac": 1, "nbPacF": 1},
        "nmNaiDec1": "MARTIN",
        "prnmDec1": "CLAIRE",
        "dateNaisDec1": {"jour": "12", "mois": "04", "annee": "1988"},
        "nmNaiDec2": "MARTIN",
        "prnmDec2": "KARIM",
        "dateNaisDec2": {"jour": "03", "mois": "11", "annee": "1986"},
        "aft": "12 RUE DES TILLEULS 99999 BEAUVAL",
        "aftDetail": {"voie": "12 RUE DES TILLEULS", "getcodePostal": "99999", "getcommune": "BEAUVAL"},
    }


@pytest.mark.parametrize(
    "spi,expected",
    [
        (
            "3999990000017",
            {"rfr": 21450, "nbPart": 2.0, "sitFam": "D", "sitParIso": "T", "pac": {"nbPac": 1, "nbPacF": 1}},
        ),
        ("3999990000033", {"rfr": 54300, "nbPart": 4.0, "pac": {"nbPac": 4, "nbPacF": 2, "nbPacH": 2}}),
        ("3999990000041", {"rfr": 152000, "nbPart": 3.0, "nmUsaDec2": "HOCHON"}),
        ("3999990000058", {"rfr": 0, "nbPart": 1.0, "sitFam": "C", "pac": None}),
        ("3999990000066", {"sitFam": "O", "nmNaiDec1": "D ARTAGNAN EPEE", "pac": {"nbPac": 0}}),
        ("3999990000074", {"rfr": 46200, "nmNaiDec1": "CHAMPION", "prnmDec1": "ERIC"}),
        ("3999999887218", {"rfr": 17827, "nbPart": 2.75, "sitFam": "M", "pac": {"nbPac": 1, "nbPacH": 1}}),
        (
            "3999999889221",
            {"rfr": 15396, "nbPart": 4, "sitFam": "C", "prnmDec1": "TATIANA", "nmNaiDec2": None},
        ),
    ],
)
def test_each_household_answers_its_figures_in_its_own_encoding(client, spi, expected):
    body = by_spi(client, spi).json()
    assert {name: body.get(name) for name in expected} == expected
    if "nbPart" in expected:  # 4 == 4.0 == Decimal(4): the encoding is the type
        assert type(body["nbPart"]) is type(expected["nbPart"])
    # The address is granted for resident parking, in the contract's spelling, for households that have one.
    assert set(body.get("aftDetail", {})) <= {"voie", "getcodePostal", "getcommune", "complementAdresse"}


@pytest.mark.parametrize("spi", ["123", "39999900000250", "399999000002A", "3999 90000025"])
def test_the_spi_must_be_13_digits(client, spi):
    assert assert_error(by_spi(client, spi), 400, 4001) == "format SPI incorrect"


def test_a_well_formed_spi_of_nobody_is_gone(client):
    assert_error(by_spi(client, "3999990000000"), 410, 4102)


@pytest.mark.parametrize("year", ["24", "20245", "deux", "２０２４"])
def test_the_year_must_be_4_digits(client, year):
    assert_error(by_spi(client, year=year), 400, 4002)


def test_the_spi_format_is_checked_before_the_year(client):
    assert_error(by_spi(client, "123", year="24"), 400, 4001)


def test_a_server_error_is_a_500_every_time(client):
    for _attempt in range(2):
        assert assert_error(by_spi(client, "3999990000108"), 500, 5000) == "erreur technique"


def test_access_refused_is_a_403(client):
    assert_error(by_spi(client, "3999990000090"), 403, 4031)


@pytest.mark.parametrize("year", [2022, 2023, 2024, 2025])
def test_no_declaration_is_gone_for_every_year(client, year):
    message = assert_error(by_spi(client, "3999990000082", year=year), 410, 4101)
    assert message == "aucun résultat pour cet SPI et cette année"


@pytest.fixture
def sleeps(monkeypatch):
    calls = []
    monkeypatch.setattr(views, "sleep", calls.append)
    return calls


def test_the_slow_household_answers_after_the_configured_delay(client, settings, sleeps):
    settings.IMPOT_SANDBOX_SLOW_SECONDS = 0.3
    response = by_spi(client, "3999990000116")
    assert sleeps == [0.3]
    assert response.status_code == 200
    assert response.json()["rfr"] == 27800


def test_the_slow_household_outlasts_the_clients_timeout_by_default(client, settings, sleeps):
    settings.IMPOT_TIMEOUT = 1.5
    by_spi(client, "3999990000116")
    assert sleeps == [3.5]


def test_other_households_answer_at_once(client, sleeps):
    by_spi(client, DEMO)
    assert sleeps == []


# Income years: N is published on 22 July of N + 1; households keep the latest and the two before.


@pytest.mark.parametrize(
    "day,latest", [("2025-07-21", 2023), ("2025-07-22", 2024), ("2025-12-31", 2024), ("2026-01-02", 2024)]
)
def test_the_latest_year_is_published_on_22_july(client, clock, day, latest):
    clock.on(day)
    assert by_spi(client, year=latest).status_code == 200
    message = assert_error(by_spi(client, year=latest + 1), 410, 4101)
    assert message == "aucun résultat pour cet SPI et cette année"


def test_households_keep_three_years(client, clock):
    clock.on("2025-09-15")
    assert [by_spi(client, year=year).status_code for year in (2024, 2023, 2022)] == [200, 200, 200]
    assert_error(by_spi(client, year=2021), 410, 4101)


# FranceConnect mode: the simulator is FranceConnect's DGFiP data provider.

PIVOT_KEYS = ("given_name", "family_name", "birthdate")


def test_franceconnect_mode_answers_for_the_person_behind_the_token(client, franceconnect):
    response = by_franceconnect(client, "test")
    assert response.status_code == 200
    assert response["Content-Type"] == CONTENT_TYPE
    assert response.json() == {
        "rfr": 21450,
        "nbPart": 2.0,
        "sitFam": "D",
        "pac": {"nbPac": 1, "nbPacF": 1},
        "sitParIso": "T",
        "nmNaiDec1": "DUBOIS",
        "prnmDec1": "ANGELA CLAIRE LOUISE",
        "dateNaisDec1": {"jour": "24", "mois": "08", "annee": "1962"},
    }


@pytest.mark.parametrize(
    "identity,expected",
    [
        (
            "avec_nom_dusage",
            {"rfr": 54300, "nmNaiDec1": "MERCIER", "nmUsaDec1": "DUBOIS", "nmUsaDec2": "MERCIER"},
        ),
        ("deux_prenoms", {"rfr": 152000, "nbPart": 3.0, "prnmDec1": "VALENTIN EMMANUEL"}),
        ("genre_indefini", {"rfr": 0, "prnmDec1": "CAMILLE", "pac": None}),
        ("caracteres_speciaux", {"rfr": 61200, "nmNaiDec1": "D ARTAGNAN EPEE", "prnmDec1": "JEAN NOEL ELIE"}),
        (
            "moins_18_ans",
            {"rfr": 46200, "nmNaiDec1": "CHAMPION", "prnmDec1": "ERIC", "nmUsaDec2": "CHAMPION"},
        ),
    ],
)
def test_each_franceconnect_identity_reaches_its_household(client, franceconnect, identity, expected):
    body = by_franceconnect(client, identity).json()
    assert {name: body.get(name) for name in expected} == expected


@pytest.mark.parametrize(
    "identity,status,code",
    [("date_naissance_partielle", 410, 4101), ("naissance_algerie", 403, 4031)],
)
def test_some_franceconnect_identities_reach_a_failure(client, franceconnect, identity, status, code):
    assert_error(by_franceconnect(client, identity), status, code)


def test_a_franceconnect_person_without_a_tax_household_is_gone(client, franceconnect, monkeypatch):
    stranger = Identity(
        key="inconnu",
        label="Inconnu",
        given_names=("Gaston",),
        family_name="LAGAFFE",
        gender="male",
        birthdate="1957-02-28",
        birthplace="75056",
        birthcountry="99100",
        email="gaston@example.org",
    )
    monkeypatch.setitem(IDENTITIES, "inconnu", stranger)
    assert_error(by_franceconnect(client, "inconnu"), 410, 4102)


@pytest.mark.parametrize("fc_token", ["jeton-franceconnect-inconnu", None])
def test_an_unknown_or_missing_franceconnect_token_is_refused(client, franceconnect, fc_token):
    response = call(
        client, f"{API}/situations/ir/assiettes/annrev/2024", **{"X-FranceConnect-OAuth": fc_token}
    )
    assert assert_error(response, 401, 4011) == "jeton FranceConnect invalide ou expiré"


def test_an_expired_franceconnect_token_is_refused(client, franceconnect, monkeypatch):
    fc_token = fc.tokens(client, "test", scope=ALL_FC_SCOPES)["access_token"]
    monkeypatch.setattr(fc.views, "now", lambda: int(timezone.now().timestamp()) + 60)
    response = call(
        client, f"{API}/situations/ir/assiettes/annrev/2024", **{"X-FranceConnect-OAuth": fc_token}
    )
    assert_error(response, 401, 4011)


def test_franceconnect_unreachable_is_a_server_error(client, settings):
    settings.FRANCECONNECT_ISSUER = "http://127.0.0.1:9/sandbox/franceconnect/api/v2"  # discard port: closed
    settings.IMPOT_TIMEOUT = 1.0
    response = call(
        client, f"{API}/situations/ir/assiettes/annrev/2024", **{"X-FranceConnect-OAuth": "jeton"}
    )
    assert_error(response, 500, 5000)


def test_headers_are_checked_before_asking_franceconnect(client, settings):
    settings.FRANCECONNECT_ISSUER = "http://127.0.0.1:9/sandbox/franceconnect/api/v2"
    response = call(
        client,
        f"{API}/situations/ir/assiettes/annrev/24",
        **{"X-FranceConnect-OAuth": "jeton", "X-Correlation-ID": None},
    )
    assert_error(response, 400, 4000)
    response = call(client, f"{API}/situations/ir/assiettes/annrev/24", **{"X-FranceConnect-OAuth": "jeton"})
    assert_error(response, 400, 4002)


YEAR = "dgfip_annee_n_moins_1"


@pytest.mark.parametrize(
    "scope,identity,expected",
    [
        ("dgfip_rfr", "test", {"rfr": 21450}),
        ("dgfip_rfr dgfip_nbpart", "test", {"rfr": 21450, "nbPart": 2.0}),
        ("dgfip_sitfam dgfip_pariso", "test", {"sitFam": "D", "sitParIso": "T"}),
        ("dgfip_pariso", "avec_nom_dusage", {}),  # not a single parent: no sitParIso at all
        ("dgfip_pac_nbPac", "avec_nom_dusage", {"pac": {"nbPac": 4}}),
        ("dgfip_pac", "avec_nom_dusage", {"pac": {"nbPac": 4, "nbPacF": 2, "nbPacH": 2}}),
        ("dgfip_pac dgfip_pac_nbPac", "avec_nom_dusage", {"pac": {"nbPac": 4, "nbPacF": 2, "nbPacH": 2}}),
        ("dgfip_pac_nbPac", "genre_indefini", {}),  # no pac block to count from
        ("dgfip_nmUsaDec1", "avec_nom_dusage", {"nmUsaDec1": "DUBOIS"}),
        ("dgfip_nmNaiDec1 dgfip_prnmDec1", "avec_nom_dusage", {"nmNaiDec1": "MERCIER", "prnmDec1": "PIERRE"}),
        ("dgfip_dateNaisDec1", "test", {"dateNaisDec1": {"jour": "24", "mois": "08", "annee": "1962"}}),
        (
            "dgfip_nmNaiDec2 dgfip_nmUsaDec2 dgfip_prnmDec2 dgfip_dateNaisDec2",
            "avec_nom_dusage",
            {
                "nmNaiDec2": "LEGRAND",
                "nmUsaDec2": "MERCIER",
                "prnmDec2": "SOPHIE",
                "dateNaisDec2": {"jour": "30", "mois": "06", "annee": "1972"},
            },
        ),
        ("dgfip_nmNaiDec2", "test", {}),  # one declarant only
        (
            "dgfip_aft",
            "test",
            {
                "aft": "4 RUE DES ECOLES 99999 BEAUVAL",
                "aftDetail": {"voie": "4 RUE DES ECOLES", "getcodePostal": "99999", "getcommune": "BEAUVAL"},
            },
        ),
        (
            "dgfip_aft",
            "genre_indefini",
            {
                "aft": "APT 3 9 RUE DU MOULIN 99999 BEAUVAL",
                "aftDetail": {
                    "complementAdresse": "APT 3",
                    "voie": "9 RUE DU MOULIN",
                    "getcodePostal": "99999",
                    "getcommune": "BEAUVAL",
                },
            },
        ),
        ("", "test", {}),
    ],
)
def test_franceconnect_mode_releases_only_the_fields_of_the_granted_scopes(
    client, franceconnect, scope, identity, expected
):
    response = by_franceconnect(client, identity, scope=f"openid {YEAR} {scope}")
    assert response.status_code == 200
    assert response.json() == expected


@pytest.mark.parametrize(
    "day,year_scopes,year,status,code",
    [
        # After 22 July 2025, income 2024 is out: N-1 only.
        ("2025-09-15", YEAR, 2024, 200, ""),
        ("2025-09-15", f"{YEAR} dgfip_annee_n_moins_2_si_indispo_n_moins_1", 2023, 403, 4031),
        ("2025-09-15", "dgfip_annee_n_moins_2_si_indispo_n_moins_1", 2024, 403, 4031),
        ("2025-09-15", YEAR, 2025, 410, 4101),
        # Before 22 July 2025, income 2024 is not out yet: the client falls back to 2023, if granted.
        ("2025-07-01", YEAR, 2024, 410, 4101),
        ("2025-07-01", f"{YEAR} dgfip_annee_n_moins_2_si_indispo_n_moins_1", 2023, 200, ""),
        ("2025-07-01", YEAR, 2023, 403, 4031),
        ("2025-07-01", f"{YEAR} dgfip_annee_n_moins_2_si_indispo_n_moins_1", 2022, 403, 4031),
        ("2025-07-01", "", 2023, 403, 4031),
    ],
)
def test_franceconnect_mode_serves_only_the_years_the_scopes_grant(
    client, franceconnect, clock, day, year_scopes, year, status, code
):
    clock.on(day)
    response = by_franceconnect(client, "test", scope=f"openid dgfip_rfr {year_scopes}", year=year)
    if status == 200:
        assert response.json() == {"rfr": 21450}
    else:
        message = assert_error(response, status, code)
        if code == 4031:
            assert message == "accès refusé à cette année de revenus"


def test_the_whole_exchange_over_http(franceconnect, client):
    """As the portal's client does it: Basic token request, then the resource, on a real server."""
    fc_token = fc.tokens(client, "deux_prenoms", scope=ALL_FC_SCOPES)["access_token"]
    with httpx.Client(base_url=franceconnect.url, timeout=10) as http:
        token = http.post(
            f"{BASE}/token",
            auth=(CLIENT_ID, CLIENT_SECRET),
            data={"grant_type": "client_credentials", "scope": "RessourceIR"},
        ).json()["access_token"]
        response = http.get(
            f"{API}/situations/ir/assiettes/annrev/2024",
            headers={
                "Authorization": f"Bearer {token}",
                # Django's runserver (and so the live server) drops header names with an underscore:
                # only the hyphenated spelling of ID_Teleservice gets through it.
                "ID-Teleservice": TELESERVICE,
                "X-Correlation-ID": str(uuid.uuid4()),
                "X-FranceConnect-OAuth": fc_token,
            },
        )
    assert response.status_code == 200
    assert response.headers["Content-Type"] == CONTENT_TYPE
    assert response.json()["rfr"] == 152000


# The households themselves.


def dgfip_style(name: str) -> str:
    """How DGFiP writes a name: upper case, no accents, apostrophes and hyphens as spaces."""
    ascii_only = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return " ".join(ascii_only.upper().replace("'", " ").replace("-", " ").split())


def test_numeros_fiscaux_are_13_digits_of_the_test_range():
    for spi, household in HOUSEHOLDS.items():
        assert household.spi == spi
        assert len(spi) == 13 and spi.isdigit() and spi.startswith("399999")


def test_every_franceconnect_identity_reaches_one_household_by_its_pivot_identity():
    reached = {key: household_of(identity.pivot()) for key, identity in IDENTITIES.items()}
    assert all(reached.values())
    assert {household.franceconnect for household in reached.values()} == set(IDENTITIES)


@pytest.mark.parametrize(
    "key",
    ["test", "avec_nom_dusage", "deux_prenoms", "genre_indefini", "caracteres_speciaux"],
)
def test_declarant_1_is_the_franceconnect_person_written_as_dgfip_writes_names(key):
    person = IDENTITIES[key]
    declarant = household_of(person.pivot()).declarants[0]
    assert declarant.birth_name == dgfip_style(person.family_name)
    assert declarant.first_names == dgfip_style(person.given_name)
    assert declarant.birth_date == person.birthdate
    assert declarant.usage_name == person.preferred_username


def test_the_mismatch_household_declares_other_people_than_the_franceconnect_person():
    person = IDENTITIES["moins_18_ans"]
    declarants = household_of(person.pivot()).declarants
    assert all(declarant.birth_date != person.birthdate for declarant in declarants)
    assert all(dgfip_style(person.given_names[0]) not in declarant.first_names for declarant in declarants)
