"""The real client against the simulator over real HTTP, as `make run` serves it: `particulier_lookup` for the
first adult of every simulated family, on both routes, gives what that family is meant to give."""

import json
from dataclasses import replace
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from api_particulier.sandbox.allocataires import FAMILIES, Outcome

pytestmark = pytest.mark.django_db(transaction=True)

EXPECTED = {
    Outcome.ANSWER: "ok",
    Outcome.UNKNOWN: "not_found",
    Outcome.PROVIDER_DOWN: "unavailable",
    Outcome.RATE_LIMITED: "rate_limited",
    Outcome.IN_PROGRESS: "in_progress",
    Outcome.PROVIDER_TIMEOUT: "unavailable",
}


@pytest.fixture
def simulator(live_server, settings):
    settings.API_PARTICULIER_URL = f"{live_server.url}/sandbox/api-particulier"
    settings.DEBUG = True  # the simulator answers only in development, as with `make run`


def lookup(route: str, person) -> dict:
    born_in_france = person.birth_commune is not None
    out = StringIO()
    call_command(
        "particulier_lookup",
        route,
        "--nom-naissance",
        person.birth_name,
        "--prenoms",
        person.first_names,
        "--sexe",
        person.sex,
        "--date-naissance",
        person.born(timezone.localdate()),
        "--pays-naissance",
        "99100" if born_in_france else "99350",
        *(["--commune-naissance", person.birth_commune] if born_in_france else []),
        stdout=out,
    )
    return json.loads(out.getvalue())


# A birth date with day 00 (FranceConnect's partial dates) is only reachable through the FranceConnect routes.
BY_IDENTITY = [
    key for key, family in FAMILIES.items() if not family.adults[0].born(timezone.localdate()).endswith("-00")
]


@pytest.mark.parametrize("route", ["quotient_familial", "participation_familiale_eaje"])
@pytest.mark.parametrize("key", BY_IDENTITY)
def test_every_simulated_family_through_the_real_client(simulator, key, route):
    family = FAMILIES[key]
    result = lookup(route, family.adults[0])
    assert result["outcome"] == EXPECTED[family.outcome], result["detail"]
    if family.outcome == Outcome.ANSWER and route == "participation_familiale_eaje":
        assert (result["annual_resources"], result["children"], result["aeeh_children"]) == (
            family.annual_resources,
            len(family.children),
            family.aeeh_children,
        )
    if family.outcome == Outcome.ANSWER and route == "quotient_familial":
        assert result["qf"] == family.quotient_familial and result["allocataires"] == len(family.adults)


@pytest.mark.parametrize("route", ["quotient_familial", "participation_familiale_eaje"])
def test_someone_no_fund_knows_is_not_found(simulator, route):
    stranger = replace(FAMILIES["dubois"].adults[0], birth_name="INCONNUE", birth_date="1970-01-01")
    assert lookup(route, stranger)["outcome"] == "not_found"
