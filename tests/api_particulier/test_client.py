"""The API Particulier client against a respx API Particulier: each error code and status, the retry rule, the
limits shared by workers, and logs without personal data. Every test counts the HTTP calls it expects."""

import dataclasses
import logging
import time
from datetime import date
from email.utils import formatdate
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx
from django.core.cache import cache

from api_particulier import client
from api_particulier.situation import (
    FranceConnectTokenRefused,
    InvalidIdentity,
    InvalidResponse,
    InvalidToken,
    Misconfigured,
    NotFound,
    ParticulierError,
    Person,
    ProviderUnavailable,
    RateLimited,
    RequestInProgress,
    ScopeMissing,
)
from tests.api_particulier.conftest import API_URL, CLAIRE, FC_TOKEN, RECIPIENT, TOKEN
from tests.logs import logged_lines

QF_URL = f"{API_URL}/v3/dss/quotient_familial/identite"
QF_FC_URL = f"{API_URL}/v3/dss/quotient_familial/france_connect"
EAJE_URL = f"{API_URL}/v3/dss/participation_familiale_eaje/identite"
EAJE_FC_URL = f"{API_URL}/v3/dss/participation_familiale_eaje/france_connect"
PEOPLE = {
    "allocataires": [
        {
            "nom_naissance": "MARTIN",
            "nom_usage": None,
            "prenoms": "CLAIRE MARIE",
            "date_naissance": "1988-04-12",
            "sexe": "F",
        },
        {
            "nom_naissance": "DUPONT",
            "nom_usage": "",
            "prenoms": "PAUL",
            "date_naissance": "1986-01-03",
            "sexe": "M",
        },
    ],
    "enfants": [{"nom_naissance": "DUPONT", "prenoms": "LEA", "date_naissance": "2021-09-30", "sexe": "F"}],
    "adresse": {
        "destinataire": "MADAME CLAIRE MARTIN",
        "complement_information": None,
        "complement_information_geographique": None,
        "numero_libelle_voie": "1 RUE DE LA GARE",
        "lieu_dit": None,
        "code_postal_ville": "69001 LYON",
        "pays": "FRANCE",
    },
}
QF_ANSWER = {
    "data": {
        **PEOPLE,
        "quotient_familial": {
            "fournisseur": "CNAF",
            "valeur": 812,
            "annee": 2026,
            "mois": 2,
            "annee_calcul": 2026,
            "mois_calcul": 1,
        },
    },
    "links": {},
    "meta": {},
}
EAJE_ANSWER = {
    "data": {
        **PEOPLE,
        "parametres_calcul_participation_familiale": {
            "nombre_enfants_a_charge": 2,
            "nombre_enfants_beneficiaire_aeeh": 1,
            "base_ressources_annuelles": {"valeur": 40923, "annee_calcul": 2024},
        },
    },
    "links": {},
    "meta": {},
}


def errors(code, provider=None, parameter=None):
    return {
        "errors": [
            {
                "code": code,
                "title": "Titre",
                "detail": "Détail",
                "source": {"parameter": parameter} if parameter else None,
                "meta": {"provider": provider} if provider else {},
            }
        ]
    }


@pytest.fixture
def api():
    with respx.mock(assert_all_called=False) as router:
        yield router


def query(request: httpx.Request) -> dict[str, list[str]]:
    return parse_qs(urlsplit(str(request.url)).query)


# -- Requests ------------------------------------------------------------------------------------


def test_identity_route_sends_the_commune_token_the_recipient_and_the_identity(api):
    route = api.get(QF_URL).respond(200, json=QF_ANSWER)
    qf = client.quotient_familial_by_identity(CLAIRE, year=2026, month=2)
    [call] = route.calls
    assert call.request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert query(call.request) == {
        "recipient": [RECIPIENT],
        "nomNaissance": ["MARTIN"],
        "prenoms[]": ["Claire", "Marie"],
        "anneeDateNaissance": ["1988"],
        "moisDateNaissance": ["4"],
        "jourDateNaissance": ["12"],
        "sexeEtatCivil": ["F"],
        "codeCogInseePaysNaissance": ["99100"],
        "codeCogInseeCommuneNaissance": ["69123"],
        "annee": ["2026"],
        "mois": ["2"],
    }
    assert (qf.provider, qf.value, qf.year, qf.month, qf.calculation_year, qf.calculation_month) == (
        "CAF",
        812,
        2026,
        2,
        2026,
        1,
    )
    assert qf.allocataires[0] == Person("MARTIN", "", "CLAIRE MARIE", date(1988, 4, 12), "F")
    assert [child.prenoms for child in qf.enfants] == ["LEA"]
    assert qf.correlation_id


def test_franceconnect_route_sends_the_family_token_and_only_the_recipient(api):
    route = api.get(EAJE_FC_URL).respond(200, json=EAJE_ANSWER)
    resources = client.eaje_resources_by_franceconnect(FC_TOKEN)
    [call] = route.calls
    assert call.request.headers["Authorization"] == f"Bearer {FC_TOKEN}"
    assert query(call.request) == {"recipient": [RECIPIENT]}
    assert (resources.annual_resources, resources.year, resources.children, resources.aeeh_children) == (
        40923,
        2024,
        2,
        1,
    )
    assert len(resources.allocataires) == 2


def test_quotient_familial_by_franceconnect_names_the_month_asked(api):
    route = api.get(QF_FC_URL).respond(200, json=QF_ANSWER)
    client.quotient_familial_by_franceconnect(FC_TOKEN, month=1)
    assert query(route.calls.last.request) == {"recipient": [RECIPIENT], "mois": ["1"]}


def test_eaje_by_identity_born_abroad_sends_no_commune(api):
    route = api.get(EAJE_URL).respond(200, json=EAJE_ANSWER)
    abroad = dataclasses.replace(
        CLAIRE, code_cog_insee_pays_naissance="99350", code_cog_insee_commune_naissance="69123"
    )
    client.eaje_resources_by_identity(abroad)
    sent = query(route.calls.last.request)
    assert sent["codeCogInseePaysNaissance"] == ["99350"]
    assert "codeCogInseeCommuneNaissance" not in sent and "nomCommuneNaissance" not in sent


def test_commune_by_name_goes_with_its_departement(api):
    route = api.get(QF_URL).respond(200, json=QF_ANSWER)
    by_name = dataclasses.replace(
        CLAIRE,
        code_cog_insee_commune_naissance="",
        nom_commune_naissance="Gennevilliers",
        code_cog_insee_departement_naissance="92",
        nom_usage="DUPONT",
        prenoms=("Claire", "Marie", "Louise", "Anne"),
    )
    client.quotient_familial_by_identity(by_name)
    sent = query(route.calls.last.request)
    assert sent["nomCommuneNaissance"] == ["Gennevilliers"]
    assert sent["codeCogInseeDepartementNaissance"] == ["92"]
    assert sent["nomUsage"] == ["DUPONT"]
    assert sent["prenoms[]"] == ["Claire", "Marie", "Louise"]  # the contract's maxItems
    assert "codeCogInseeCommuneNaissance" not in sent


@pytest.mark.parametrize(
    "change",
    [
        {"nom_naissance": " "},
        {"prenoms": ()},
        {"sexe": "X"},
        {"date_naissance": None},
        {"code_cog_insee_pays_naissance": "France"},
        {"code_cog_insee_commune_naissance": ""},
        {"code_cog_insee_commune_naissance": "", "nom_commune_naissance": "Lyon"},
    ],
)
def test_an_incomplete_identity_is_refused_before_any_call(api, change):
    route = api.get(QF_URL).respond(200, json=QF_ANSWER)
    with pytest.raises(InvalidIdentity):
        client.quotient_familial_by_identity(dataclasses.replace(CLAIRE, **change))
    assert not route.called


def test_no_url_or_token_is_misconfigured(api, settings):
    settings.API_PARTICULIER_TOKEN = ""
    with pytest.raises(Misconfigured) as raised:
        client.quotient_familial_by_identity(CLAIRE)
    assert raised.value.alerts_agents
    assert not api.calls


# -- Errors --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "body", "kind", "code", "provider"),
    [
        (404, errors("23003", "CNAF"), NotFound, "23003", "CAF"),
        (404, errors("10003", "MSA"), NotFound, "10003", "MSA"),
        (404, errors("37003"), NotFound, "37003", "CNAV"),
        (404, errors("35003", "CNAF & MSA"), NotFound, "35003", ""),
        (401, errors("00101"), InvalidToken, "00101", ""),
        (401, errors("00103"), InvalidToken, "00103", ""),
        (401, errors("00105"), InvalidToken, "00105", ""),
        (403, errors("00100"), ScopeMissing, "00100", ""),
        (409, errors("00015"), RequestInProgress, "00015", ""),
        (422, errors("00366"), InvalidIdentity, "00366", ""),
        (422, errors("00203", parameter="recipient"), Misconfigured, "00203", ""),
        (429, errors("00429"), RateLimited, "00429", ""),
        (429, errors(429), RateLimited, "00429", ""),  # a code sent as a number keeps its zeros
        (502, errors("37999", "CNAV"), ProviderUnavailable, "37999", "CNAV"),
        (504, errors("37002", "CNAV"), ProviderUnavailable, "37002", "CNAV"),
        (504, errors("37001", "CNAV"), ProviderUnavailable, "37001", "CNAV"),
        (504, errors("00501"), ProviderUnavailable, "00501", ""),
        (504, errors("37004", "CNAV"), ProviderUnavailable, "37004", "CNAV"),
        (504, errors("37008", "CNAV"), ProviderUnavailable, "37008", "CNAV"),
        (500, errors("00999"), ProviderUnavailable, "00999", ""),
        (400, errors("00400"), Misconfigured, "00400", ""),
    ],
)
def test_each_status_and_code_maps_to_its_error(api, status, body, kind, code, provider):
    api.get(QF_URL).respond(status, json=body)
    with pytest.raises(ParticulierError) as raised:
        client.quotient_familial_by_identity(CLAIRE)
    error = raised.value
    assert type(error) is kind
    assert (error.status, error.code, error.provider) == (status, code, provider)
    assert error.correlation_id
    assert str(error.message)  # the French message the family reads


@pytest.mark.parametrize(
    ("provider", "words"), [("CNAF", "La CAF"), ("MSA", "La MSA"), ("CNAF & MSA", "ni à la MSA")]
)
def test_not_found_names_the_fund(api, provider, words):
    code = {"CNAF": "23003", "MSA": "10003"}.get(provider, "35003")
    api.get(QF_URL).respond(404, json=errors(code, provider))
    with pytest.raises(NotFound) as raised:
        client.quotient_familial_by_identity(CLAIRE)
    assert words in str(raised.value.message)
    assert not raised.value.retry_helps and not raised.value.alerts_agents


def test_a_401_on_a_franceconnect_route_asks_the_family_to_sign_in_again(api):
    api.get(QF_FC_URL).respond(401, json=errors("00101"))
    with pytest.raises(FranceConnectTokenRefused) as raised:
        client.quotient_familial_by_franceconnect(FC_TOKEN)
    assert raised.value.retry_helps and not raised.value.alerts_agents


@pytest.mark.parametrize(
    ("kind", "alerts", "retry"),
    [
        (InvalidToken, True, False),
        (ScopeMissing, True, False),
        (Misconfigured, True, False),
        (InvalidIdentity, False, False),
        (NotFound, False, False),
        (RequestInProgress, False, True),
        (RateLimited, False, True),
        (ProviderUnavailable, False, True),
        (InvalidResponse, False, True),
    ],
)
def test_flags(kind, alerts, retry):
    assert (kind.alerts_agents, kind.retry_helps) == (alerts, retry)


@pytest.mark.parametrize("status", [401, 403, 404, 422])
def test_a_refusal_without_an_api_particulier_body_is_our_settings(api, status):
    api.get(QF_URL).respond(status, text="<html>Not Found</html>")
    with pytest.raises(Misconfigured):
        client.quotient_familial_by_identity(CLAIRE)


def test_429_carries_the_rate_limit_headers(api):
    reset = int(time.time()) + 42
    api.get(QF_URL).respond(
        429,
        json=errors("00429"),
        headers={
            "RateLimit-Limit": "50",
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": str(reset),
            "Retry-After": "40",
        },
    )
    with pytest.raises(RateLimited) as raised:
        client.quotient_familial_by_identity(CLAIRE)
    assert dataclasses.astuple(raised.value.rate_limit) == (50, 0, reset, 40)


def test_retry_after_as_a_date_or_missing_falls_back_on_the_reset():
    now = 1_800_000_000
    dated = httpx.Response(429, headers={"Retry-After": formatdate(now + 30, usegmt=True)})
    assert client.rate_limit_headers(dated, now).retry_after == 30
    reset_only = httpx.Response(429, headers={"RateLimit-Reset": str(now + 12), "RateLimit-Limit": "x"})
    assert dataclasses.astuple(client.rate_limit_headers(reset_only, now)) == (None, None, now + 12, 12)


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        [],
        {"data": None},
        {"data": {"quotient_familial": None}},
        {"data": {"quotient_familial": {"fournisseur": "CNAV", "valeur": 1, "annee": 2026, "mois": 1}}},
        {"data": {"quotient_familial": {"fournisseur": "CNAF", "valeur": -1, "annee": 2026, "mois": 1}}},
        {"data": {"quotient_familial": {"fournisseur": "CNAF", "valeur": 900, "annee": 2026, "mois": 13}}},
        {"data": {"quotient_familial": {"fournisseur": "MSA", "valeur": True, "annee": 2026, "mois": 1}}},
    ],
)
def test_an_unusable_quotient_familial_is_an_invalid_response(api, body):
    kwargs = {"text": body} if isinstance(body, str) else {"json": body}
    api.get(QF_URL).respond(200, **kwargs)
    with pytest.raises(InvalidResponse):
        client.quotient_familial_by_identity(CLAIRE)


def test_loose_forms_are_read(api):
    """Numbers as strings, the provider in any case, prenoms as a list, a French date, lists missing."""
    api.get(QF_URL).respond(
        200,
        json={
            "data": {
                "allocataires": [
                    {
                        "nom_naissance": "MARTIN",
                        "prenoms": ["CLAIRE", "MARIE"],
                        "date_naissance": "12/04/1988",
                    }
                ],
                "quotient_familial": {"fournisseur": "msa", "valeur": "812", "annee": "2026", "mois": "02"},
            }
        },
    )
    qf = client.quotient_familial_by_identity(CLAIRE)
    assert (qf.provider, qf.value, qf.month, qf.calculation_year, qf.enfants) == ("MSA", 812, 2, None, ())
    assert qf.allocataires[0].prenoms == "CLAIRE MARIE"
    assert qf.allocataires[0].date_naissance == date(1988, 4, 12)


def test_eaje_resources_as_a_bare_number_and_counts_missing(api):
    api.get(EAJE_URL).respond(
        200,
        json={
            "data": {
                "parametres_calcul_participation_familiale": {
                    "base_ressources_annuelles": "31000",
                    "annee_calcul": 2024,
                }
            }
        },
    )
    resources = client.eaje_resources_by_identity(CLAIRE)
    assert (resources.annual_resources, resources.year, resources.children, resources.aeeh_children) == (
        31000,
        2024,
        0,
        0,
    )


@pytest.mark.parametrize(
    "parameters",
    [
        None,
        {},
        {"base_ressources_annuelles": {"valeur": None, "annee_calcul": 2024}},
        {"base_ressources_annuelles": {"valeur": 1}},
    ],
)
def test_eaje_without_resources_is_an_invalid_response(api, parameters):
    api.get(EAJE_URL).respond(200, json={"data": {"parametres_calcul_participation_familiale": parameters}})
    with pytest.raises(InvalidResponse):
        client.eaje_resources_by_identity(CLAIRE)


# -- Retry ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", [502, 504])
def test_one_retry_on_502_and_504(api, sleeps, status):
    route = api.get(QF_URL)
    route.side_effect = [
        httpx.Response(status, json=errors("37001", "CNAV")),
        httpx.Response(200, json=QF_ANSWER),
    ]
    assert client.quotient_familial_by_identity(CLAIRE).value == 812
    assert route.call_count == 2
    assert sleeps == [client.RETRY_BACKOFF]


def test_only_one_retry(api, sleeps):
    route = api.get(QF_URL).respond(502, json=errors("37999", "CNAV"))
    with pytest.raises(ProviderUnavailable):
        client.quotient_familial_by_identity(CLAIRE)
    assert route.call_count == 2


def test_one_retry_on_a_connection_error(api, sleeps):
    route = api.get(EAJE_FC_URL)
    route.side_effect = [httpx.ConnectError("refused"), httpx.Response(200, json=EAJE_ANSWER)]
    assert client.eaje_resources_by_franceconnect(FC_TOKEN).annual_resources == 40923
    assert route.call_count == 2


def test_connection_errors_twice_are_unavailable(api, sleeps):
    route = api.get(EAJE_FC_URL).mock(side_effect=httpx.ConnectTimeout("slow to connect"))
    with pytest.raises(ProviderUnavailable) as raised:
        client.eaje_resources_by_franceconnect(FC_TOKEN)
    assert route.call_count == 2
    assert raised.value.detail == "ConnectTimeout"


@pytest.mark.parametrize("status", [401, 403, 404, 409, 422, 429, 500])
def test_no_retry_on_other_statuses(api, sleeps, status):
    route = api.get(QF_URL).respond(status, json=errors("00000"))
    with pytest.raises(ParticulierError):
        client.quotient_familial_by_identity(CLAIRE)
    assert route.call_count == 1 and sleeps == []


def test_no_retry_after_a_read_timeout(api, sleeps):
    route = api.get(QF_URL).mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(ProviderUnavailable):
        client.quotient_familial_by_identity(CLAIRE)
    assert route.call_count == 1


def test_the_pooled_client_is_rebuilt_when_the_timeout_changes(settings):
    first = client._http()
    assert client._http() is first
    settings.API_PARTICULIER_TIMEOUT = 2.5
    second = client._http()
    assert second is not first and second.timeout.read == 2.5


# -- Limits --------------------------------------------------------------------------------------


def test_twenty_calls_per_second_per_token(api):
    route = api.get(QF_URL).respond(200, json=QF_ANSWER)
    for _ in range(20):
        client.quotient_familial_by_identity(CLAIRE)
    with pytest.raises(RateLimited) as raised:
        client.quotient_familial_by_identity(CLAIRE)
    assert raised.value.status is None and raised.value.rate_limit.retry_after == 1
    assert route.call_count == 20
    api.get(QF_FC_URL).respond(200, json=QF_ANSWER)
    client.quotient_familial_by_franceconnect(FC_TOKEN)  # another token, its own window


def test_a_thousand_calls_per_minute_for_the_address(api, monkeypatch):
    monkeypatch.setattr(client, "PER_ADDRESS", "3/minute")
    route = api.get(QF_FC_URL).respond(200, json=QF_ANSWER)
    for n in range(3):
        client.quotient_familial_by_franceconnect(f"{FC_TOKEN}-{n}")
    with pytest.raises(RateLimited) as raised:
        client.quotient_familial_by_franceconnect(f"{FC_TOKEN}-other")
    assert raised.value.rate_limit.retry_after == 60
    assert route.call_count == 3


def test_a_429_holds_the_route_back_for_every_worker_until_the_reset(api):
    route = api.get(QF_URL).respond(429, json=errors("00429"), headers={"Retry-After": "30"})
    with pytest.raises(RateLimited):
        client.quotient_familial_by_identity(CLAIRE)
    with pytest.raises(RateLimited) as raised:
        client.quotient_familial_by_identity(CLAIRE)
    assert route.call_count == 1  # the second was refused from the shared cache
    assert raised.value.status is None and raised.value.rate_limit.retry_after == 30
    api.get(EAJE_URL).respond(200, json=EAJE_ANSWER)
    client.eaje_resources_by_identity(CLAIRE)  # another route is not held back
    cache.clear()
    route.respond(200, json=QF_ANSWER)
    assert client.quotient_familial_by_identity(CLAIRE).value == 812


def test_remaining_zero_holds_the_route_back_too(api):
    reset = int(time.time()) + 20
    route = api.get(EAJE_URL).respond(
        200,
        json=EAJE_ANSWER,
        headers={"RateLimit-Limit": "50", "RateLimit-Remaining": "0", "RateLimit-Reset": str(reset)},
    )
    client.eaje_resources_by_identity(CLAIRE)
    with pytest.raises(RateLimited):
        client.eaje_resources_by_identity(CLAIRE)
    assert route.call_count == 1


def test_the_token_is_never_a_cache_key(api):
    api.get(QF_URL).respond(429, json=errors("00429"), headers={"Retry-After": "30"})
    with pytest.raises(RateLimited):
        client.quotient_familial_by_identity(CLAIRE)
    assert not [key for key in cache._cache if TOKEN in key]


# -- Logs ----------------------------------------------------------------------------------------


def test_logs_hold_correlation_route_outcome_duration_and_nothing_personal(api, caplog):
    caplog.set_level(logging.DEBUG)
    api.get(QF_URL).respond(200, json=QF_ANSWER)
    api.get(EAJE_FC_URL).respond(404, json=errors("37003"))
    qf = client.quotient_familial_by_identity(CLAIRE)
    with pytest.raises(NotFound):
        client.eaje_resources_by_franceconnect(FC_TOKEN)
    lines = [record.getMessage() for record in caplog.records]
    ours = [line for line in lines if line.startswith("api_particulier:")]
    assert len(ours) == 2
    assert (
        f"correlation_id={qf.correlation_id} route=quotient_familial/identite outcome=200 duration_ms="
        in ours[0]
    )
    assert "route=participation_familiale_eaje/france_connect outcome=404" in ours[1]
    text = "\n".join(logged_lines(caplog.records))
    for secret in ("MARTIN", "Claire", "CLAIRE", "1988", "69123", "812", "40923", TOKEN, FC_TOKEN, RECIPIENT):
        assert secret not in text


def test_a_connection_error_is_logged_by_its_name(api, caplog):
    caplog.set_level(logging.INFO, logger="api_particulier")
    api.get(QF_URL).mock(side_effect=httpx.ReadTimeout("slow"))
    with pytest.raises(ProviderUnavailable):
        client.quotient_familial_by_identity(CLAIRE)
    assert "outcome=ReadTimeout" in caplog.records[-1].getMessage()
