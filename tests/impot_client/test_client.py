"""The DGFiP client against a respx DGFiP: each error mapping, each retry rule, the shared token and
quota, the mTLS client and the logs. Every test counts the HTTP calls it expects."""

import logging
import os
import ssl
import time
import uuid
from base64 import b64encode
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from urllib.parse import parse_qs

import httpx
import pytest
import respx
from django.core.cache import cache, caches
from django.utils import timezone

from impot_client import client, situation
from impot_client.situation import (
    AccessRefused,
    Declarant,
    ImpotUnavailable,
    InvalidResponse,
    InvalidTaxNumber,
    NoDeclaration,
    QuotaReached,
)
from portal import ratelimit
from tests.logs import logged_lines

API_URL = "https://dgfip.test/impotparticulier/1.0"
TOKEN_URL = "https://dgfip.test/token"
CLIENT_ID = "portail-test"
CLIENT_SECRET = "secret-test"
TELESERVICE = "cantine-test"
BACKOFF = 0.25
SPI = "3999999887218"
FC_TOKEN = "fc-access-token-4f1c"
TODAY = date(2026, 3, 1)  # latest income year 2025, not yet taxed: the year before is 2024
ANSWER = {
    "rfr": 48213,
    "nbPart": 2.5,
    "sitFam": "M",
    "pac": {"nbPac": 1},
    "sitParIso": "F",
    "nmNaiDec1": " DUPONT ",
    "nmUsaDec1": "DUPONT",
    "prnmDec1": "STEPHANE PAUL",
    "dateNaisDec1": {"jour": "19", "mois": "01", "annee": "1980"},
    "nmNaiDec2": "MARTIN",
    "nmUsaDec2": "DUPONT",
    "prnmDec2": "CLAIRE",
    "dateNaisDec2": {"jour": 3, "mois": 7, "annee": 1982},
}


@pytest.fixture(autouse=True)
def impot_settings(settings):
    settings.IMPOT_API_URL = API_URL
    settings.IMPOT_TOKEN_URL = TOKEN_URL
    settings.IMPOT_CLIENT_ID = CLIENT_ID
    settings.IMPOT_CLIENT_SECRET = CLIENT_SECRET
    settings.IMPOT_ID_TELESERVICE = TELESERVICE
    settings.IMPOT_TELESERVICE_HEADER = "ID_Teleservice"  # the real name; only the simulator needs the hyphen
    settings.IMPOT_CLIENT_CERT = settings.IMPOT_CLIENT_KEY = ""
    settings.IMPOT_QUOTA_PER_MINUTE = 1000
    settings.IMPOT_TIMEOUT = 5.0
    settings.IMPOT_RETRY_BACKOFF = BACKOFF
    cache.clear()


@pytest.fixture(autouse=True)
def sleeps(monkeypatch):
    """The backoffs asked for; no test ever really waits."""
    asked = []
    monkeypatch.setattr(client, "sleep", asked.append)
    return asked


@pytest.fixture
def dgfip():
    """A respx router whose token endpoint hands out app-token-1, app-token-2... valid one hour."""
    issued = []

    def issue(request):
        issued.append(request)
        return httpx.Response(200, json={"access_token": f"app-token-{len(issued)}", "expires_in": 3600})

    with respx.mock(assert_all_called=False) as router:
        router.post(TOKEN_URL, name="token").mock(side_effect=issue)
        yield router


def fc_route(router, year=2025):
    return router.get(f"{API_URL}/situations/ir/assiettes/annrev/{year}")


def spi_route(router, year=2025):
    return router.get(f"{API_URL}/spi/{SPI}/situations/ir/assiettes/annrev/{year}")


def fc_lookup():
    return client.fetch_with_franceconnect(FC_TOKEN, today=TODAY)


def spi_lookup():
    return client.fetch_by_numero_fiscal(SPI, today=TODAY)


MISSING = ...  # a key left out of the answer


def erreur(code, key="codeapp"):
    """DGFiP's error body: the contract names the application code `codeapp`; `code` circulates too."""
    return {"erreur": {key: code, "message": "..."}}


def misconfigured():
    """GatewayMisconfigured, looked up when the test runs: the class is new with issue 11."""
    return getattr(situation, "GatewayMisconfigured", type("NotYetDefined", (Exception,), {}))


class Clock:
    """Stands in for time.time(): the cache's expiries and the quota's minutes follow it."""

    def __init__(self):
        self.now = 60.0 * 29_000_000  # the first second of a minute

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr(time, "time", clock)
    return clock


class TestSuccess:
    def test_franceconnect_mode_sends_the_documented_request(self, dgfip):
        route = fc_route(dgfip).respond(200, json=ANSWER)

        situation = fc_lookup()

        request = route.calls.last.request
        assert request.url == f"{API_URL}/situations/ir/assiettes/annrev/2025"
        assert request.headers["Authorization"] == "Bearer app-token-1"
        assert uuid.UUID(request.headers["X-Correlation-ID"]).version == 4
        assert request.headers["X-Correlation-ID"] == situation.correlation_id
        assert request.headers["ID_Teleservice"] == TELESERVICE
        assert request.headers["Accept"] == (
            "application/prs.dgfip.part.situations.ir.assiettes.v1+json, application/json"
        )
        assert request.headers["X-FranceConnect-OAuth"] == FC_TOKEN

    def test_numero_fiscal_mode_puts_it_in_the_path_and_sends_no_franceconnect_header(self, dgfip):
        route = spi_route(dgfip).respond(200, json=ANSWER)

        situation = spi_lookup()

        request = route.calls.last.request
        assert request.url == f"{API_URL}/spi/{SPI}/situations/ir/assiettes/annrev/2025"
        assert request.headers["Authorization"] == "Bearer app-token-1"
        assert request.headers["X-Correlation-ID"] == situation.correlation_id
        assert request.headers["ID_Teleservice"] == TELESERVICE
        assert "X-FranceConnect-OAuth" not in request.headers

    def test_the_answer_becomes_a_tax_situation(self, dgfip):
        fc_route(dgfip).respond(200, json=ANSWER)

        situation = fc_lookup()

        assert (situation.year, situation.rfr, situation.nb_parts) == (2025, 48213, Decimal("2.5"))
        assert (situation.sit_fam, situation.nb_pac, situation.single_parent) == ("M", 1, False)
        assert situation.declarants == (
            Declarant("DUPONT", "DUPONT", "STEPHANE PAUL", date(1980, 1, 19)),
            Declarant("MARTIN", "DUPONT", "CLAIRE", date(1982, 7, 3)),
        )

    def test_each_call_has_its_own_correlation_id(self, dgfip):
        route = fc_route(dgfip).respond(200, json=ANSWER)

        ids = {fc_lookup().correlation_id for _ in range(3)}

        assert ids == {call.request.headers["X-Correlation-ID"] for call in route.calls}
        assert len(ids) == 3

    def test_a_retry_has_its_own_correlation_id(self, dgfip):
        route = fc_route(dgfip)
        route.side_effect = [httpx.Response(503), httpx.Response(200, json=ANSWER)]

        situation = fc_lookup()

        first, second = (call.request.headers["X-Correlation-ID"] for call in route.calls)
        assert first != second
        assert situation.correlation_id == second

    def test_numero_fiscal_typed_with_spaces_is_accepted(self, dgfip):
        route = spi_route(dgfip).respond(200, json=ANSWER)

        client.fetch_by_numero_fiscal(" 3999 999 887 218 ", today=TODAY)

        assert route.call_count == 1

    @pytest.mark.parametrize(
        "numero", ["399999988721", "39999998872180", "399999988721A", "../../../token/1"]
    )
    def test_numero_fiscal_that_is_not_13_digits_is_refused_without_any_call(self, dgfip, numero):
        with pytest.raises(InvalidTaxNumber):
            client.fetch_by_numero_fiscal(numero, today=TODAY)
        assert dgfip.calls.call_count == 0

    def test_without_today_the_year_comes_from_the_local_date(self, dgfip):
        year = timezone.localdate().year - 1
        route = fc_route(dgfip, year).respond(200, json=ANSWER)

        assert client.fetch_with_franceconnect(FC_TOKEN).year == year
        assert route.call_count == 1

    def test_latest_income_year_is_last_year(self):
        assert client.latest_income_year(TODAY) == 2025


class TestParsing:
    def situation(self, dgfip, **changes):
        answer = {key: value for key, value in {**ANSWER, **changes}.items() if value is not MISSING}
        fc_route(dgfip).respond(200, json=answer)
        return fc_lookup()

    @pytest.mark.parametrize("rfr", [48213, "48213", 48213.0, " 48213 ", "48213.0"])
    def test_rfr_as_number_or_numeric_string(self, dgfip, rfr):
        assert self.situation(dgfip, rfr=rfr).rfr == 48213

    @pytest.mark.parametrize(
        "nb_part, expected",
        [(2.5, "2.5"), ("2.5", "2.5"), ("2,5", "2.5"), (2, "2"), (1.0, "1.0"), ("1,75", "1.75")],
    )
    def test_nb_part_as_number_or_string_with_point_or_comma(self, dgfip, nb_part, expected):
        assert self.situation(dgfip, nbPart=nb_part).nb_parts == Decimal(expected)

    @pytest.mark.parametrize("pac, expected", [({"nbPac": 2}, 2), ({"nbPac": "3"}, 3), (MISSING, 0), ({}, 0)])
    def test_nb_pac_as_number_or_string_and_zero_when_missing(self, dgfip, pac, expected):
        assert self.situation(dgfip, pac=pac).nb_pac == expected

    def test_sit_fam_is_empty_when_not_released(self, dgfip):
        assert self.situation(dgfip, sitFam=MISSING).sit_fam == ""

    @pytest.mark.parametrize(
        "value, expected", [("T", True), (True, True), ("F", False), ("", False), (MISSING, False)]
    )
    def test_single_parent_from_case_t(self, dgfip, value, expected):
        assert self.situation(dgfip, sitParIso=value).single_parent is expected

    def test_second_declarant_omitted_when_absent(self, dgfip):
        situation = self.situation(
            dgfip, nmNaiDec2=MISSING, nmUsaDec2=MISSING, prnmDec2=MISSING, dateNaisDec2=MISSING
        )
        assert [declarant.birth_name for declarant in situation.declarants] == ["DUPONT"]

    def test_second_declarant_omitted_when_nameless(self, dgfip):
        situation = self.situation(dgfip, nmNaiDec2="  ", nmUsaDec2=None, prnmDec2="")
        assert len(situation.declarants) == 1

    def test_names_are_stripped(self, dgfip):
        situation = self.situation(dgfip, nmNaiDec1="  DUPONT", prnmDec1="STEPHANE  ")
        assert (situation.declarants[0].birth_name, situation.declarants[0].first_names) == (
            "DUPONT",
            "STEPHANE",
        )

    @pytest.mark.parametrize(
        "birth",
        [
            {"jour": "19", "mois": "01"},
            {"jour": "31", "mois": "02", "annee": "1980"},
            {"jour": "xx", "mois": "01", "annee": "1980"},
            {"jour": None, "mois": "01", "annee": "1980"},
            "19/01/1980",
            None,
        ],
    )
    def test_incomplete_or_invalid_birth_date_is_none(self, dgfip, birth):
        assert self.situation(dgfip, dateNaisDec1=birth).declarants[0].birth_date is None

    @pytest.mark.parametrize("rfr", [MISSING, None, "", "abc", 48213.5, -1, True, [48213], "NaN"])
    def test_missing_or_unreadable_rfr_is_an_incomplete_answer(self, dgfip, rfr):
        with pytest.raises(InvalidResponse) as raised:
            self.situation(dgfip, rfr=rfr)
        assert raised.value.reason == "incomplete"

    @pytest.mark.parametrize("nb_part", [MISSING, None, "", "deux", 0, "0,0", -1])
    def test_missing_or_unreadable_nb_part_is_an_incomplete_answer(self, dgfip, nb_part):
        with pytest.raises(InvalidResponse) as raised:
            self.situation(dgfip, nbPart=nb_part)
        assert raised.value.reason == "incomplete"

    @pytest.mark.parametrize("nb_pac", ["un", 1.5, -1])
    def test_unreadable_nb_pac_is_an_incomplete_answer(self, dgfip, nb_pac):
        with pytest.raises(InvalidResponse) as raised:
            self.situation(dgfip, pac={"nbPac": nb_pac})
        assert raised.value.reason == "incomplete"

    def test_an_incomplete_answer_says_retrying_will_not_help_and_points_to_the_notice(self, dgfip):
        route = fc_route(dgfip).respond(200, json={**ANSWER, "rfr": None})

        with pytest.raises(InvalidResponse) as raised:
            fc_lookup()

        message = str(raised.value.message)
        assert "Réessayez" not in message
        assert "n'y changera rien" in message and "avis d'imposition" in message
        assert raised.value.correlation_id == route.calls.last.request.headers["X-Correlation-ID"]
        assert isinstance(raised.value, ImpotUnavailable)  # the views' catch-all still applies

    @pytest.mark.parametrize(
        "response",
        [
            httpx.Response(200, text="<html>maintenance</html>"),
            httpx.Response(200),
            httpx.Response(200, json=[ANSWER]),
        ],
    )
    def test_unreadable_body_is_invalid_and_carries_the_correlation_id(self, dgfip, response):
        route = fc_route(dgfip).mock(return_value=response)

        with pytest.raises(InvalidResponse) as raised:
            fc_lookup()

        assert raised.value.reason == "invalid_response"  # perhaps a passing fault: "réessayez" holds
        assert raised.value.correlation_id == route.calls.last.request.headers["X-Correlation-ID"]


class TestYears:
    @pytest.mark.parametrize(
        "unavailable",
        [
            httpx.Response(410, json=erreur("4101")),
            httpx.Response(410, json=erreur(4101)),
            httpx.Response(410, json=erreur("4101", key="code")),
            httpx.Response(410, json={"codeapp": 4101, "message": "..."}),
            httpx.Response(410, json={"erreur": [{"codeapp": 4101, "message": "..."}]}),
            httpx.Response(410, json={"erreur": {"message": "aucun résultat"}}),  # the status decides
            httpx.Response(410),
            httpx.Response(404, json=erreur(4101)),
            httpx.Response(404, json={"erreur": {"message": "aucun résultat"}}),
            httpx.Response(400, json=erreur("4002")),
            httpx.Response(400, json=erreur(4002, key="code")),
        ],
    )
    def test_year_not_available_asks_the_year_before(self, dgfip, unavailable):
        latest = fc_route(dgfip, 2025).mock(return_value=unavailable)
        before = fc_route(dgfip, 2024).respond(200, json=ANSWER)

        situation = fc_lookup()

        assert situation.year == 2024
        assert (latest.call_count, before.call_count) == (1, 1)
        assert dgfip.calls[1].request.url.path.endswith("/annrev/2025")  # [0] is the token request
        assert dgfip.calls[2].request.url.path.endswith("/annrev/2024")
        assert situation.correlation_id == before.calls.last.request.headers["X-Correlation-ID"]

    def test_falls_back_only_once(self, dgfip):
        latest = spi_route(dgfip, 2025).respond(410, json=erreur("4101"))
        before = spi_route(dgfip, 2024).respond(404, json=erreur(4101))
        older = spi_route(dgfip, 2023).respond(200, json=ANSWER)

        with pytest.raises(NoDeclaration) as raised:
            spi_lookup()

        assert (latest.call_count, before.call_count, older.call_count) == (1, 1, 0)
        assert raised.value.correlation_id == before.calls.last.request.headers["X-Correlation-ID"]

    @pytest.mark.parametrize("body", [erreur("4102"), erreur(4102, key="code"), {"codeapp": "4102"}])
    def test_numero_fiscal_matching_nobody_is_no_declaration_without_fallback(self, dgfip, body):
        latest = spi_route(dgfip, 2025).respond(410, json=body)
        before = spi_route(dgfip, 2024).respond(200, json=ANSWER)

        with pytest.raises(NoDeclaration):
            spi_lookup()

        assert (latest.call_count, before.call_count) == (1, 0)

    def test_a_given_year_is_asked_alone(self, dgfip):
        asked = spi_route(dgfip, 2022).respond(410, json=erreur(4101))
        before = spi_route(dgfip, 2021).respond(200, json=ANSWER)
        lookup = client.numero_fiscal_lookup(SPI)

        with pytest.raises(NoDeclaration):
            lookup.run(TODAY, year=2022)

        assert (asked.call_count, before.call_count, lookup.year) == (1, 0, 2022)

    def test_the_lookup_says_which_year_answered_and_how_many_token_requests_it_made(self, dgfip):
        spi_route(dgfip, 2025).respond(410, json=erreur(4101))
        spi_route(dgfip, 2024).respond(200, json=ANSWER)
        first, second = client.numero_fiscal_lookup(SPI), client.numero_fiscal_lookup(SPI)

        assert first.run(TODAY).year == first.year == 2024
        second.run(TODAY)

        assert (first.token_requests, second.token_requests) == (1, 0)  # the second uses the cached token

    def test_no_content_is_no_declaration(self, dgfip):
        fc_route(dgfip).respond(204)
        with pytest.raises(NoDeclaration):
            fc_lookup()


class TestErrors:
    @pytest.mark.parametrize("body", [erreur("4001"), erreur(4001, key="code"), {"codeapp": 4001}])
    def test_bad_spi_format_is_invalid_tax_number(self, dgfip, body):
        spi_route(dgfip).respond(400, json=body)
        with pytest.raises(InvalidTaxNumber):
            spi_lookup()

    @pytest.mark.parametrize(
        "response",
        [
            httpx.Response(400, json=erreur("4000")),
            httpx.Response(400, json=erreur("4031")),
            httpx.Response(400, json={"erreur": {"message": "format incorrect"}}),
            httpx.Response(400, text="Bad Request"),
            httpx.Response(400),
            httpx.Response(405, text="Method Not Allowed"),
            httpx.Response(406, json=erreur("4060")),
        ],
    )
    def test_any_other_400_in_numero_fiscal_mode_is_ours_and_alerts_the_agents(self, dgfip, response):
        route = spi_route(dgfip).mock(return_value=response)

        with pytest.raises(misconfigured()) as raised:
            spi_lookup()

        assert raised.value.alerts_agents and raised.value.reason == "misconfigured"
        assert raised.value.correlation_id == route.calls.last.request.headers["X-Correlation-ID"]

    @pytest.mark.parametrize("body", [erreur("4000"), erreur("4001")])  # no numéro fiscal in FC mode
    def test_a_400_in_franceconnect_mode_is_ours(self, dgfip, body):
        fc_route(dgfip).respond(400, json=body)
        with pytest.raises(misconfigured()):
            fc_lookup()

    @pytest.mark.parametrize(
        "response",
        [
            httpx.Response(404),
            httpx.Response(404, text="<html><body><h1>404 Not Found</h1>nginx</body></html>"),
            httpx.Response(404, json={"code": "404", "message": "Not Found", "description": "No resource"}),
            httpx.Response(404, json=["Not Found"]),
        ],
    )
    @pytest.mark.parametrize("lookup, route", [(fc_lookup, fc_route), (spi_lookup, spi_route)])
    def test_a_404_that_dgfip_did_not_write_is_a_wrong_url_not_a_missing_declaration(
        self, dgfip, lookup, route, response
    ):
        latest = route(dgfip, 2025).mock(return_value=response)
        before = route(dgfip, 2024).respond(200, json=ANSWER)

        with pytest.raises(misconfigured()) as raised:
            lookup()

        assert not isinstance(raised.value, NoDeclaration)
        assert raised.value.alerts_agents
        assert "Ce n'est pas de votre fait" in str(raised.value.message)
        assert (latest.call_count, before.call_count) == (1, 0)  # another year would not be found either
        assert raised.value.correlation_id == latest.calls.last.request.headers["X-Correlation-ID"]

    def test_forbidden_is_access_refused_with_the_correlation_id(self, dgfip):
        route = fc_route(dgfip).respond(403, json=erreur("4031"))
        with pytest.raises(AccessRefused) as raised:
            fc_lookup()
        assert raised.value.correlation_id == route.calls.last.request.headers["X-Correlation-ID"]

    def test_too_many_requests_is_quota_reached(self, dgfip):
        route = fc_route(dgfip).respond(429)
        with pytest.raises(QuotaReached):
            fc_lookup()
        assert route.call_count == 1


class TestRetries:
    def test_server_error_is_retried_once_after_the_backoff(self, dgfip, sleeps):
        route = fc_route(dgfip)
        route.side_effect = [httpx.Response(500), httpx.Response(200, json=ANSWER)]

        assert fc_lookup().rfr == 48213
        assert route.call_count == 2
        assert sleeps == [BACKOFF]

    @pytest.mark.parametrize(
        "failure",
        [httpx.ConnectError("refused"), httpx.ConnectTimeout("slow"), httpx.RemoteProtocolError("x")],
    )
    def test_connection_failure_is_retried_once_after_the_backoff(self, dgfip, sleeps, failure):
        route = fc_route(dgfip)
        route.side_effect = [failure, httpx.Response(200, json=ANSWER)]

        assert fc_lookup().rfr == 48213
        assert route.call_count == 2
        assert sleeps == [BACKOFF]

    def test_two_server_errors_are_unavailable_after_exactly_two_calls(self, dgfip, sleeps):
        route = fc_route(dgfip).respond(502)

        with pytest.raises(ImpotUnavailable) as raised:
            fc_lookup()

        assert route.call_count == 2
        assert sleeps == [BACKOFF]
        assert raised.value.correlation_id == route.calls.last.request.headers["X-Correlation-ID"]

    def test_two_connection_failures_are_unavailable_after_exactly_two_calls(self, dgfip):
        route = fc_route(dgfip).mock(side_effect=httpx.ConnectError("refused"))
        with pytest.raises(ImpotUnavailable):
            fc_lookup()
        assert route.call_count == 2

    @pytest.mark.parametrize(
        "answer",
        [
            httpx.Response(400, json=erreur("4001")),
            httpx.Response(403),
            httpx.Response(404),
            httpx.Response(429),
            httpx.ReadTimeout("slow"),
            httpx.WriteTimeout("slow"),
            httpx.PoolTimeout("busy"),
        ],
    )
    def test_no_retry_after_a_client_error_or_a_read_timeout(self, dgfip, sleeps, answer):
        latest = spi_route(dgfip, 2025).mock(side_effect=[answer, httpx.Response(200, json=ANSWER)])
        spi_route(dgfip, 2024).respond(410, json=erreur(4101))

        with pytest.raises((InvalidTaxNumber, AccessRefused, NoDeclaration, QuotaReached, ImpotUnavailable)):
            spi_lookup()

        assert latest.call_count == 1
        assert sleeps == []

    def test_undecodable_body_is_unavailable_without_retry(self, dgfip, sleeps):
        corrupt = httpx.Response(
            200, headers={"Content-Encoding": "gzip"}, stream=httpx.ByteStream(b"not gzip")
        )
        route = fc_route(dgfip).mock(return_value=corrupt)
        with pytest.raises(ImpotUnavailable):
            fc_lookup()
        assert route.call_count == 1
        assert sleeps == []

    def test_read_timeout_is_unavailable_with_the_correlation_id(self, dgfip):
        route = fc_route(dgfip).mock(side_effect=httpx.ReadTimeout("slow"))
        with pytest.raises(ImpotUnavailable) as raised:
            fc_lookup()
        assert raised.value.correlation_id == route.calls.last.request.headers["X-Correlation-ID"]


class TestToken:
    def test_client_credentials_with_basic_authentication(self, dgfip):
        fc_route(dgfip).respond(200, json=ANSWER)

        fc_lookup()

        request = dgfip["token"].calls.last.request
        assert (
            request.headers["Authorization"]
            == "Basic " + b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
        )
        assert request.content == b"grant_type=client_credentials&scope=RessourceIR"

    def test_the_token_request_asks_for_the_configured_scope(self, dgfip, settings):
        settings.IMPOT_TOKEN_SCOPE = "RessourceIRDerniere"
        fc_route(dgfip).respond(200, json=ANSWER)

        fc_lookup()

        assert parse_qs(dgfip["token"].calls.last.request.content.decode())["scope"] == [
            "RessourceIRDerniere"
        ]

    def test_a_token_of_another_scope_is_not_reused(self, dgfip, settings):
        route = fc_route(dgfip).respond(200, json=ANSWER)
        fc_lookup()

        settings.IMPOT_TOKEN_SCOPE = "RessourceIRDerniere"
        fc_lookup()

        assert dgfip["token"].call_count == 2
        assert route.calls[1].request.headers["Authorization"] == "Bearer app-token-2"

    def test_one_token_for_a_hundred_lookups(self, dgfip):
        route = fc_route(dgfip).respond(200, json=ANSWER)

        for _ in range(100):
            fc_lookup()

        assert dgfip["token"].call_count == 1
        assert {call.request.headers["Authorization"] for call in route.calls} == {"Bearer app-token-1"}

    @pytest.mark.parametrize(
        "setting, value",
        [("IMPOT_TOKEN_URL", "https://other.dgfip.test/token"), ("IMPOT_CLIENT_ID", "other")],
    )
    def test_token_cached_per_token_endpoint_and_client(self, dgfip, settings, setting, value):
        route = fc_route(dgfip).respond(200, json=ANSWER)
        dgfip.post("https://other.dgfip.test/token").respond(200, json={"access_token": "other-token"})
        fc_lookup()

        setattr(settings, setting, value)
        fc_lookup()

        first, second = (call.request.headers["Authorization"] for call in route.calls)
        assert first != second

    def test_token_renewed_sixty_seconds_before_it_expires(self, dgfip, clock):
        route = fc_route(dgfip).respond(200, json=ANSWER)
        fc_lookup()

        clock.now += 3600 - 60 - 1
        fc_lookup()
        clock.now += 1
        fc_lookup()

        assert dgfip["token"].call_count == 2
        assert [call.request.headers["Authorization"] for call in route.calls] == [
            "Bearer app-token-1",
            "Bearer app-token-1",
            "Bearer app-token-2",
        ]

    def test_token_refused_by_the_api_is_replaced_and_the_call_retried_once(self, dgfip):
        route = fc_route(dgfip)
        route.side_effect = [
            httpx.Response(401),
            httpx.Response(200, json=ANSWER),
            httpx.Response(200, json=ANSWER),
        ]

        fc_lookup()
        fc_lookup()

        assert [call.request.headers["Authorization"] for call in route.calls] == [
            "Bearer app-token-1",
            "Bearer app-token-2",
            "Bearer app-token-2",  # the new token was cached in place of the refused one
        ]
        assert dgfip["token"].call_count == 2

    def test_token_refused_twice_is_access_refused(self, dgfip, sleeps):
        route = fc_route(dgfip).respond(401)
        with pytest.raises(AccessRefused):
            fc_lookup()
        assert (route.call_count, dgfip["token"].call_count) == (2, 2)
        assert sleeps == []

    @pytest.mark.parametrize("status", [400, 401])
    def test_token_endpoint_refusing_our_credentials_is_access_refused(self, dgfip, status):
        dgfip["token"].mock(
            side_effect=None, return_value=httpx.Response(status, json={"error": "invalid_client"})
        )
        route = fc_route(dgfip).respond(200, json=ANSWER)

        with pytest.raises(AccessRefused):
            fc_lookup()

        assert route.call_count == 0

    @pytest.mark.parametrize(
        "answer", [httpx.Response(503), httpx.ConnectError("refused"), httpx.ReadTimeout("slow")]
    )
    def test_token_endpoint_down_is_unavailable(self, dgfip, answer):
        dgfip["token"].mock(side_effect=[answer, answer])
        route = fc_route(dgfip).respond(200, json=ANSWER)

        with pytest.raises(ImpotUnavailable) as raised:
            fc_lookup()

        assert type(raised.value) is ImpotUnavailable
        assert route.call_count == 0

    @pytest.mark.parametrize(
        "failure",
        [
            httpx.Response(500),
            httpx.Response(503, text="<html>Service Unavailable</html>"),
            httpx.ConnectError("refused"),
            httpx.ConnectTimeout("slow to connect"),
            httpx.RemoteProtocolError("reset"),
        ],
    )
    def test_token_request_is_retried_once_after_the_backoff(self, dgfip, sleeps, failure):
        token = {"access_token": "app-token-after-retry", "expires_in": 3600}
        dgfip["token"].mock(side_effect=[failure, httpx.Response(200, json=token)])
        route = fc_route(dgfip).respond(200, json=ANSWER)
        lookup = client.franceconnect_lookup(FC_TOKEN)

        assert lookup.run(TODAY).rfr == 48213

        assert (dgfip["token"].call_count, lookup.token_requests, sleeps) == (2, 2, [BACKOFF])
        assert route.calls.last.request.headers["Authorization"] == "Bearer app-token-after-retry"

    def test_token_request_failing_twice_is_unavailable_after_exactly_two_requests(self, dgfip, sleeps):
        dgfip["token"].mock(side_effect=[httpx.Response(502), httpx.ConnectError("refused")])

        with pytest.raises(ImpotUnavailable):
            fc_lookup()

        assert (dgfip["token"].call_count, sleeps) == (2, [BACKOFF])

    @pytest.mark.parametrize(
        "answer",
        [
            httpx.Response(400, json={"error": "invalid_scope"}),
            httpx.Response(401, json={"error": "invalid_client"}),
            httpx.ReadTimeout("slow"),  # as for the calls: the family is already waiting
        ],
    )
    def test_token_request_is_not_retried_after_a_4xx_or_a_read_timeout(self, dgfip, sleeps, answer):
        dgfip["token"].mock(side_effect=[answer, httpx.Response(200, json={"access_token": "t"})])

        with pytest.raises((AccessRefused, ImpotUnavailable)):
            fc_lookup()

        assert (dgfip["token"].call_count, sleeps) == (1, [])

    @pytest.mark.parametrize(
        "answer",
        [
            httpx.Response(200, text="<html>"),
            httpx.Response(200, json={"token_type": "Bearer"}),
            httpx.Response(200, json={"access_token": ""}),
        ],
    )
    def test_token_answer_without_a_token_is_invalid(self, dgfip, answer):
        dgfip["token"].mock(side_effect=[answer])
        with pytest.raises(InvalidResponse):
            fc_lookup()


class TestQuota:
    def test_over_the_quota_no_http_call_is_made(self, dgfip, settings, clock):
        settings.IMPOT_QUOTA_PER_MINUTE = 3
        fc_route(dgfip).respond(200, json=ANSWER)
        for _ in range(3):
            fc_lookup()
        calls = dgfip.calls.call_count
        clock.now += 59  # the same minute still

        with pytest.raises(QuotaReached):
            fc_lookup()

        assert dgfip.calls.call_count == calls

    def test_over_the_quota_not_even_a_token_is_requested(self, dgfip, settings, clock):
        settings.IMPOT_QUOTA_PER_MINUTE = 0
        with pytest.raises(QuotaReached):
            fc_lookup()
        assert dgfip.calls.call_count == 0

    def test_each_call_frees_its_place_sixty_seconds_later(self, dgfip, settings, clock):
        settings.IMPOT_QUOTA_PER_MINUTE = 3
        route = fc_route(dgfip).respond(200, json=ANSWER)
        for _ in range(3):
            fc_lookup()

        clock.now += 60.5
        fc_lookup()

        assert route.call_count == 4

    def test_a_new_calendar_minute_does_not_reset_the_quota(self, dgfip, settings, clock):
        settings.IMPOT_QUOTA_PER_MINUTE = 3
        route = fc_route(dgfip).respond(200, json=ANSWER)
        clock.now += 59  # the last second of a minute
        for _ in range(3):
            fc_lookup()

        clock.now += 2  # the next minute, 2 seconds later
        with pytest.raises(QuotaReached):
            fc_lookup()

        assert route.call_count == 3

    def test_no_sixty_second_window_holds_more_calls_than_the_quota(self, dgfip, settings, clock):
        """A family every 4 seconds for 3 minutes from 20 s before a minute's end, against a quota of 5."""
        settings.IMPOT_QUOTA_PER_MINUTE = 5
        route = fc_route(dgfip).respond(200, json=ANSWER)
        clock.now += 40
        sent = []
        for _ in range(45):
            try:
                fc_lookup()
                sent.append(clock.now)
            except QuotaReached:
                pass
            clock.now += 4

        assert route.call_count == len(sent) >= 10
        busiest = max(sum(start <= moment < start + 60 for moment in sent) for start in sent)
        assert busiest == 5

    def test_retries_and_fallbacks_count(self, dgfip, settings, clock):
        settings.IMPOT_QUOTA_PER_MINUTE = 2
        fc_route(dgfip, 2025).respond(410, json=erreur(4101))
        before = fc_route(dgfip, 2024).respond(500)

        with pytest.raises(QuotaReached):
            fc_lookup()  # 2025, the fallback to 2024, then its retry would be a third call

        assert before.call_count == 1


@pytest.fixture
def redis_cache(settings):
    """Django's cache on the real Redis (db 15, a prefix of its own); without Redis, a skip (a failure in CI)."""
    import redis

    location = "redis://127.0.0.1:6379/15"
    connection = redis.Redis.from_url(location, socket_connect_timeout=0.5)
    try:
        connection.ping()
    except (redis.exceptions.ConnectionError, redis.exceptions.TimeoutError) as error:
        message = f"Redis is not reachable at 127.0.0.1:6379 ({error}): the cross-worker quota needs it"
        if os.environ.get("CI"):
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    prefix = f"test-impot-{uuid.uuid4().hex}"
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "KEY_PREFIX": prefix,
        }
    }
    yield
    for key in connection.scan_iter(f"{prefix}:*"):
        connection.delete(key)


def test_quota_and_token_are_shared_by_workers_through_redis(
    redis_cache, dgfip, settings, clock, monkeypatch
):
    """Two workers: each its own cache connection and its own rate limiter, both on the same Redis."""
    settings.IMPOT_QUOTA_PER_MINUTE = 3  # the cache's own KEY_PREFIX keeps other runs' windows apart
    route = fc_route(dgfip).respond(200, json=ANSWER)
    assert ratelimit.storage_uri().startswith("redis://")

    def become_another_worker():
        monkeypatch.setattr(client, "cache", caches.create_connection("default"))
        monkeypatch.setattr(ratelimit, "_limiters", {})

    become_another_worker()
    clock.now += 58
    fc_lookup()
    clock.now += 1  # the last second of that minute
    fc_lookup()
    become_another_worker()
    clock.now += 2  # the next minute: both calls are still in the window
    fc_lookup()
    with pytest.raises(QuotaReached):
        fc_lookup()
    become_another_worker()
    with pytest.raises(QuotaReached):
        fc_lookup()

    assert route.call_count == 3
    assert dgfip["token"].call_count == 1
    become_another_worker()
    clock.now += 57.5  # 60.5 s after the first call, which has left the window: one place is free
    fc_lookup()
    assert route.call_count == 4


class TestHttpClient:
    @pytest.fixture
    def certificate(self, tmp_path):
        """A self-signed certificate and its key, as files: what DGFiP would know the commune by."""
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes, serialization
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "portail-famille.test")])
        now = datetime.now(UTC)
        certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now)
            .not_valid_after(now + timedelta(days=1))
            .sign(key, hashes.SHA256())
        )
        cert_path, key_path = tmp_path / "client.crt", tmp_path / "client.key"
        cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        key_path.write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        return str(cert_path), str(key_path)

    @pytest.fixture
    def loaded(self, monkeypatch):
        """Each (context, certfile, keyfile) given to SSLContext.load_cert_chain."""
        calls = []
        load = ssl.SSLContext.load_cert_chain

        def spy(context, certfile, keyfile=None, password=None):
            calls.append((context, certfile, keyfile))
            return load(context, certfile, keyfile, password)

        monkeypatch.setattr(ssl.SSLContext, "load_cert_chain", spy)
        return calls

    def test_mtls_settings_put_the_certificate_in_the_client(self, settings, certificate, loaded):
        settings.IMPOT_CLIENT_CERT, settings.IMPOT_CLIENT_KEY = certificate

        http = client._http()

        [(context, certfile, keyfile)] = loaded
        assert (certfile, keyfile) == certificate
        assert http._transport._pool._ssl_context is context
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname  # DGFiP is still verified

    def test_unreadable_certificate_is_access_refused_without_any_call(self, settings, dgfip, tmp_path):
        settings.IMPOT_CLIENT_CERT = str(tmp_path / "missing.crt")
        settings.IMPOT_CLIENT_KEY = str(tmp_path / "missing.key")
        with pytest.raises(AccessRefused):
            fc_lookup()
        assert dgfip.calls.call_count == 0

    @pytest.mark.parametrize("cert_set, key_set", [(False, False), (True, False), (False, True)])
    def test_no_client_certificate_unless_both_are_set(
        self, settings, certificate, loaded, cert_set, key_set
    ):
        settings.IMPOT_CLIENT_CERT = certificate[0] if cert_set else ""
        settings.IMPOT_CLIENT_KEY = certificate[1] if key_set else ""
        client._http()
        assert loaded == []

    def test_one_pooled_client_rebuilt_only_when_its_settings_change(self, settings, certificate):
        settings.IMPOT_TIMEOUT = 2.5
        http = client._http()
        assert client._http() is http
        assert (http.timeout.connect, http.timeout.read) == (2.5, 2.5)

        settings.IMPOT_API_URL = "https://other.dgfip.test/impotparticulier/1.0"  # built per call
        assert client._http() is http

        settings.IMPOT_TIMEOUT = 3.0
        assert client._http() is not http

        http = client._http()
        settings.IMPOT_CLIENT_CERT, settings.IMPOT_CLIENT_KEY = certificate
        assert client._http() is not http


class TestLogs:
    def logged(self, caplog):
        return [f"{record.getMessage()} {record.args!r}" for record in caplog.records]

    def test_numero_fiscal_lookup_logs_no_personal_data(self, dgfip, caplog):
        route = spi_route(dgfip)
        route.side_effect = [httpx.Response(401), httpx.Response(200, json=ANSWER)]
        caplog.set_level(logging.INFO, logger="impot_client")

        situation = spi_lookup()

        lines = self.logged(caplog)
        for secret in (
            SPI,
            "DUPONT",
            "MARTIN",
            "STEPHANE",
            "CLAIRE",
            "48213",
            "app-token-1",
            "app-token-2",
            API_URL,
        ):
            assert not [line for line in logged_lines(caplog.records) if secret in line], secret
        calls = [line for line in lines if "correlation_id=" in line]
        assert len(calls) == 2
        assert "outcome=401" in calls[0] and "outcome=200" in calls[1]
        assert all("mode=numero_fiscal" in line and "year=2025" in line for line in calls)
        assert situation.correlation_id in calls[1]
        assert len([line for line in lines if "token request" in line]) == 2

    def test_franceconnect_lookup_logs_no_token_and_names_exceptions(self, dgfip, caplog):
        fc_route(dgfip).mock(side_effect=httpx.ReadTimeout("slow"))
        caplog.set_level(logging.INFO, logger="impot_client")

        with pytest.raises(ImpotUnavailable) as raised:
            fc_lookup()

        lines = self.logged(caplog)
        assert not [line for line in lines if FC_TOKEN in line or "app-token" in line]
        [call] = [line for line in lines if "correlation_id=" in line]
        assert raised.value.correlation_id in call
        assert "mode=franceconnect" in call and "outcome=ReadTimeout" in call
