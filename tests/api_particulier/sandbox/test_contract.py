"""API Particulier's published OpenAPI (the v3 subset the portal uses) is the judge of its simulator: the paths it
serves, the parameters it reads, and every answer it gives, success or error, with the headers the contract
declares, validated against the schema of that path and status.

The contract is `../shared/reference/openapi/api-particulier-v3-subset.yaml` beside the repository (or under
PORTAIL_SHARED_DIR). Without it these tests are skipped, except in CI (CI set), where they fail."""

import copy
import json
import os
from pathlib import Path

import pytest
import yaml
from django.http import JsonResponse
from django.urls import get_resolver
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from api_particulier.sandbox import urls as simulator_urls
from api_particulier.sandbox import views
from tests.api_particulier.sandbox.test_views import (  # noqa: F401  the simulator's fixtures
    BASE,
    DEMO,
    allocataire,
    by_franceconnect,
    by_identity,
    clock,
    fc_token,
    franceconnect,
    pivot,
    sandbox,
)
from tests.franceconnect import test_sandbox as fc

pytestmark = pytest.mark.urls("portal.urls_dev")

REPOSITORY = Path(__file__).resolve().parents[3]
CONTRACT = Path("reference", "openapi", "api-particulier-v3-subset.yaml")
ROUTES = ("quotient_familial", "participation_familiale_eaje")


def contract_path(repository: Path = REPOSITORY) -> Path | None:
    """The shared folder beside the repository root first, then PORTAIL_SHARED_DIR."""
    folders = [repository.parent / "shared"]
    if os.environ.get("PORTAIL_SHARED_DIR"):
        folders.append(Path(os.environ["PORTAIL_SHARED_DIR"]))
    return next((folder / CONTRACT for folder in folders if (folder / CONTRACT).is_file()), None)


class Contract:
    def __init__(self, document: dict):
        self.document = document

    def operation(self, route: str, mode: str) -> dict:
        return self.document["paths"][f"/v3/dss/{route}/{mode}"]["get"]

    def response(self, route: str, mode: str, status: int) -> dict:
        """The contract's response for this status; the france_connect paths list no 502 or 504, which the API
        still answers (provider down, FranceConnect unreachable): those take the identite path's."""
        responses = self.operation(route, mode)["responses"]
        if str(status) not in responses and status in (502, 504):
            responses = self.operation(route, "identite")["responses"]
        return responses[str(status)]

    def validator(self, schema: dict) -> OAS30Validator:
        """An OpenAPI 3.0 validator of `schema` whose $refs resolve in the contract's components."""
        components = copy.deepcopy(self.document["components"])
        return OAS30Validator({**schema, "components": components}, format_checker=oas30_format_checker)

    def errors(self, instance, schema: dict) -> list[str]:
        return [
            f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
            for error in self.validator(schema).iter_errors(instance)
        ]

    def check(self, route: str, mode: str, response) -> None:
        """The body against the schema of this path and status, and the headers the contract declares."""
        declared = self.response(route, mode, response.status_code)
        [(media_type, content)] = declared["content"].items()
        assert response["Content-Type"] == media_type
        assert self.errors(json.loads(response.content), content["schema"]) == []
        for name, header in declared.get("headers", {}).items():
            assert response.has_header(name), name
            value = response[name]
            typed = {
                "boolean": lambda raw: {"true": True, "false": False}[raw],
                "integer": int,
                "number": float,
            }
            kind = header["schema"]["type"]
            assert self.errors(typed[kind](value), header["schema"]) == [], name


@pytest.fixture(scope="session")
def contract() -> Contract:
    path = contract_path()
    if path is None:
        message = (
            f"API Particulier's contract {CONTRACT} is in neither {REPOSITORY.parent / 'shared'} nor "
            "PORTAIL_SHARED_DIR (unset or without it): the contract tests cannot run"
        )
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return Contract(yaml.safe_load(path.read_text(encoding="utf-8")))


def test_the_simulator_serves_the_contracts_paths_and_no_other(contract):
    served = {"/" + str(pattern.pattern) for pattern in simulator_urls.urlpatterns}
    assert served == set(contract.document["paths"])
    assert (
        get_resolver().resolve(f"{BASE}/quotient_familial/identite").url_name == "quotient_familial_identite"
    )


@pytest.mark.parametrize("route", ROUTES)
def test_every_parameter_the_simulator_reads_is_the_contracts(contract, route):
    names = {parameter["name"] for parameter in contract.operation(route, "identite")["parameters"]}
    assert {*DEMO, "recipient", "nomCommuneNaissance", "codeCogInseeDepartementNaissance"} <= names
    required = {
        parameter["name"]
        for parameter in contract.operation(route, "identite")["parameters"]
        if parameter.get("required")
    }
    assert required == {
        "recipient",
        "nomNaissance",
        "prenoms[]",
        "sexeEtatCivil",
        "codeCogInseePaysNaissance",
    }
    if route == "quotient_familial":
        assert {"annee", "mois"} <= names


def test_every_status_the_contract_documents_for_the_identite_routes_is_known(contract):
    for route in ROUTES:
        assert {"200", "401", "404", "422", "429", "502"} <= set(
            contract.operation(route, "identite")["responses"]
        )


IDENTITE_CASES = [
    ("demo", {}, 200),
    ("another month", {"annee": "2025", "mois": "11"}, 200),
    *[(identity, pivot(identity), 200) for identity in ("test", "avec_nom_dusage", "deux_prenoms")],
    ("unknown to the CAF", pivot("date_naissance_partielle"), 404),
    ("not referenced", {"nomNaissance": "PERSONNE"}, 404),
    ("provider down", pivot("naissance_algerie"), 502),
    ("rate limited", {**pivot("genre_indefini"), "sexeEtatCivil": "F"}, 429),
    ("same request in progress", allocataire("dartagnan"), 409),
    ("provider timeout", allocataire("rousseau"), 504),
    ("bad token", {"token": "mauvais-jeton"}, 401),
    ("no recipient", {"recipient": None}, 422),
    ("malformed civility", {"sexeEtatCivil": "X"}, 422),
]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    ("case", "params", "status"), IDENTITE_CASES, ids=[case[0] for case in IDENTITE_CASES]
)
def test_every_identite_answer_is_in_the_contract(client, contract, route, case, params, status):
    response = by_identity(client, route, **params)
    assert response.status_code == status, response.content
    contract.check(route, "identite", response)


def test_the_rate_limit_answer_is_in_the_contract(client, contract):
    for _request in range(20):
        by_identity(client)
    response = by_identity(client)
    assert response.status_code == 429
    contract.check("quotient_familial", "identite", response)


FRANCECONNECT_CASES = [
    ("test", {}, 200),
    ("avec_nom_dusage", {}, 200),
    ("deux_prenoms", {}, 200),
    ("date_naissance_partielle", {}, 404),
    ("moins_18_ans", {}, 404),
    ("naissance_algerie", {}, 502),
    ("genre_indefini", {}, 429),
    ("caracteres_speciaux", {}, 409),
    ("test", {"token": "jeton-franceconnect-inconnu"}, 401),
    ("test", {"recipient": None}, 422),
]


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize(
    ("identity", "params", "status"),
    FRANCECONNECT_CASES,
    ids=[f"{case[0]}-{case[2]}" for case in FRANCECONNECT_CASES],
)
@pytest.mark.usefixtures("franceconnect")
def test_every_franceconnect_answer_is_in_the_contract(client, contract, route, identity, params, status):
    response = by_franceconnect(client, route, identity, **params)
    assert response.status_code == status, response.content
    contract.check(route, "france_connect", response)


@pytest.mark.parametrize("route", ROUTES)
def test_a_commune_token_without_the_scope_is_in_the_contract(client, contract, route):
    other = (
        "jeton-commune-eaje-seul" if route == "quotient_familial" else "jeton-commune-quotient-familial-seul"
    )
    response = by_identity(client, route, token=other)
    assert response.status_code == 403
    contract.check(route, "identite", response)


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.usefixtures("franceconnect")
def test_a_franceconnect_token_without_the_cnaf_scopes_is_in_the_contract(client, contract, route):
    response = by_franceconnect(client, route, token=fc_token(client, "test", scope=fc.SCOPE))
    assert response.status_code == 403
    contract.check(route, "france_connect", response)


def test_the_address_limit_answer_is_in_the_contract(client, contract):
    for _request in range(views.ADDRESS_RATE_LIMIT):
        views.count_address("127.0.0.1")
    response = by_identity(client)
    assert response.status_code == 429 and response["RateLimit-Limit"] == "1000"
    contract.check("quotient_familial", "identite", response)


def test_franceconnect_unreachable_is_in_the_contracts_error_shape(client, settings, contract):
    settings.FRANCECONNECT_ISSUER = "http://127.0.0.1:9/sandbox/franceconnect/api/v2"  # discard port: closed
    response = by_franceconnect(client, token="x")
    assert response.status_code == 504
    contract.check("quotient_familial", "france_connect", response)


def test_the_check_can_fail(client, contract):
    """An answer off the contract (the QF as a string, the headers missing) is caught, not waved through."""
    response = by_identity(client)
    body = response.json()
    body["data"]["quotient_familial"]["valeur"] = "1069"
    assert contract.errors(
        body, contract.response("quotient_familial", "identite", 200)["content"]["application/json"]["schema"]
    )
    broken = JsonResponse(body)
    with pytest.raises(AssertionError):
        contract.check("quotient_familial", "identite", broken)
