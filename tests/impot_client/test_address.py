"""The tax address (dgfip_aft) for a resident parking card: read alone, with its declarants, in both modes; an
answer without it is incomplete, whatever income figures it carries or lacks."""

from decimal import Decimal

import httpx
import pytest

from impot_client import client
from impot_client.situation import IncompleteAnswer, NoDeclaration
from tests.impot_client.test_client import (
    FC_TOKEN,
    SPI,
    TODAY,
    dgfip,
    fc_route,
    impot_settings,
    sleeps,
    spi_route,
)

__all__ = ["dgfip", "impot_settings", "sleeps"]  # the fixtures of the client's tests, reused

ADDRESS_ONLY = {
    "aft": "BAT 3 APT 93 10 RUE DU CENTRE 93160 NOISY LE GRAND",
    "aftDetail": {
        "complementAdresse": "BAT 3 APT 93",
        "voie": "10 RUE DU CENTRE",
        "getcodePostal": "93160",
        "getcommune": "NOISY LE GRAND",
    },
}


def test_franceconnect_mode_reads_the_address_without_income_figures(dgfip):
    fc_route(dgfip).mock(return_value=httpx.Response(200, json=ADDRESS_ONLY))
    found = client.fetch_address_with_franceconnect(FC_TOKEN, today=TODAY)
    assert found.year == 2025
    assert found.address.text == ADDRESS_ONLY["aft"]
    assert (found.address.street, found.address.postcode, found.address.city) == (
        "10 RUE DU CENTRE",
        "93160",
        "NOISY LE GRAND",
    )
    assert found.declarants == ()
    assert dgfip.routes["token"].call_count == 1


def test_numero_fiscal_mode_reads_the_declarants_with_the_address(dgfip):
    spi_route(dgfip).mock(
        return_value=httpx.Response(
            200, json={**ADDRESS_ONLY, "rfr": 1, "nbPart": 1, "nmNaiDec1": "MARTIN", "prnmDec1": "CLAIRE"}
        )
    )
    found = client.fetch_address_by_numero_fiscal(SPI, today=TODAY)
    assert [declarant.birth_name for declarant in found.declarants] == ["MARTIN"]
    assert not hasattr(found, "rfr")  # nothing of the income is read


def test_the_same_answer_gives_the_income_when_asked_for_a_social_tariff(dgfip):
    route = spi_route(dgfip).mock(
        return_value=httpx.Response(
            200,
            json={**ADDRESS_ONLY, "rfr": 21450, "nbPart": 2.5, "nmNaiDec1": "MARTIN", "prnmDec1": "CLAIRE"},
        )
    )
    found = client.fetch_address_by_numero_fiscal(SPI, today=TODAY, with_income=True)
    assert found.address.text == ADDRESS_ONLY["aft"]
    assert (found.income.rfr, found.income.nb_parts, found.income.year) == (21450, Decimal("2.5"), 2025)
    assert route.call_count == 1  # one call for both


def test_an_address_without_usable_income_still_stands_when_income_is_asked(dgfip):
    fc_route(dgfip).mock(return_value=httpx.Response(200, json=ADDRESS_ONLY))
    found = client.fetch_address_with_franceconnect(FC_TOKEN, today=TODAY, with_income=True)
    assert found.address.text == ADDRESS_ONLY["aft"] and found.income is None


def test_the_2020_detail_spelling_is_read(dgfip):
    fc_route(dgfip).mock(
        return_value=httpx.Response(
            200, json={"aftDetail": {"voie": "3 AV FOCH", "codePostal": "75016", "commune": "PARIS"}}
        )
    )
    found = client.fetch_address_with_franceconnect(FC_TOKEN, today=TODAY)
    assert (found.address.text, found.address.postcode, found.address.city) == ("", "75016", "PARIS")


@pytest.mark.parametrize(
    "answer", [{"rfr": 38500, "nbPart": 2}, {"aft": "  "}, {"aftDetail": {"getcodePostal": "93160"}}]
)
def test_an_answer_without_an_address_is_incomplete(dgfip, answer):
    fc_route(dgfip).mock(return_value=httpx.Response(200, json=answer))
    with pytest.raises(IncompleteAnswer):
        client.fetch_address_with_franceconnect(FC_TOKEN, today=TODAY)


def test_no_declaration_either_year_is_said_as_for_the_income(dgfip):
    for year in (2025, 2024):
        fc_route(dgfip, year).mock(
            return_value=httpx.Response(404, json={"erreur": {"codeapp": 4101, "message": "x"}})
        )
    with pytest.raises(NoDeclaration):
        client.fetch_address_with_franceconnect(FC_TOKEN, today=TODAY)
