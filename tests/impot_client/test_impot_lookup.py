"""`manage.py impot_lookup`: against a respx gateway for each outcome, and against the simulator over a live
server for each simulated household, as a commune's recette on DGFiP's sandbox would run it."""

import json
import logging
from io import StringIO

import httpx
import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.utils import timezone

from impot_client import client
from impot_client.sandbox.households import HOUSEHOLDS
from tests.franceconnect.live import use_sandbox
from tests.impot_client import test_client
from tests.impot_client.test_client import ANSWER, API_URL, SPI, erreur
from tests.logs import logged_lines

# test_client.py's gateway: its settings and backoffs for every test here, and its respx DGFiP.
impot_settings, sleeps, dgfip = test_client.impot_settings, test_client.sleeps, test_client.dgfip

LATEST = timezone.localdate().year - 1


def lookup(*args) -> dict:
    out = StringIO()
    call_command("impot_lookup", *args, stdout=out)
    return json.loads(out.getvalue())


def route(router, year):
    return router.get(f"{API_URL}/spi/{SPI}/situations/ir/assiettes/annrev/{year}")


class TestAgainstAGateway:
    def test_an_answer_prints_the_figures_the_year_and_the_calls(self, dgfip):
        route(dgfip, LATEST).respond(410, json=erreur(4101))
        answered = route(dgfip, LATEST - 1).respond(200, json=ANSWER)

        printed = lookup(SPI)

        assert printed == {
            "outcome": "ok",
            "year": LATEST - 1,
            "rfr": 48213,
            "parts": 2.5,
            "dependants": 1,
            "correlation_id": answered.calls.last.request.headers["X-Correlation-ID"],
            "token_requests": 1,
            "detail": "",
        }

    def test_the_token_requests_are_those_of_this_lookup(self, dgfip):
        route(dgfip, LATEST).respond(200, json=ANSWER)
        dgfip["token"].side_effect = [
            httpx.Response(503),
            httpx.Response(200, json={"access_token": "t", "expires_in": 3600}),
        ]

        assert lookup(SPI)["token_requests"] == 2
        assert lookup(SPI)["token_requests"] == 0  # the cached token

    def test_a_given_year_is_asked_alone(self, dgfip):
        asked = route(dgfip, 2021).respond(410, json=erreur(4101))
        before = route(dgfip, 2020).respond(200, json=ANSWER)

        printed = lookup(SPI, "--year", "2021")

        assert (printed["outcome"], printed["year"], printed["rfr"]) == ("no_declaration", 2021, None)
        assert (asked.call_count, before.call_count) == (1, 0)

    @pytest.mark.parametrize(
        "response, outcome",
        [
            (httpx.Response(404, text="<html>Not Found</html>"), "misconfigured"),
            (httpx.Response(403, json=erreur(4031)), "access_refused"),
            (httpx.Response(400, json=erreur(4001)), "invalid_number"),
            (httpx.Response(200, json={"nbPart": 2}), "incomplete"),
            (httpx.Response(500), "unavailable"),
        ],
    )
    def test_each_failure_prints_its_reason(self, dgfip, response, outcome):
        called = route(dgfip, LATEST).mock(return_value=response)

        printed = lookup(SPI)

        assert (printed["outcome"], printed["year"], printed["rfr"], printed["parts"]) == (
            outcome,
            LATEST,
            None,
            None,
        )
        assert printed["correlation_id"] == called.calls.last.request.headers["X-Correlation-ID"]
        assert printed["detail"]

    @pytest.mark.parametrize("spi", ["1234", "39999900000251", "3999 9900 0002 X", "../token"])
    def test_a_malformed_numero_fiscal_is_refused_in_french_before_any_call(self, dgfip, spi):
        with pytest.raises(CommandError, match="Le numéro fiscal doit compter 13 chiffres"):
            lookup(spi)
        assert dgfip.calls.call_count == 0

    @pytest.mark.parametrize("year", ["24", "20245", "deux", "２０２４"])
    def test_a_malformed_year_is_refused_in_french(self, dgfip, year):
        with pytest.raises(CommandError, match="4 chiffres"):
            lookup(SPI, "--year", year)
        assert dgfip.calls.call_count == 0

    def test_no_gateway_configured_is_refused(self, dgfip, settings):
        settings.IMPOT_API_URL = ""
        with pytest.raises(CommandError, match="IMPOT_API_URL"):
            lookup(SPI)

    def test_nothing_personal_goes_to_the_logs(self, dgfip, caplog):
        route(dgfip, LATEST).respond(200, json=ANSWER)
        caplog.set_level(logging.DEBUG)

        lookup(SPI)

        logged = " ".join(logged_lines(caplog.records))
        assert "correlation_id=" in logged
        for secret in (SPI, "48213", "DUPONT", "STEPHANE", "app-token-1"):
            assert secret not in logged


# Against the simulator: what each simulated household gives on `make run`'s settings.

EXPECTED = {
    "3999990000017": ("ok", LATEST, 21450, 2.0, 1),
    "3999990000025": ("ok", LATEST, 38500, 2.5, 1),
    "3999990000033": ("ok", LATEST, 54300, 4.0, 4),
    "3999990000041": ("ok", LATEST, 152000, 3.0, 2),
    "3999990000058": ("ok", LATEST, 0, 1.0, 0),
    "3999990000066": ("ok", LATEST, 61200, 2.0, 0),
    "3999990000074": ("ok", LATEST, 46200, 3.0, 2),
    "3999990000082": ("no_declaration", LATEST - 1, None, None, None),
    "3999990000090": ("access_refused", LATEST, None, None, None),
    "3999990000108": ("unavailable", LATEST, None, None, None),
    "3999990000116": ("unavailable", LATEST, None, None, None),
    "3999999887218": ("ok", LATEST, 17827, 2.75, 1),
    "3999999889221": ("ok", LATEST, 15396, 4.0, 4),
}


def test_every_simulated_household_is_expected():
    assert set(EXPECTED) == set(HOUSEHOLDS)


@pytest.fixture
def simulator(live_server, settings, monkeypatch):
    """The portal's settings as `make run` has them, on the live server's port."""
    use_sandbox(settings, live_server.url)
    settings.IMPOT_TOKEN_SCOPE = "RessourceIR"
    settings.IMPOT_QUOTA_PER_MINUTE = 50
    settings.IMPOT_TIMEOUT = 3.0  # the live server's first answer takes a second to come
    settings.IMPOT_SANDBOX_SLOW_SECONDS = 3.5
    monkeypatch.setattr(client, "sleep", lambda seconds: None)
    cache.clear()
    return live_server


@pytest.mark.parametrize("spi", EXPECTED)
def test_each_simulated_household_over_http(simulator, spi):
    printed = lookup(spi)

    outcome, year, rfr, parts, dependants = EXPECTED[spi]
    assert (printed["outcome"], printed["year"], printed["rfr"], printed["parts"], printed["dependants"]) == (
        outcome,
        year,
        rfr,
        parts,
        dependants,
    )
    assert printed["token_requests"] == 1
    assert len(printed["correlation_id"]) == 36
