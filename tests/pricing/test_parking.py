"""The resident parking card's tariff: duration, vehicle rank, social tariff, environmental class."""

from decimal import Decimal

import pytest

from pricing.errors import GridError, InvalidFacts
from pricing.parking import (
    ParkingFacts,
    ParkingRefused,
    parking_grid_to_json,
    parking_quote,
    parse_parking_grid,
)

GRID = {
    "kind": "parking",
    "prices": {"month": "15", "quarter": "40", "year": "150"},
    "prices_by_rank": {"2": {"month": "30", "quarter": "80", "year": "300"}},
    "max_vehicles": 2,
    "social": {"qf_up_to": "700", "percent": "-50"},
    "environment": {"Euro 1": "refused", "Euro 2": "refused", "Euro 4": "20", "Euro 6d": "-10"},
    "environment_default": "0",
}


@pytest.fixture
def grid():
    return parse_parking_grid(GRID)


@pytest.mark.parametrize(
    ("facts", "amount"),
    [
        (ParkingFacts(duration="year"), Decimal("150.00")),
        (ParkingFacts(duration="month"), Decimal("15.00")),
        (ParkingFacts(duration="quarter", rank=2), Decimal("80.00")),
        (ParkingFacts(duration="year", environmental_class="Euro 4"), Decimal("180.00")),
        (ParkingFacts(duration="year", environmental_class="euro 6D"), Decimal("135.00")),
        (ParkingFacts(duration="year", environmental_class="Euro 6"), Decimal("150.00")),
        (ParkingFacts(duration="year", qf=Decimal("700")), Decimal("75.00")),
        (ParkingFacts(duration="year", qf=Decimal("700.01")), Decimal("150.00")),
        (ParkingFacts(duration="year", qf=Decimal("500"), environmental_class="Euro 4"), Decimal("90.00")),
        (
            ParkingFacts(duration="month", rank=2, qf=Decimal("650"), environmental_class="Euro 6d"),
            Decimal("13.50"),
        ),
    ],
)
def test_the_amount_follows_the_deliberation(grid, facts, amount):
    assert parking_quote(grid, facts).amount == amount


def test_the_explanation_says_every_step_in_french(grid):
    quote = parking_quote(
        grid,
        ParkingFacts(
            duration="year",
            rank=2,
            qf=Decimal("650"),
            qf_source="quotient familial CAF",
            environmental_class="Euro 4",
        ),
    )
    assert quote.explanation == (
        "Carte résident pour un an, véhicule n° 2 du foyer (tarif à partir du 2e) : 300,00\u00a0€.",
        "Tarif social : votre quotient familial CAF de 650\u00a0€ est au plus 700\u00a0€, -50 % : 150,00\u00a0€.",
        "Classe environnementale Euro 4 : majoration de 20 % : 180,00\u00a0€.",
        "Montant de la carte : 180,00\u00a0€ pour un an.",
    )
    assert quote.unit == "year" and quote.criteria["social"] is True


def test_an_unknown_qf_says_the_social_tariff_does_not_apply(grid):
    lines = parking_quote(grid, ParkingFacts(duration="year")).explanation
    assert "votre quotient familial n'est pas connu" in lines[1]


@pytest.mark.parametrize(
    ("facts", "field"),
    [
        (ParkingFacts(duration="year", environmental_class="Euro 1"), "environmental_class"),
        (ParkingFacts(duration="year", rank=3), "rank"),
    ],
)
def test_refused_vehicles_say_why(grid, facts, field):
    with pytest.raises(ParkingRefused) as raised:
        parking_quote(grid, facts)
    assert raised.value.field == field
    assert "Euro 1" in raised.value.messages[0] or "au plus 2 carte(s)" in raised.value.messages[0]


def test_an_unknown_class_can_be_refused_by_default():
    grid = parse_parking_grid({**GRID, "environment_default": "refused"})
    with pytest.raises(ParkingRefused):
        parking_quote(grid, ParkingFacts(duration="year", environmental_class=""))


def test_a_duration_the_commune_does_not_sell_is_refused():
    grid = parse_parking_grid({"kind": "parking", "prices": {"year": "150"}})
    with pytest.raises(InvalidFacts) as raised:
        parking_quote(grid, ParkingFacts(duration="month"))
    assert raised.value.field == "duration"


def test_a_faulty_grid_names_every_field():
    with pytest.raises(GridError) as raised:
        parse_parking_grid(
            {
                "kind": "parking",
                "prices": {"week": "3", "year": "-1"},
                "prices_by_rank": {"1": {"year": "2"}},
                "max_vehicles": 0,
                "social": {"qf_up_to": "x", "percent": "refused"},
                "environment": {"Euro 3": "-150"},
                "colour": "red",
            }
        )
    assert set(raised.value.errors) == {
        "prices.week",
        "prices.year",
        "prices_by_rank.1",
        "max_vehicles",
        "social.qf_up_to",
        "social.percent",
        "environment.Euro 3",
        "colour",
    }


def test_the_json_round_trips(grid):
    assert parse_parking_grid(parking_grid_to_json(grid)) == grid
