"""The ANTS vehicle route's client, judged by the contract: its URL and parameters, the success answer assembled
from the contract's examples, and every error example; what a record tells the parking démarche."""

from urllib.parse import parse_qsl, urlsplit

import pytest
import respx
from django.core.cache import cache

from api_particulier import vehicles
from api_particulier.situation import ParticulierError
from api_particulier.vehicles import VehicleNotFound, vehicle_by_franceconnect
from portal import ratelimit
from tests.api_particulier.conftest import API_URL, FC_TOKEN, RECIPIENT
from tests.api_particulier.contract import example_of

PATH = "/v3/ants/extrait_immatriculation_vehicule/france_connect"


def answer(contract, **changes):
    body = example_of(contract.schema(PATH, 200))
    for name, value in changes.items():
        body["data"][name] = value
    return body


def test_the_client_calls_the_contracts_path_with_its_parameters(contract):
    assert vehicles.PATH == PATH and PATH in contract.document["paths"]
    with respx.mock as api:
        route = api.get(API_URL + PATH).respond(200, json=answer(contract))
        vehicle_by_franceconnect(FC_TOKEN, "AA-123-BB")
    request = route.calls.last.request
    assert dict(parse_qsl(urlsplit(str(request.url)).query)) == {
        "recipient": RECIPIENT,
        "immatriculation": "AA-123-BB",
    }
    assert set(contract.parameters(PATH)) == {"recipient", "immatriculation"}
    assert request.headers["Authorization"] == f"Bearer {FC_TOKEN}"


def test_the_client_reads_the_contracts_success_example(contract):
    body = answer(contract)
    assert not contract.errors(body, contract.schema(PATH, 200))
    with respx.mock as api:
        api.get(API_URL + PATH).respond(200, json=body)
        record = vehicle_by_franceconnect(FC_TOKEN, "AA-123-BB")
    data = body["data"]
    assert record.plate == data["donnees_immatriculation_vehicule"]["numero_immatriculation"]
    assert record.status == data["statut_rattachement"]
    assert (
        record.environmental_class
        == data["caracteristiques_techniques_vehicule"]["classe_environnementale"]["code"]
    )
    assert record.holder.nom == data["identite_particulier"]["nom"]
    assert record.identity_matches is body["meta"]["identity_matching"]["overall_match"]


@pytest.mark.parametrize("status", ["titulaire", "cotitulaire", "locataire"])
def test_every_status_of_the_contracts_enum_is_read(contract, status):
    with respx.mock as api:
        api.get(API_URL + PATH).respond(200, json=answer(contract, statut_rattachement=status))
        assert vehicle_by_franceconnect(FC_TOKEN, "AA-123-BB").status == status


@pytest.mark.parametrize(
    "changes",
    [
        {"statut_rattachement": "inconnu"},
        {"identite_particulier": None},
        {"donnees_immatriculation_vehicule": {}},
    ],
)
def test_an_unusable_record_is_an_invalid_response(contract, changes):
    with respx.mock as api:
        api.get(API_URL + PATH).respond(200, json=answer(contract, **changes))
        with pytest.raises(ParticulierError) as raised:
            vehicle_by_franceconnect(FC_TOKEN, "AA-123-BB")
    assert raised.value.reason == "invalid_response"


EXPECTED = {
    401: "franceconnect_token",
    403: "scope_missing",
    404: "not_found",
    409: "in_progress",
    429: "rate_limited",
}


def test_the_client_reads_every_error_example_of_the_contract(contract):
    seen = 0
    for status, name, body in contract.error_examples(PATH):
        cache.clear()
        ratelimit.reset_memory()
        with respx.mock as api:
            api.get(API_URL + PATH).respond(status, json=body)
            with pytest.raises(ParticulierError) as raised:
                vehicle_by_franceconnect(FC_TOKEN, "AA-123-BB")
        if status == 422:
            assert raised.value.reason == "misconfigured", name
        else:
            assert raised.value.reason == EXPECTED[status], name
        if status == 404:
            assert isinstance(raised.value, VehicleNotFound) and "ANTS" in str(raised.value.message)
        seen += 1
    assert seen >= 6
