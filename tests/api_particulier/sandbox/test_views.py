"""The API Particulier simulator keeps each rule of the real API the portal's client can observe. FranceConnect
mode asks the FranceConnect simulator's checktoken over HTTP: those tests serve both simulators on a live server,
the rest use Django's test client."""

import os
import time
from datetime import date, datetime

import pytest
from django.core.cache import cache
from django.core.checks import run_checks
from django.utils import timezone

from api_particulier.sandbox import views
from api_particulier.sandbox.allocataires import FAMILIES, FRANCECONNECT_SCOPES, Outcome, family_of
from franceconnect.sandbox.identities import IDENTITIES
from tests.franceconnect import test_sandbox as fc
from tests.portal.test_settings import PRODUCTION_ENV, SETTINGS_WITH_SIMULATORS, run_manage, run_python

pytestmark = pytest.mark.urls("portal.urls_dev")

BASE = "/sandbox/api-particulier/v3/dss"
TOKEN = "jeton-de-la-commune-de-test"
RECIPIENT = "21990999900017"
ROUTES = ("quotient_familial", "participation_familiale_eaje")
MODES = ("identite", "france_connect")
DEMO = {
    "nomNaissance": "MARTIN",
    "prenoms[]": ["Claire"],
    "sexeEtatCivil": "F",
    "anneeDateNaissance": "1988",
    "moisDateNaissance": "4",
    "jourDateNaissance": "12",
    "codeCogInseePaysNaissance": "99100",
    "codeCogInseeCommuneNaissance": "69123",
}
TODAY = "2026-03-10"


@pytest.fixture(autouse=True)
def sandbox(settings):
    """Both simulators as `make run` serves them (pytest-django forces DEBUG off)."""
    settings.DEBUG = True
    settings.API_PARTICULIER_SANDBOX = True
    settings.API_PARTICULIER_TOKEN = TOKEN
    settings.FRANCECONNECT_SANDBOX = True
    settings.FRANCECONNECT_CLIENT_ID = fc.CLIENT_ID
    settings.FRANCECONNECT_CLIENT_SECRET = fc.CLIENT_SECRET
    settings.FRANCECONNECT_SANDBOX_REDIRECT_URIS = [fc.REDIRECT_URI]
    cache.clear()
    yield
    cache.clear()


class Clock:
    def __init__(self):
        self.value = int(timezone.make_aware(datetime.fromisoformat(f"{TODAY}T12:00")).timestamp())

    def __call__(self):
        return self.value


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(views, "now", fake)
    return fake


@pytest.fixture
def franceconnect(live_server, settings):
    """The FranceConnect simulator on a live server, where the API Particulier simulator calls checktoken."""
    settings.FRANCECONNECT_ISSUER = live_server.url + fc.BASE
    return live_server


def by_identity(client, route="quotient_familial", token=TOKEN, recipient=RECIPIENT, **params):
    query = {**DEMO, **params}
    if recipient is not None:
        query["recipient"] = recipient
    query = {name: value for name, value in query.items() if value is not None}
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.get(f"{BASE}/{route}/identite", query, headers=headers)


CNAF_SCOPES = " ".join(FRANCECONNECT_SCOPES)


def fc_token(client, identity="test", scope=f"{fc.SCOPE} {CNAF_SCOPES}"):
    """A FranceConnect access token granted, by default, the CNAF data scopes the france_connect routes need."""
    return fc.tokens(client, identity, scope=scope)["access_token"]


def by_franceconnect(
    client, route="quotient_familial", identity="test", recipient=RECIPIENT, token=None, **params
):
    token = token or fc_token(client, identity)
    query = {"recipient": recipient, **params} if recipient is not None else params
    return client.get(f"{BASE}/{route}/france_connect", query, headers={"Authorization": f"Bearer {token}"})


def pivot(identity_key: str) -> dict:
    """The identity parameters of a FranceConnect test identity, as a local account would type them."""
    person = IDENTITIES[identity_key]
    year, month, day = person.birthdate.split("-")
    params = {
        "nomNaissance": person.family_name,
        "prenoms[]": list(person.given_names),
        "sexeEtatCivil": "F" if person.gender == "female" else "M",
        "anneeDateNaissance": year,
        "moisDateNaissance": None if month == "00" else month,
        "jourDateNaissance": None if day == "00" else day,
        "codeCogInseePaysNaissance": person.birthcountry,
        "codeCogInseeCommuneNaissance": person.birthplace or None,
    }
    return params


def allocataire(key: str) -> dict:
    """The identity parameters of a simulated family's first adult."""
    person = FAMILIES[key].adults[0]
    year, month, day = person.birth_date.split("-")
    return {
        "nomNaissance": person.birth_name,
        "prenoms[]": person.first_names.split(),
        "sexeEtatCivil": person.sex,
        "anneeDateNaissance": year,
        "moisDateNaissance": month,
        "jourDateNaissance": day,
        "codeCogInseePaysNaissance": "99100",
        "codeCogInseeCommuneNaissance": person.birth_commune,
    }


def assert_error(response, status, code):
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/json"
    [error] = response.json()["errors"]
    assert error["code"] == code
    assert error["title"] and error["detail"]
    return error


# Refusal rules ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("debug", "sandbox_on"), [(False, True), (True, False), (False, False)])
def test_every_route_is_404_unless_debug_and_sandbox_are_on(client, settings, route, mode, debug, sandbox_on):
    settings.DEBUG = debug
    settings.API_PARTICULIER_SANDBOX = sandbox_on
    response = client.get(
        f"{BASE}/{route}/{mode}", {"recipient": RECIPIENT}, headers={"Authorization": "Bearer x"}
    )
    assert response.status_code == 404


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.urls("portal.urls")
def test_production_urls_do_not_mount_the_simulator(client, route, mode):
    assert client.get(f"{BASE}/{route}/{mode}").status_code == 404


@pytest.mark.parametrize("route", ROUTES)
def test_routes_are_get_only(client, route):
    assert (
        client.post(f"{BASE}/{route}/identite", headers={"Authorization": f"Bearer {TOKEN}"}).status_code
        == 405
    )


def test_a_simulator_on_without_debug_is_a_deployment_error(settings):
    settings.DEBUG = False
    [error] = [
        m for m in run_checks(include_deployment_checks=True) if m.id == "api_particulier_sandbox.E001"
    ]
    assert error.is_serious() and "API_PARTICULIER_SANDBOX" in error.msg
    settings.API_PARTICULIER_SANDBOX = False
    assert [
        m for m in run_checks(include_deployment_checks=True) if m.id == "api_particulier_sandbox.E001"
    ] == []


def test_the_api_particulier_simulator_cannot_be_deployed():
    result = run_manage(
        "check",
        "--deploy",
        env={
            **PRODUCTION_ENV,
            "DJANGO_SETTINGS_MODULE": SETTINGS_WITH_SIMULATORS,
            "API_PARTICULIER_SANDBOX": "true",
        },
    )
    assert result.returncode != 0
    assert "api_particulier_sandbox.E001" in result.stderr


PRODUCTION_START = """
import sys
import django
from django.core.checks import run_checks
from django.urls import Resolver404, resolve

django.setup()
run_checks(include_deployment_checks=True)  # imports the URLconf and every view it names
try:
    print("mounted", resolve("/sandbox/api-particulier/v3/dss/quotient_familial/identite").route)
except Resolver404:
    pass
print("loaded", *sorted(name for name in sys.modules if name.startswith("api_particulier.sandbox")))
"""


def test_production_settings_load_nothing_of_the_simulator():
    result = run_python(PRODUCTION_START, env={**os.environ, **PRODUCTION_ENV})
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["loaded"]


# Identité pivot mode ---------------------------------------------------------------------------------------


def test_the_demo_family_gets_its_caf_quotient_familial(client):
    response = by_identity(client)
    assert response.status_code == 200, response.content
    assert response["X-Response-Cached"] == "false"
    assert response["RateLimit-Limit"] == "20" and response["RateLimit-Remaining"] == "19"
    body = response.json()
    assert body["links"] == {} and body["meta"] == {}
    assert body["data"]["quotient_familial"] == {
        "fournisseur": "CNAF",
        "valeur": 1069,
        "annee": 2026,
        "mois": 3,
        "annee_calcul": 2026,
        "mois_calcul": 1,
    }
    assert [adult["prenoms"] for adult in body["data"]["allocataires"]] == ["CLAIRE", "KARIM"]
    # seed_demo's children: Léa, seven years before the school year's start (2025), Hugo 300 days ago.
    assert [(child["prenoms"], child["date_naissance"]) for child in body["data"]["enfants"]] == [
        ("LEA", "2018-03-14"),
        ("HUGO", "2025-05-14"),
    ]


def test_the_second_parent_reaches_the_same_family(client):
    response = by_identity(
        client,
        **{
            "prenoms[]": ["Karim"],
            "sexeEtatCivil": "M",
            "anneeDateNaissance": "1986",
            "moisDateNaissance": "11",
            "jourDateNaissance": "3",
        },
    )
    assert response.json()["data"]["quotient_familial"]["valeur"] == 1069


def test_the_demo_family_gets_its_eaje_resources(client):
    response = by_identity(client, "participation_familiale_eaje")
    assert response.status_code == 200, response.content
    assert response["X-Cache-Expires-in"] == "3600"
    data = response.json()["data"]
    assert data["parametres_calcul_participation_familiale"] == {
        "nombre_enfants_a_charge": 2,
        "nombre_enfants_beneficiaire_aeeh": 0,
        "base_ressources_annuelles": {"valeur": 38500, "annee_calcul": 2026},
    }
    assert [adult["code_cog_insee_commune_naissance"] for adult in data["allocataires"]] == ["69123", None]
    assert "quotient_familial" not in data


def test_a_qf_of_another_month_is_that_months(client):
    quotient = by_identity(client, annee="2025", mois="11").json()["data"]["quotient_familial"]
    assert (quotient["annee"], quotient["mois"], quotient["annee_calcul"], quotient["mois_calcul"]) == (
        2025,
        11,
        2025,
        1,
    )


@pytest.mark.parametrize(
    ("key", "identity", "provider", "qf", "resources", "children", "aeeh"),
    [
        ("dubois", "test", "CNAF", 715, 21450, 1, 0),
        ("mercier", "avec_nom_dusage", "MSA", 905, 54300, 4, 0),
        ("hochon", "deux_prenoms", "CNAF", 3619, 152000, 2, 1),
    ],
)
def test_each_allocataire_answers_consistent_figures_by_identity(
    client, key, identity, provider, qf, resources, children, aeeh
):
    family = FAMILIES[key]
    assert (family.quotient_familial, family.annual_resources, len(family.children)) == (
        qf,
        resources,
        children,
    )
    quotient = by_identity(client, **pivot(identity)).json()["data"]["quotient_familial"]
    assert (quotient["fournisseur"], quotient["valeur"]) == (provider, qf)
    eaje = by_identity(client, "participation_familiale_eaje", **pivot(identity)).json()["data"]
    assert eaje["parametres_calcul_participation_familiale"] == {
        "nombre_enfants_a_charge": children,
        "nombre_enfants_beneficiaire_aeeh": aeeh,
        "base_ressources_annuelles": {"valeur": resources, "annee_calcul": 2026},
    }
    assert len(eaje["enfants"]) == children


def test_the_msa_recomputes_every_month(client):
    quotient = by_identity(client, **pivot("avec_nom_dusage")).json()["data"]["quotient_familial"]
    assert (quotient["annee_calcul"], quotient["mois_calcul"]) == (2026, 3)


@pytest.mark.parametrize("key", [key for key, family in FAMILIES.items() if family.franceconnect])
def test_each_franceconnect_identity_is_one_of_its_familys_adults(key):
    person = IDENTITIES[FAMILIES[key].franceconnect]
    assert family_of(person.family_name, person.given_name, person.birthdate) is FAMILIES[key]


@pytest.mark.parametrize("route", ROUTES)
def test_a_family_unknown_to_the_caf_is_404(client, route):
    code = "23003" if route == "quotient_familial" else "37003"
    error = assert_error(by_identity(client, route, **pivot("date_naissance_partielle")), 404, code)
    assert error["meta"]["provider"] in ("CNAF", "CNAV")


@pytest.mark.parametrize("route", ROUTES)
def test_nobody_of_that_name_is_not_referenced(client, route):
    assert_error(by_identity(client, route, nomNaissance="PERSONNE"), 404, "35003")


@pytest.mark.parametrize("route", ROUTES)
def test_the_provider_outage_is_502(client, route):
    assert_error(by_identity(client, route, **pivot("naissance_algerie")), 502, "37999")


@pytest.mark.parametrize("route", ROUTES)
def test_the_rate_limited_identity_always_gets_429(client, route):
    response = by_identity(client, route, **{**pivot("genre_indefini"), "sexeEtatCivil": "F"})
    assert_error(response, 429, "00429")
    assert response["RateLimit-Limit"] == "20"


@pytest.mark.parametrize("route", ROUTES)
def test_the_21st_request_of_a_second_is_429_and_the_next_second_answers(client, clock, route):
    for remaining in range(19, -1, -1):
        response = by_identity(client, route)
        assert response.status_code == 200
        assert response["RateLimit-Remaining"] == str(remaining)
    response = by_identity(client, route)
    assert_error(response, 429, "00429")
    assert response["RateLimit-Remaining"] == "0"
    assert response["RateLimit-Reset"] == str(clock.value + 1)
    clock.value += 1
    assert by_identity(client, route).status_code == 200


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("token", ["", "mauvais-jeton"])
def test_a_missing_or_wrong_commune_token_is_401(client, route, token):
    error = assert_error(by_identity(client, route, token=token), 401, "00101")
    assert error["source"] == {"parameter": "token"}


def test_a_token_other_than_bearer_is_401(client):
    response = client.get(
        f"{BASE}/quotient_familial/identite",
        {**DEMO, "recipient": RECIPIENT},
        headers={"Authorization": f"Basic {TOKEN}"},
    )
    assert_error(response, 401, "00101")


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("recipient", [None, "", "  "])
def test_recipient_is_mandatory(client, route, recipient):
    error = assert_error(by_identity(client, route, recipient=recipient), 422, "00203")
    assert error["source"] == {"parameter": "recipient"}


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    "params",
    [
        {"nomNaissance": None},
        {"nomNaissance": " "},
        {"prenoms[]": None},
        {"prenoms[]": ["A", "B", "C", "D"]},
        {"prenoms[]": ["Claire", ""]},
        {"sexeEtatCivil": None},
        {"sexeEtatCivil": "X"},
        {"codeCogInseePaysNaissance": None},
        {"codeCogInseePaysNaissance": "France"},
        {"codeCogInseePaysNaissance": "9910"},
        {"codeCogInseeCommuneNaissance": None},  # born in France without a commune
        {"codeCogInseeCommuneNaissance": "6912"},
        {"codeCogInseePaysNaissance": "99352"},  # born abroad with a commune
        {"anneeDateNaissance": "mil neuf cent"},
        {"moisDateNaissance": "13"},
        {"jourDateNaissance": "0"},
        # the commune by name needs the département and the birth year
        {"codeCogInseeCommuneNaissance": None, "nomCommuneNaissance": "Lyon"},
        {
            "codeCogInseeCommuneNaissance": None,
            "nomCommuneNaissance": "Lyon",
            "codeCogInseeDepartementNaissance": "69",
            "anneeDateNaissance": None,
        },
        {"codeCogInseeDepartementNaissance": "6900"},
    ],
)
def test_malformed_identity_parameters_are_422(client, route, params):
    assert_error(by_identity(client, route, **params), 422, "00366")


def test_the_commune_by_name_with_its_departement_and_birth_year_is_enough(client):
    response = by_identity(
        client,
        codeCogInseeCommuneNaissance=None,
        nomCommuneNaissance="Lyon",
        codeCogInseeDepartementNaissance="69",
    )
    assert response.status_code == 200, response.content


def test_a_partial_birth_date_and_corsican_commune_are_well_formed(client):
    assert (
        by_identity(client, moisDateNaissance=None, codeCogInseeCommuneNaissance="2A004").status_code == 404
    )


@pytest.mark.parametrize("params", [{"annee": "deux mille"}, {"mois": "13"}, {"mois": "0"}])
def test_a_malformed_qf_period_is_422(client, params):
    assert_error(by_identity(client, **params), 422, "00366")


@pytest.mark.parametrize("route", ROUTES)
def test_the_same_request_in_progress_is_409(client, route):
    error = assert_error(by_identity(client, route, **allocataire("dartagnan")), 409, "00015")
    assert "déjà en cours de traitement" in error["detail"]


@pytest.mark.parametrize("route", ROUTES)
def test_the_provider_timeout_is_504(client, route):
    error = assert_error(by_identity(client, route, **allocataire("rousseau")), 504, "37002")
    assert error["meta"] == {"provider": "CNAV"}


@pytest.mark.parametrize(
    ("token", "allowed"),
    [
        ("jeton-commune-quotient-familial-seul", "quotient_familial"),
        ("jeton-commune-eaje-seul", "participation_familiale_eaje"),
    ],
)
def test_a_commune_token_without_the_routes_scope_is_403(client, token, allowed):
    for route in ROUTES:
        response = by_identity(client, route, token=token)
        if route == allowed:
            assert response.status_code == 200, response.content
        else:
            error = assert_error(response, 403, "00100")
            assert error["source"] == {"parameter": "token"}


def test_the_scope_is_checked_before_the_rate(client):
    for _request in range(25):
        assert_error(
            by_identity(client, "participation_familiale_eaje", token="jeton-commune-quotient-familial-seul"),
            403,
            "00100",
        )
    assert (
        by_identity(client, "quotient_familial", token="jeton-commune-quotient-familial-seul").status_code
        == 200
    )


def test_the_token_window_is_in_the_shared_cache(client):
    for _request in range(20):
        by_identity(client)
    assert_error(by_identity(client), 429, "00429")
    cache.clear()  # what another worker's count lives in: cleared, the window is empty again
    assert by_identity(client).status_code == 200


def test_the_1001st_request_of_a_minute_from_one_address_is_429(client, clock):
    clock.value = clock.value // 60 * 60 + 30  # half-way through a minute
    for _request in range(views.ADDRESS_RATE_LIMIT - 1):
        views.count_address("127.0.0.1")  # what 999 earlier requests of this minute counted
    assert views.ADDRESS_RATE_LIMIT == 1000
    assert by_identity(client).status_code == 200  # the 1 000th
    clock.value += 1  # a new second: the token's window is empty, the address's is full
    response = by_identity(client)
    assert_error(response, 429, "00429")
    assert (response["RateLimit-Limit"], response["RateLimit-Remaining"], response["RateLimit-Reset"]) == (
        "1000",
        "0",
        str(clock.value + 29),
    )
    other = client.get(
        f"{BASE}/quotient_familial/identite",
        {**DEMO, "recipient": RECIPIENT},
        headers={"Authorization": f"Bearer {TOKEN}"},
        REMOTE_ADDR="192.0.2.7",
    )
    assert other.status_code == 200  # another address has its own minute
    clock.value += 29  # the next minute
    assert by_identity(client).status_code == 200


def test_the_rate_limited_family_is_the_only_one_outcome_of_its_kind():
    assert [family.key for family in FAMILIES.values() if family.outcome == Outcome.RATE_LIMITED] == [
        "laforge"
    ]


# FranceConnect mode ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ROUTES)
def test_franceconnect_mode_answers_for_the_person_behind_the_token(client, franceconnect, route):
    response = by_franceconnect(client, route, "test")
    assert response.status_code == 200, response.content
    data = response.json()["data"]
    assert data["allocataires"][0]["nom_naissance"] == "DUBOIS"
    if route == "quotient_familial":
        assert data["quotient_familial"]["valeur"] == 715
    else:
        assert (
            data["parametres_calcul_participation_familiale"]["base_ressources_annuelles"]["valeur"] == 21450
        )


def test_franceconnect_qf_takes_a_period(client, franceconnect):
    quotient = by_franceconnect(client, identity="deux_prenoms", annee="2025", mois="6").json()["data"]
    assert (quotient["quotient_familial"]["annee"], quotient["quotient_familial"]["mois"]) == (2025, 6)


@pytest.mark.parametrize(
    ("identity", "route", "status", "code"),
    [
        ("date_naissance_partielle", "quotient_familial", 404, "23003"),
        ("date_naissance_partielle", "participation_familiale_eaje", 404, "37003"),
        ("naissance_algerie", "quotient_familial", 502, "37999"),
        ("genre_indefini", "participation_familiale_eaje", 429, "00429"),
        ("moins_18_ans", "quotient_familial", 404, "35003"),
        ("caracteres_speciaux", "quotient_familial", 409, "00015"),
        ("caracteres_speciaux", "participation_familiale_eaje", 409, "00015"),
    ],
)
def test_some_franceconnect_identities_reach_a_failure(client, franceconnect, identity, route, status, code):
    assert_error(by_franceconnect(client, route, identity), status, code)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    "scope",
    [fc.SCOPE, f"{fc.SCOPE} cnaf_quotient_familial cnaf_allocataires"],
    ids=["no cnaf scope", "without cnaf_enfants"],
)
def test_a_franceconnect_token_without_the_cnaf_scopes_is_403(client, franceconnect, route, scope):
    token = fc_token(client, "test", scope=scope)
    error = assert_error(by_franceconnect(client, route, token=token), 403, "00100")
    assert error["source"] == {"parameter": "token"}


@pytest.mark.parametrize("route", ROUTES)
def test_an_unknown_franceconnect_token_is_401(client, franceconnect, route):
    assert_error(by_franceconnect(client, route, token="jeton-franceconnect-inconnu"), 401, "00101")


def test_the_commune_token_is_not_a_franceconnect_token(client, franceconnect):
    assert_error(by_franceconnect(client, token=TOKEN), 401, "00101")


def test_an_expired_franceconnect_token_is_401(client, franceconnect, monkeypatch):
    token = fc_token(client)
    monkeypatch.setattr(fc.views, "now", lambda: int(time.time()) + 3600)
    assert_error(by_franceconnect(client, token=token), 401, "00101")


def test_no_token_at_all_on_a_franceconnect_route_is_401(client):
    response = client.get(f"{BASE}/quotient_familial/france_connect", {"recipient": RECIPIENT})
    assert_error(response, 401, "00101")


@pytest.mark.parametrize("route", ROUTES)
def test_recipient_is_mandatory_in_franceconnect_mode_too(client, franceconnect, route):
    assert_error(by_franceconnect(client, route, recipient=None), 422, "00203")


def test_franceconnect_unreachable_is_a_network_error(client, settings):
    settings.FRANCECONNECT_ISSUER = "http://127.0.0.1:9/sandbox/franceconnect/api/v2"  # discard port: closed
    response = client.get(
        f"{BASE}/quotient_familial/france_connect",
        {"recipient": RECIPIENT},
        headers={"Authorization": "Bearer x"},
    )
    assert_error(response, 504, "00501")


def test_today_follows_the_clock():
    assert views._today() == date.fromisoformat(TODAY)
