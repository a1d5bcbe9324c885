"""The simulator's ANTS route: FranceConnect only, each fictitious vehicle as its table says, every answer in the
contract's schema."""

import json

import pytest

from api_particulier.sandbox.vehicles import VEHICLES
from tests.api_particulier.sandbox.test_contract import contract as contract_fixture  # noqa: F401  registers `contract`
from tests.api_particulier.sandbox.test_views import (  # noqa: F401  the simulator's fixtures
    RECIPIENT,
    clock,
    fc_token,
    franceconnect,
    sandbox,
)

pytestmark = [pytest.mark.urls("portal.urls_dev"), pytest.mark.usefixtures("franceconnect")]

PATH = "/v3/ants/extrait_immatriculation_vehicule/france_connect"


def vehicle(client, plate, identity="test", token=None, recipient=RECIPIENT):
    token = token or fc_token(client, identity)
    query = {"immatriculation": plate, **({"recipient": recipient} if recipient else {})}
    return client.get(f"/sandbox/api-particulier{PATH}", query, headers={"Authorization": f"Bearer {token}"})


def in_contract(contract, response):
    declared = contract.document["paths"][PATH]["get"]["responses"][str(response.status_code)]
    schema = declared["content"]["application/json"]["schema"]
    assert contract.errors(json.loads(response.content), schema) == []


@pytest.mark.parametrize("plate", sorted(VEHICLES))
def test_every_vehicle_answers_in_the_contract(client, contract, plate):
    response = vehicle(client, plate)
    assert response.status_code == 200
    in_contract(contract, response)
    assert response.json()["data"]["donnees_immatriculation_vehicule"]["numero_immatriculation"] == plate


def test_the_holders_own_car_matches_their_franceconnect_identity(client):
    body = vehicle(client, "ab123cd").json()
    assert body["data"]["statut_rattachement"] == "titulaire"
    assert (
        body["data"]["caracteristiques_techniques_vehicule"]["classe_environnementale"]["code"] == "Euro 6d"
    )
    assert body["meta"]["identity_matching"]["overall_match"] is True


def test_another_persons_car_does_not_match(client):
    assert vehicle(client, "MN-345-PQ").json()["meta"]["identity_matching"]["overall_match"] is False


def test_a_lease_names_its_kind(client):
    data = vehicle(client, "EF-456-GH").json()["data"]
    assert data["statut_rattachement"] == "locataire"
    assert data["donnees_immatriculation_vehicule"]["statut_location"]["code"] == "LLD"


@pytest.mark.parametrize(
    ("plate", "params", "status", "code"),
    [
        ("AA-000-AA", {}, 404, "42003"),
        ("ZZ-999-ZZ", {}, 409, "00015"),
        ("AB-123-CD", {"recipient": None}, 422, "00203"),
        ("AB-123-CD", {"token": "jeton-inconnu"}, 401, "00101"),
    ],
)
def test_failures_are_in_the_contract(client, contract, plate, params, status, code):
    response = vehicle(client, plate, **params)
    assert response.status_code == status
    assert response.json()["errors"][0]["code"] == code
    in_contract(contract, response)
