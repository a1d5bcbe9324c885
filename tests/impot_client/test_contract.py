"""DGFiP's published OpenAPI contract for API Impôt particulier is the judge, not the portal's own simulator:
the URLs, headers and token scope the client sends, the answers the simulator serves, and the answers the client
can read are each checked against it.

The contract is `../shared/reference/openapi/api-impot-particulier.json` beside the repository (or under
PORTAIL_SHARED_DIR). Without it these tests are skipped, except in CI (CI set), where they fail."""

import copy
import json
import os
import re
import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import respx
from django.core.cache import cache
from django.urls import get_resolver
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from impot_client import client
from impot_client.sandbox import views as simulator_views
from impot_client.sandbox.households import HOUSEHOLDS, Outcome
from impot_client.situation import Address, Declarant
from tests.franceconnect import test_sandbox as fc
from tests.impot_client import test_sandbox as simulator

pytestmark = pytest.mark.urls("portal.urls_dev")

REPOSITORY = Path(__file__).resolve().parents[2]
CONTRACT = Path("reference", "openapi", "api-impot-particulier.json")
RESOURCE = "situations/ir/assiettes/annrev/{annrev}"  # the only resource the portal calls
API_URL = "https://dgfip.test/impotparticulier/1.0"
TOKEN_URL = "https://dgfip.test/token"
TELESERVICE_HEADER = "ID_Teleservice"  # the production spelling: only the embedded simulator needs a hyphen
TODAY = date(2026, 3, 1)  # latest income year 2025
SPI = "3999990000025"
FC_TOKEN = "fc-access-token-4f1c"


def contract_path(repository: Path = REPOSITORY) -> Path | None:
    """The shared folder beside the repository root first, then PORTAIL_SHARED_DIR."""
    folders = [repository.parent / "shared"]
    if os.environ.get("PORTAIL_SHARED_DIR"):
        folders.append(Path(os.environ["PORTAIL_SHARED_DIR"]))
    return next((folder / CONTRACT for folder in folders if (folder / CONTRACT).is_file()), None)


class Contract:
    """The contract's paths as matchers under the server's base path, and its schemas with their references."""

    def __init__(self, document: dict):
        self.document = document
        self.base_path = urlsplit(document["servers"][0]["url"]).path  # /impotparticulier/1.0
        self.matchers = [
            (
                re.compile(
                    re.sub(r"\\\{(\w+)\\\}", r"(?P<\1>[^/]+)", re.escape(self.base_path + template)) + "$"
                ),
                template,
            )
            for template in document["paths"]
        ]

    def match(self, path: str) -> tuple[str, dict[str, str]]:
        """The path template `path` is an instance of, and its path parameters; a test failure when none."""
        found = [
            (template, match.groupdict()) for regex, template in self.matchers if (match := regex.match(path))
        ]
        assert len(found) == 1, f"{path} matches {len(found)} path templates of the contract"
        return found[0]

    def operation(self, template: str) -> dict:
        return self.document["paths"][template]["get"]

    def parameters(self, template: str) -> list[dict]:
        return [self.resolve(parameter) for parameter in self.operation(template)["parameters"]]

    def resolve(self, node: dict) -> dict:
        if "$ref" not in node:
            return node
        found = self.document
        for part in node["$ref"].removeprefix("#/").split("/"):
            found = found[part]
        return found

    def answer(self, template: str) -> tuple[str, dict]:
        """The 200 media type and schema; the FranceConnect path files its 200 under `default`."""
        responses = self.operation(template)["responses"]
        [(media_type, content)] = (responses.get("200") or responses["default"])["content"].items()
        return media_type, content["schema"]

    def validator(self, schema: dict, *, strict: bool = False) -> OAS30Validator:
        """An OpenAPI 3.0 validator of `schema` whose $refs resolve in the contract; `strict` refuses the
        properties no schema declares (the contract allows them, but a simulator sending them is mistaken)."""
        components = copy.deepcopy(self.document["components"])
        if strict:
            for component in components["schemas"].values():
                component.setdefault("additionalProperties", False)
        return OAS30Validator({**schema, "components": components}, format_checker=oas30_format_checker)

    def errors(self, instance, schema: dict, *, strict: bool = False) -> list[str]:
        return [
            f"{'/'.join(map(str, error.absolute_path)) or '(root)'}: {error.message}"
            for error in self.validator(schema, strict=strict).iter_errors(instance)
        ]

    def token_scopes(self) -> set[str]:
        return set(
            self.document["components"]["securitySchemes"]["Authorization"]["flows"]["clientCredentials"][
                "scopes"
            ]
        )

    def security_scopes(self, template: str) -> set[str]:
        return {
            scope
            for requirement in self.operation(template)["security"]
            for scope in requirement.get("Authorization", [])
        }


@pytest.fixture(scope="session")
def contract() -> Contract:
    path = contract_path()
    if path is None:
        message = (
            f"DGFiP's contract {CONTRACT} is in neither {REPOSITORY.parent / 'shared'} nor PORTAIL_SHARED_DIR "
            "(unset or without it): the contract tests cannot run"
        )
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    return Contract(json.loads(path.read_text(encoding="utf-8")))


def test_the_contract_is_looked_for_beside_the_repository_then_under_portail_shared_dir(
    tmp_path, monkeypatch
):
    repository, elsewhere = tmp_path / "portail-famille", tmp_path / "elsewhere"
    monkeypatch.delenv("PORTAIL_SHARED_DIR", raising=False)
    assert contract_path(repository) is None

    monkeypatch.setenv("PORTAIL_SHARED_DIR", str(elsewhere))
    (elsewhere / CONTRACT).parent.mkdir(parents=True)
    (elsewhere / CONTRACT).write_text("{}")
    assert contract_path(repository) == elsewhere / CONTRACT

    (tmp_path / "shared" / CONTRACT).parent.mkdir(parents=True)
    (tmp_path / "shared" / CONTRACT).write_text("{}")
    assert contract_path(repository) == tmp_path / "shared" / CONTRACT


def test_the_contract_declares_the_portals_resource_in_both_modes(contract):
    assert contract.base_path == "/impotparticulier/1.0"
    assert {f"/{RESOURCE}", f"/spi/{{spi}}/{RESOURCE}"} <= set(contract.document["paths"])


# -- What the client sends ---------------------------------------------------------------------------


@pytest.fixture
def client_settings(settings, monkeypatch):
    """The client configured for a production-like gateway."""
    settings.IMPOT_API_URL, settings.IMPOT_TOKEN_URL = API_URL, TOKEN_URL
    settings.IMPOT_CLIENT_ID, settings.IMPOT_CLIENT_SECRET = "portail-test", "secret-test"
    settings.IMPOT_ID_TELESERVICE, settings.IMPOT_TELESERVICE_HEADER = "cantine-test", TELESERVICE_HEADER
    settings.IMPOT_CLIENT_CERT = settings.IMPOT_CLIENT_KEY = ""
    settings.IMPOT_QUOTA_PER_MINUTE = 1000
    monkeypatch.setattr(client, "sleep", lambda seconds: None)
    cache.clear()


@pytest.fixture
def gateway(client_settings):
    """A respx DGFiP that has nothing for the latest year (410 4101) and the figures for the others, so that
    a lookup asks every year it may ask."""

    def answer(request):
        if request.url.path.endswith(f"/annrev/{client.latest_income_year(TODAY)}"):
            return httpx.Response(410, json={"erreur": {"codeapp": 4101, "message": "aucun résultat"}})
        return httpx.Response(200, json={"rfr": 38500, "nbPart": 2.5})

    with respx.mock(assert_all_called=False) as router:
        router.post(TOKEN_URL, name="token").respond(
            200, json={"access_token": "app-token", "expires_in": 3600}
        )
        router.get(url__startswith=API_URL, name="api").mock(side_effect=answer)
        yield router


LOOKUPS = {
    "franceconnect": lambda **kwargs: client.franceconnect_lookup(FC_TOKEN).run(TODAY, **kwargs),
    "numero_fiscal": lambda **kwargs: client.numero_fiscal_lookup(SPI).run(TODAY, **kwargs),
}


@pytest.mark.parametrize("mode", LOOKUPS)
@pytest.mark.parametrize("year", [None, 2019])  # the fallback's two years, then a year asked by impot_lookup
def test_every_url_the_client_builds_is_a_path_of_the_contract(contract, gateway, mode, year):
    LOOKUPS[mode](year=year)

    requests = [call.request for call in gateway["api"].calls]
    assert len(requests) == (2 if year is None else 1)
    for request in requests:
        template, parameters = contract.match(request.url.path)
        assert template == (f"/{RESOURCE}" if mode == "franceconnect" else f"/spi/{{spi}}/{RESOURCE}")
        assert request.url.host == urlsplit(API_URL).hostname and not request.url.query
        for parameter in contract.parameters(template):
            if parameter["in"] == "path":
                value = parameters[parameter["name"]]
                typed = int(value) if parameter["schema"]["type"] == "integer" else value
                assert not contract.errors(typed, parameter["schema"]), (parameter["name"], value)


@pytest.mark.parametrize("mode", LOOKUPS)
def test_the_client_sends_the_headers_the_contract_requires(contract, gateway, mode):
    LOOKUPS[mode]()

    for call in gateway["api"].calls:
        request = call.request
        template, _parameters = contract.match(request.url.path)
        headers = [parameter for parameter in contract.parameters(template) if parameter["in"] == "header"]
        for parameter in headers:
            if parameter["required"]:
                assert parameter["name"] in request.headers, parameter["name"]
            if parameter["name"] in request.headers:
                value = request.headers[parameter["name"]]
                assert not contract.errors(value, parameter["schema"]), (parameter["name"], value)
        assert request.headers["Authorization"].startswith("Bearer ")
        assert uuid.UUID(request.headers["X-Correlation-ID"])
        assert TELESERVICE_HEADER in {parameter["name"] for parameter in headers}
        sent_fc = "X-FranceConnect-OAuth" in request.headers
        assert sent_fc == (mode == "franceconnect")
        assert sent_fc == ("X-FranceConnect-OAuth" in {parameter["name"] for parameter in headers})
        media_type, _schema = contract.answer(template)
        assert media_type in request.headers["Accept"]


@pytest.mark.parametrize("mode", LOOKUPS)
def test_the_token_request_asks_the_scope_of_the_path_called(contract, gateway, mode):
    LOOKUPS[mode]()

    [token_request] = [call.request for call in gateway["token"].calls]
    sent = parse_qs(token_request.content.decode())
    assert sent["grant_type"] == ["client_credentials"]
    scopes = set(sent["scope"][0].split())
    assert scopes <= contract.token_scopes()
    for call in gateway["api"].calls:
        template, _parameters = contract.match(call.request.url.path)
        assert contract.security_scopes(template) <= scopes, template


# -- What the simulator serves ---------------------------------------------------------------------------


def test_the_simulator_grants_the_contracts_scopes_and_requires_the_one_its_path_names(contract):
    assert contract.token_scopes() == simulator_views.KNOWN_SCOPES
    template = "/spi/{spi}/situations/ir/assiettes/annrev/{annrev}"
    assert contract.security_scopes(template) == {simulator_views.RESOURCE_SCOPE}
    assert contract.security_scopes(template.removeprefix("/spi/{spi}")) == {simulator_views.RESOURCE_SCOPE}


pytestmark = pytest.mark.urls("portal.urls_dev")


@pytest.fixture
def dgfip_simulator(settings, monkeypatch):
    """The DGFiP simulator as test_sandbox.py sets it up, on 15 September 2025 (latest income year 2024)."""
    settings.DEBUG = settings.IMPOT_SANDBOX = settings.FRANCECONNECT_SANDBOX = True
    settings.IMPOT_CLIENT_ID, settings.IMPOT_CLIENT_SECRET = simulator.CLIENT_ID, simulator.CLIENT_SECRET
    settings.IMPOT_ID_TELESERVICE = simulator.TELESERVICE
    settings.IMPOT_TIMEOUT = 5.0
    settings.FRANCECONNECT_CLIENT_ID, settings.FRANCECONNECT_CLIENT_SECRET = fc.CLIENT_ID, fc.CLIENT_SECRET
    settings.FRANCECONNECT_SANDBOX_REDIRECT_URIS = [fc.REDIRECT_URI]
    monkeypatch.setattr(simulator_views, "now", simulator.Clock())
    monkeypatch.setattr(simulator_views, "sleep", lambda seconds: None)  # the slow household answers at once
    cache.clear()
    yield
    cache.clear()


ANSWERING = [
    spi for spi, household in HOUSEHOLDS.items() if household.outcome in (Outcome.ANSWER, Outcome.SLOW)
]
ANSWERING_BY_FRANCECONNECT = [
    household.franceconnect
    for household in HOUSEHOLDS.values()
    if household.franceconnect and household.outcome == Outcome.ANSWER
]
EVERY_FC_FIELD = f"{simulator.ALL_FC_SCOPES} dgfip_aft dgfip_annee_n_moins_2_si_indispo_n_moins_1"


def assert_valid_answer(contract, response, template):
    media_type, schema = contract.answer(template)
    assert response.status_code == 200, response.content
    assert response["Content-Type"] == media_type
    assert not contract.errors(response.json(), schema, strict=True)


@pytest.mark.parametrize("spi", ANSWERING)
@pytest.mark.parametrize("year", [2024, 2023, 2022])
def test_every_answer_by_numero_fiscal_is_valid_under_the_contract(
    contract, dgfip_simulator, client, spi, year
):
    response = simulator.by_spi(client, spi, year=year)
    assert_valid_answer(contract, response, f"/spi/{{spi}}/{RESOURCE}")


@pytest.mark.parametrize("identity", ANSWERING_BY_FRANCECONNECT)
def test_every_answer_by_franceconnect_is_valid_under_the_contract(
    contract, dgfip_simulator, client, live_server, settings, identity
):
    settings.FRANCECONNECT_ISSUER = live_server.url + fc.BASE  # where the simulator asks checktoken
    response = simulator.by_franceconnect(client, identity, scope=EVERY_FC_FIELD)
    assert_valid_answer(contract, response, f"/{RESOURCE}")
    assert "aftDetail" in response.json()


def test_the_simulator_serves_the_contracts_paths(contract):
    """Each of the simulator's resource routes, with its parameters filled in, is a path of the contract."""
    resource_patterns = [
        str(pattern.pattern)
        for pattern in get_resolver("impot_client.sandbox.urls").url_patterns
        if str(pattern.pattern).startswith("impotparticulier/")
    ]
    assert len(resource_patterns) == 2
    for pattern in resource_patterns:
        path = "/" + re.sub(r"<str:(\w+)>", lambda found: {"spi": SPI, "year": "2024"}[found[1]], pattern)
        contract.match(path)


# -- What the client can read -----------------------------------------------------------------------------


def instance_of(contract: Contract, schema: dict):
    """One value of every property `schema` declares, of the declared type: the fullest answer the contract
    allows."""
    schema = contract.resolve(schema)
    kind = schema.get("type")
    if kind == "object":
        return {name: instance_of(contract, value) for name, value in schema.get("properties", {}).items()}
    if kind == "array":
        return [instance_of(contract, schema["items"])]
    return {"integer": 1, "number": 1.5, "string": "X", "boolean": True}[kind]


@pytest.fixture
def full_answer(contract):
    """Every field of the contract's answer, with plausible values where the client reads them."""
    _media_type, schema = contract.answer(f"/spi/{{spi}}/{RESOURCE}")
    answer = instance_of(contract, schema)
    answer.update(
        rfr=38500,
        nbPart=2.5,
        sitFam="M",
        sitParIso="T",
        pac={**answer["pac"], "nbPac": 2},
        nmNaiDec1="MARTIN",
        nmUsaDec1="MARTIN",
        prnmDec1="CLAIRE MARIE",
        dateNaisDec1={"jour": "12", "mois": "04", "annee": "1988"},
        nmNaiDec2="BENALI",
        nmUsaDec2="MARTIN",
        prnmDec2="KARIM",
        dateNaisDec2={"jour": "03", "mois": "11", "annee": "1986"},
        aft="BAT B 12 RUE DES TILLEULS 99999 BEAUVAL",
        aftDetail={
            "complementAdresse": "BAT B",
            "voie": "12 RUE DES TILLEULS",
            "getcommune": "BEAUVAL",
            "getcodePostal": "99999",
        },
    )
    assert not contract.errors(answer, schema, strict=True)
    return answer


def read(answer: dict, mode: str = "numero_fiscal"):
    """`answer` served for the latest year, read by the client."""
    with respx.mock(assert_all_called=False) as router:  # the token may come from the cache
        router.post(TOKEN_URL).respond(200, json={"access_token": "app-token", "expires_in": 3600})
        router.get(url__startswith=API_URL).respond(200, json=answer)
        return LOOKUPS[mode]()


@pytest.mark.parametrize("mode", LOOKUPS)
def test_the_client_reads_the_fullest_answer_of_the_contract(client_settings, full_answer, mode):
    situation = read(full_answer, mode)

    assert (situation.year, situation.rfr, situation.nb_parts, situation.nb_pac) == (
        2025,
        38500,
        Decimal("2.5"),
        2,
    )
    assert (situation.sit_fam, situation.single_parent) == ("M", True)
    assert situation.declarants == (
        Declarant("MARTIN", "MARTIN", "CLAIRE MARIE", date(1988, 4, 12)),
        Declarant("BENALI", "MARTIN", "KARIM", date(1986, 11, 3)),
    )
    assert situation.address == Address(
        "BAT B 12 RUE DES TILLEULS 99999 BEAUVAL", "BAT B", "12 RUE DES TILLEULS", "99999", "BEAUVAL"
    )


def test_the_client_reads_the_smallest_answer_of_the_contract(client_settings):
    situation = read({"rfr": 0, "nbPart": 1.0})

    assert (situation.rfr, situation.nb_parts, situation.nb_pac, situation.sit_fam) == (
        0,
        Decimal("1.0"),
        0,
        "",
    )
    assert (situation.declarants, situation.address, situation.single_parent) == ((), None, False)


def test_the_client_reads_the_answer_without_each_optional_property(contract, client_settings, full_answer):
    """The contract marks no property required; the client needs rfr and nbPart only, the rest may be absent."""
    _media_type, schema = contract.answer(f"/spi/{{spi}}/{RESOURCE}")
    optional = [name for name in contract.resolve(schema)["properties"] if name not in ("rfr", "nbPart")]
    assert {"pac", "dateNaisDec1", "nmNaiDec2", "aft", "aftDetail", "sitParIso"} <= set(optional)

    for absent in optional:
        situation = read({name: value for name, value in full_answer.items() if name != absent})

        assert (situation.rfr, situation.nb_parts, len(situation.declarants)) == (38500, Decimal("2.5"), 2), (
            absent
        )
        assert situation.nb_pac == (0 if absent == "pac" else 2), absent
        assert situation.single_parent is (absent != "sitParIso"), absent
        if absent.startswith("dateNaisDec"):
            assert situation.declarants[int(absent[-1]) - 1].birth_date is None
        assert situation.address.text == ("" if absent == "aft" else full_answer["aft"]), absent
        assert situation.address.city == ("" if absent == "aftDetail" else "BEAUVAL"), absent


def test_the_client_reads_the_second_declarant_absent(client_settings, full_answer):
    answer = {name: value for name, value in full_answer.items() if not name.endswith("Dec2")}
    assert [declarant.first_names for declarant in read(answer).declarants] == ["CLAIRE MARIE"]


@pytest.mark.parametrize(
    "detail",
    [
        {"voie": "12 RUE DES TILLEULS", "getcommune": "BEAUVAL", "getcodePostal": "99999"},  # the contract's
        {"voie": "12 RUE DES TILLEULS", "commune": "BEAUVAL", "codePostal": "99999"},  # DGFiP's 2020 schema
    ],
    ids=["getcommune-getcodePostal", "commune-codePostal"],
)
def test_the_client_reads_both_spellings_of_the_address_detail(client_settings, detail):
    situation = read(
        {"rfr": 38500, "nbPart": 2.5, "aft": "12 RUE DES TILLEULS 99999 BEAUVAL", "aftDetail": detail}
    )

    assert situation.address == Address(
        "12 RUE DES TILLEULS 99999 BEAUVAL", "", "12 RUE DES TILLEULS", "99999", "BEAUVAL"
    )


@pytest.mark.parametrize("detail", [None, "12 RUE DES TILLEULS", [], {}])
def test_an_address_detail_of_another_shape_leaves_the_line_alone(client_settings, detail):
    situation = read(
        {"rfr": 38500, "nbPart": 2.5, "aft": "12 RUE DES TILLEULS 99999 BEAUVAL", "aftDetail": detail}
    )
    assert situation.address == Address("12 RUE DES TILLEULS 99999 BEAUVAL")
