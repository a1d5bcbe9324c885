"""API Particulier's published contract is the judge of the client: every URL it builds is one of the contract's
paths with that operation's parameters (types, enums, lengths, required ones), and it reads the contract's
examples, success (assembled from each property's example) and error alike, and its RateLimit headers."""

import dataclasses
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import respx
from django.core.cache import cache

from api_particulier import client
from api_particulier.situation import ParticulierError
from portal import ratelimit
from tests.api_particulier.conftest import API_URL, CLAIRE, FC_TOKEN, RECIPIENT, TOKEN
from tests.api_particulier.contract import example_of
from tests.api_particulier.test_client import EAJE_ANSWER, QF_ANSWER

QF_IDENTITE = "/v3/dss/quotient_familial/identite"
QF_FC = "/v3/dss/quotient_familial/france_connect"
EAJE_IDENTITE = "/v3/dss/participation_familiale_eaje/identite"
EAJE_FC = "/v3/dss/participation_familiale_eaje/france_connect"
BY_NAME = dataclasses.replace(
    CLAIRE,
    code_cog_insee_commune_naissance="",
    nom_commune_naissance="Gennevilliers",
    code_cog_insee_departement_naissance="92",
    nom_usage="DUPONT",
)
ABROAD = dataclasses.replace(CLAIRE, code_cog_insee_pays_naissance="99350")
LOOKUPS = [
    (QF_IDENTITE, lambda: client.quotient_familial_by_identity(CLAIRE, year=2025, month=12)),
    (QF_IDENTITE, lambda: client.quotient_familial_by_identity(BY_NAME)),
    (QF_IDENTITE, lambda: client.quotient_familial_by_identity(ABROAD, month=3)),
    (QF_FC, lambda: client.quotient_familial_by_franceconnect(FC_TOKEN, year=2026, month=1)),
    (QF_FC, lambda: client.quotient_familial_by_franceconnect(FC_TOKEN)),
    (EAJE_IDENTITE, lambda: client.eaje_resources_by_identity(CLAIRE)),
    (EAJE_IDENTITE, lambda: client.eaje_resources_by_identity(BY_NAME)),
    (EAJE_FC, lambda: client.eaje_resources_by_franceconnect(FC_TOKEN)),
]
LOOKUP_OF = {
    QF_IDENTITE: LOOKUPS[0][1],
    QF_FC: LOOKUPS[3][1],
    EAJE_IDENTITE: LOOKUPS[5][1],
    EAJE_FC: LOOKUPS[7][1],
}
ANSWER_OF = {QF_IDENTITE: QF_ANSWER, QF_FC: QF_ANSWER, EAJE_IDENTITE: EAJE_ANSWER, EAJE_FC: EAJE_ANSWER}


def test_the_client_calls_exactly_the_contracts_dss_routes(contract):
    dss = {path for path in contract.document["paths"] if path.startswith("/v3/dss/")}
    assert dss == set(LOOKUP_OF)
    assert {
        client.PATH.format(route=r, mode=m)
        for r in (client.QUOTIENT_FAMILIAL, client.EAJE)
        for m in (client.IDENTITE, client.FRANCE_CONNECT)
    } == dss


def typed(value: str, schema: dict):
    """A query string value as the schema's type, so the validator can judge it."""
    if schema.get("type") == "integer":
        return int(value)
    return value


@pytest.mark.parametrize(("path", "lookup"), LOOKUPS)
def test_every_url_matches_a_contract_path_with_its_parameters(contract, path, lookup):
    with respx.mock(assert_all_called=False) as api:
        route = api.get(url__startswith=API_URL).respond(200, json=ANSWER_OF[path])
        lookup()
    request = route.calls.last.request
    url = urlsplit(str(request.url))
    assert url.path == path
    declared = contract.parameters(path)
    sent = parse_qsl(url.query)
    names = {name for name, _value in sent}
    assert names <= set(declared), f"not in the contract: {names - set(declared)}"
    assert {name for name, parameter in declared.items() if parameter.get("required")} <= names
    for name in names:
        schema = declared[name]["schema"]
        values = [typed(value, schema.get("items", schema)) for key, value in sent if key == name]
        instance = values if schema.get("type") == "array" else values[0]
        if schema.get("type") != "array":
            assert len(values) == 1, f"{name} sent {len(values)} times"
        assert not contract.errors(instance, schema), (name, instance)
    assert dict(sent)["recipient"] == RECIPIENT
    scheme = contract.document["components"]["securitySchemes"]["jwt_bearer_token"]
    assert contract.operation(path)["security"] == [{"jwt_bearer_token": []}]
    assert (scheme["type"], scheme["scheme"]) == ("http", "bearer")
    token = FC_TOKEN if path.endswith("/france_connect") else TOKEN
    assert request.headers["Authorization"] == f"Bearer {token}"


def test_the_commune_by_name_needs_the_birth_year_as_the_contract_says(contract):
    """nomCommuneNaissance « doit être obligatoirement accompagné des paramètres codeCogInseeDepartementNaissance
    et anneeDateNaissance »."""
    with respx.mock as api:
        route = api.get(API_URL + QF_IDENTITE).respond(200, json=QF_ANSWER)
        client.quotient_familial_by_identity(BY_NAME)
    names = dict(parse_qsl(urlsplit(str(route.calls.last.request.url)).query))
    assert {"nomCommuneNaissance", "codeCogInseeDepartementNaissance", "anneeDateNaissance"} <= set(names)
    assert "nomCommuneNaissance" in contract.parameters(QF_IDENTITE)


def test_the_hand_written_answers_of_these_tests_follow_the_contract(contract):
    for path, answer in ANSWER_OF.items():
        assert not contract.errors(answer, contract.schema(path, 200)), path


@pytest.mark.parametrize("path", list(LOOKUP_OF))
def test_the_client_reads_the_contracts_success_example(contract, path):
    schema = contract.schema(path, 200)
    example = example_of(schema)
    assert not contract.errors(example, schema)
    with respx.mock as api:
        api.get(API_URL + path).respond(200, json=example)
        answer = LOOKUP_OF[path]()
    data = example["data"]
    assert len(answer.allocataires) == len(data["allocataires"])
    if "quotient_familial" in data:
        qf = data["quotient_familial"]
        assert (answer.provider, answer.value, answer.year, answer.month) == (
            {"CNAF": "CAF"}.get(qf["fournisseur"], qf["fournisseur"]),
            qf["valeur"],
            qf["annee"],
            qf["mois"],
        )
    else:
        parameters = data["parametres_calcul_participation_familiale"]
        assert (answer.annual_resources, answer.year, answer.children, answer.aeeh_children) == (
            parameters["base_ressources_annuelles"]["valeur"],
            parameters["base_ressources_annuelles"]["annee_calcul"],
            parameters["nombre_enfants_a_charge"],
            parameters["nombre_enfants_beneficiaire_aeeh"],
        )


@pytest.mark.parametrize("fournisseur", ["CNAF", "MSA"])
def test_both_providers_of_the_contracts_enum_are_read(contract, fournisseur):
    schema = contract.schema(QF_IDENTITE, 200)
    assert (
        fournisseur
        in schema["properties"]["data"]["properties"]["quotient_familial"]["properties"]["fournisseur"][
            "enum"
        ]
    )
    example = example_of(schema)
    example["data"]["quotient_familial"]["fournisseur"] = fournisseur
    with respx.mock as api:
        api.get(API_URL + QF_IDENTITE).respond(200, json=example)
        assert client.quotient_familial_by_identity(CLAIRE).provider == {"CNAF": "CAF"}.get(
            fournisseur, fournisseur
        )


EXPECTED = {
    401: "invalid_token",
    403: "scope_missing",
    404: "not_found",
    409: "in_progress",
    429: "rate_limited",
    502: "unavailable",
    504: "unavailable",
}


@pytest.mark.parametrize("path", list(LOOKUP_OF))
def test_the_client_reads_every_error_example_of_the_contract(contract, path):
    seen = 0
    for status, name, body in contract.error_examples(path):
        assert not contract.errors(body, contract.schema(path, status)), name
        cache.clear()  # a 429 holds the route back, and 20 calls a second fill the token's window:
        ratelimit.reset_memory()  # each example gets its own call
        with respx.mock as api:
            api.get(API_URL + path).respond(status, json=body)
            with pytest.raises(ParticulierError) as raised:
                LOOKUP_OF[path]()
        error = raised.value
        [first] = body["errors"]
        assert (error.status, error.code) == (status, str(first["code"])), name
        expected = EXPECTED.get(status)
        if status == 401 and path.endswith("/france_connect"):
            expected = "franceconnect_token"
        if status == 422:
            expected = "misconfigured" if first["code"] == "00203" else "invalid_identity"
        assert error.reason == expected, name
        if status == 404 and first["code"] in client.NOT_FOUND_CODES:
            assert error.provider == client.NOT_FOUND_CODES[first["code"]]
        seen += 1
    assert seen >= 7  # 401 ×3, 403, 404, 409, 422, 429 at least


def test_the_rate_limit_headers_are_the_contracts(contract):
    headers = contract.response(EAJE_IDENTITE, 200)["headers"]
    assert {"RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset"} <= set(headers)
    values = {
        name: headers[name]["example"]
        for name in ("RateLimit-Limit", "RateLimit-Remaining", "RateLimit-Reset")
    }
    read = client.rate_limit_headers(
        httpx.Response(200, headers={k: str(v) for k, v in values.items()}), now=0
    )
    assert (read.limit, read.remaining, read.reset) == (
        values["RateLimit-Limit"],
        values["RateLimit-Remaining"],
        values["RateLimit-Reset"],
    )
    for name in values:
        assert headers[name]["schema"]["type"] == "integer"
