"""`manage.py particulier_lookup`, against a respx API Particulier for each outcome: the JSON the commune's recette
reads, and no name in it."""

import json
from io import StringIO
from urllib.parse import parse_qs, urlsplit

import pytest
import respx
from django.core.management import CommandError, call_command

from tests.api_particulier.conftest import API_URL
from tests.api_particulier.test_client import EAJE_ANSWER, QF_ANSWER, errors

IDENTITY = [
    "--nom-naissance",
    "MARTIN",
    "--prenoms",
    "Claire Marie",
    "--sexe",
    "F",
    "--date-naissance",
    "1988-04-12",
    "--pays-naissance",
    "99100",
    "--commune-naissance",
    "69123",
]
KEYS = [
    "outcome",
    "provider",
    "qf",
    "year",
    "month",
    "annual_resources",
    "children",
    "aeeh_children",
    "allocataires",
]


def lookup(*args) -> dict:
    out = StringIO()
    call_command("particulier_lookup", *args, stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def api():
    with respx.mock(assert_all_called=False) as router:
        yield router


def test_quotient_familial(api):
    route = api.get(f"{API_URL}/v3/dss/quotient_familial/identite").respond(200, json=QF_ANSWER)
    result = lookup("quotient_familial", *IDENTITY, "--annee", "2026", "--mois", "2")
    assert [result[key] for key in KEYS] == ["ok", "CAF", 812, 2026, 2, None, None, None, 2]
    assert result["correlation_id"]
    sent = parse_qs(urlsplit(str(route.calls.last.request.url)).query)
    assert (sent["prenoms[]"], sent["annee"], sent["mois"]) == (["Claire", "Marie"], ["2026"], ["2"])
    assert "MARTIN" not in json.dumps(result)


def test_participation_familiale_eaje(api):
    api.get(f"{API_URL}/v3/dss/participation_familiale_eaje/identite").respond(200, json=EAJE_ANSWER)
    result = lookup("participation_familiale_eaje", *IDENTITY)
    assert [result[key] for key in KEYS] == ["ok", None, None, 2024, None, 40923, 2, 1, 2]


@pytest.mark.parametrize(
    ("status", "body", "outcome", "provider"),
    [
        (404, errors("23003", "CNAF"), "not_found", "CAF"),
        (404, errors("10003", "MSA"), "not_found", "MSA"),
        (422, errors("00366"), "invalid_identity", None),
        (429, errors("00429"), "rate_limited", None),
        (502, errors("37999", "CNAV"), "unavailable", "CNAV"),
        (401, errors("00101"), "invalid_token", None),
        (403, errors("00100"), "scope_missing", None),
        (409, errors("00015"), "in_progress", None),
        (504, errors("37002", "CNAV"), "unavailable", "CNAV"),
    ],
)
def test_an_error_prints_its_name(api, status, body, outcome, provider):
    api.get(f"{API_URL}/v3/dss/quotient_familial/identite").respond(status, json=body)
    result = lookup("quotient_familial", *IDENTITY)
    assert (result["outcome"], result["provider"], result["qf"]) == (outcome, provider, None)
    assert result["detail"].startswith(f"HTTP {status}")


def test_born_in_france_without_a_commune_is_refused_before_any_call(api):
    result = lookup("quotient_familial", *IDENTITY[:-2])
    assert result["outcome"] == "invalid_identity"
    assert not api.calls


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["participation_familiale_eaje", *IDENTITY, "--mois", "2"], "quotient_familial"),
        (["quotient_familial", *IDENTITY[:7], "12/04/1988", *IDENTITY[8:]], "AAAA-MM-JJ"),
    ],
)
def test_arguments_refused(api, args, words):
    with pytest.raises(CommandError, match=words):
        lookup(*args)


def test_needs_the_url(settings):
    settings.API_PARTICULIER_URL = ""
    with pytest.raises(CommandError, match="API_PARTICULIER_URL"):
        lookup("quotient_familial", *IDENTITY)
