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
    "income": ["caf", "dgfip"],
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
        (ParkingFacts(duration="year", income_source="caf", qf=Decimal("700")), Decimal("75.00")),
        (ParkingFacts(duration="year", income_source="caf", qf=Decimal("700.01")), Decimal("150.00")),
        (
            ParkingFacts(
                duration="year", income_source="msa", qf=Decimal("500"), environmental_class="Euro 4"
            ),
            Decimal("90.00"),
        ),
        (
            ParkingFacts(
                duration="month",
                rank=2,
                income_source="caf",
                qf=Decimal("650"),
                environmental_class="Euro 6d",
            ),
            Decimal("13.50"),
        ),
        # The fiscal QF through the grid's formula: 16 800 / 12 / 2 = 700, then 16 801 / 12 / 2 = 700.04.
        (
            ParkingFacts(duration="year", income_source="dgfip", rfr=Decimal(16800), parts=Decimal(2)),
            Decimal("75.00"),
        ),
        (
            ParkingFacts(duration="year", income_source="dgfip", rfr=Decimal(16801), parts=Decimal(2)),
            Decimal("150.00"),
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
            income_source="caf",
            qf=Decimal("650"),
            qf_year=2026,
            qf_month=11,
            environmental_class="Euro 4",
        ),
    )
    assert quote.explanation == (
        "Carte résident pour un an, véhicule n° 2 du foyer (tarif à partir du 2e) : 300,00\u00a0€.",
        "Quotient familial CAF du mois de novembre 2026 : 650,00\u00a0€ (source : la CAF, via API Particulier).",
        "Tarif social : quotient familial CAF de 650,00\u00a0€ ≤ 700,00\u00a0€, -50 % : 150,00\u00a0€.",
        "Classe environnementale Euro 4 : majoration de 20 % : 180,00\u00a0€.",
        "Montant de la carte : 180,00\u00a0€ pour un an.",
    )
    assert quote.unit == "year" and quote.criteria["social"] is True


def test_income_not_shared_is_the_full_price_said_plainly(grid):
    quote = parking_quote(grid, ParkingFacts(duration="year"))
    assert quote.amount == Decimal("150.00") and quote.qf is None
    assert (
        "vos revenus n'ont pas été communiqués, le tarif social ne s'applique pas (plein tarif)"
        in (quote.explanation[1])
    )


def test_the_fiscal_qf_is_the_canteen_grids_computation(grid):
    lines = parking_quote(
        grid, ParkingFacts(duration="year", income_source="dgfip", rfr=Decimal(21450), parts=Decimal(2))
    ).explanation
    assert lines[1:5] == (
        "Revenu fiscal de référence : 21\u00a0450\u00a0€ (source : la DGFiP, service des impôts).",
        "Nombre de parts : 2 (source : la DGFiP, service des impôts).",
        "Quotient familial (QF) = revenu fiscal de référence ÷ 12 ÷ nombre de parts = 21\u00a0450\u00a0€ ÷ 12 ÷ 2"
        " = 893,75\u00a0€ (arrondi au centime).",
        "Tarif social : quotient familial fiscal de 893,75\u00a0€ > 700,00\u00a0€, il ne s'applique pas.",
    )


def test_a_grid_of_its_own_formula_weights_the_parts_its_way():
    grid = parse_parking_grid({**GRID, "qf_formula": "rfr/12/(parts+1)"})
    facts = ParkingFacts(duration="year", income_source="dgfip", rfr=Decimal(25200), parts=Decimal(2))
    assert parking_quote(grid, facts).qf == Decimal("700.00")


def test_figures_of_an_identity_not_established_are_not_written():
    quote = parking_quote(
        parse_parking_grid(GRID),
        ParkingFacts(
            duration="year", income_source="dgfip", rfr=Decimal(12000), parts=Decimal(2), show_figures=False
        ),
    )
    assert quote.amount == Decimal("75.00") and quote.qf is None
    assert quote.explanation[1] == (
        "Tarif social : d'après les revenus transmis, votre quotient familial fiscal est au plus 700,00\u00a0€, "
        "-50 % : 75,00\u00a0€."
    )
    assert not any("12\u00a0000" in line or "500" in line for line in quote.explanation)


def test_a_source_the_grid_does_not_name_is_refused():
    grid = parse_parking_grid({**GRID, "income": ["caf"]})
    with pytest.raises(InvalidFacts) as raised:
        parking_quote(
            grid, ParkingFacts(duration="year", income_source="dgfip", rfr=Decimal(1), parts=Decimal(1))
        )
    assert raised.value.field == "income_source"


@pytest.mark.parametrize(
    ("changes", "income"),
    [({}, ("caf", "dgfip")), ({"income": None}, ("dgfip",)), ({"social": None, "income": None}, ())],
    ids=["named", "default-dgfip", "no-social-tariff"],
)
def test_the_social_tariffs_income_sources(changes, income):
    data = {key: value for key, value in {**GRID, **changes}.items() if value is not None}
    assert parse_parking_grid(data).income == income


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"income": ["notice"]}, "aucun avis d'imposition"),
        ({"income": []}, "au moins une source"),
        ({"social": None}, "ne servent qu'au tarif social"),
        ({"income": ["ursaff"]}, "Source de revenus inconnue"),
        ({"qf_formula": "rfr/enfants"}, "Formule de QF inconnue"),
    ],
)
def test_a_faulty_income_says_so(changes, message):
    data = {key: value for key, value in {**GRID, **changes}.items() if value is not None}
    with pytest.raises(GridError) as raised:
        parse_parking_grid(data)
    assert message in " ".join(raised.value.messages)


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
