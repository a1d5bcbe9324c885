"""The State's « cantine à 1 € » conditions, read from a grid."""

from datetime import date

import pytest

from pricing import cantine_a_1_euro, parse_grid
from tests.cantine.grids import BUBRY, CHAMPCEVINEL, COLLECTIVE, FAY_AUX_LOGES, PARIS
from tests.pricing.helpers import brackets


def test_champcevinel_misses_only_the_qf_1000_rule_of_agreements_since_august_2022():
    met, reasons = cantine_a_1_euro(parse_grid(CHAMPCEVINEL))
    assert not met
    assert [reason.replace("\u00a0", " ") for reason in reasons] == [
        "Depuis le 1er août 2022, le tarif à 1 € au plus doit couvrir tous les QF jusqu'à 1 000 € : "
        "la tranche 2 (QF de 622,01 € à 1 000 €) est à 3,30 €."
    ]
    assert cantine_a_1_euro(parse_grid(CHAMPCEVINEL), agreement_signed_on=date(2022, 7, 31)) == (True, ())
    assert not cantine_a_1_euro(parse_grid(CHAMPCEVINEL), agreement_signed_on=date(2022, 8, 1))[0]


def test_bubry_meets_the_conditions_of_an_older_agreement_only():
    assert cantine_a_1_euro(parse_grid(BUBRY), agreement_signed_on=date(2021, 1, 1)) == (True, ())
    met, reasons = cantine_a_1_euro(parse_grid(BUBRY))
    assert not met and "tranche 2 (QF de 599,01" in reasons[0]


def test_paris_has_its_1_euro_brackets_below_qf_384():
    met, reasons = cantine_a_1_euro(parse_grid(PARIS))
    assert not met and len(reasons) == 1 and "la tranche 3 (QF de 384,01" in reasons[0]
    assert cantine_a_1_euro(parse_grid(PARIS), agreement_signed_on=date(2020, 1, 1)) == (True, ())


def test_a_grid_meeting_every_condition():
    grid = brackets(
        {"up_to": "700", "price": "0.50"},
        {"up_to": "1000", "price": "1"},
        {"up_to": "1500", "price": "2.50"},
        {"up_to": None, "price": "3.50"},
    )
    assert cantine_a_1_euro(parse_grid(grid)) == (True, ())


@pytest.mark.parametrize(
    "grid, reason",
    [
        (
            brackets({"up_to": "1000", "price": "1"}, {"up_to": None, "price": "3"}),
            "La grille compte 2 tranche(s) : il en faut au moins 3.",
        ),
        (
            brackets(
                {"up_to": "1000", "price": "1.10"},
                {"up_to": "2000", "price": "2"},
                {"up_to": None, "price": "3"},
            ),
            "Aucune tranche n'est à 1 € ou moins.",
        ),
        (
            brackets(
                {"up_to": "1000", "price": "0.5"},
                {"up_to": "2000", "price": "0.8"},
                {"up_to": None, "price": "1"},
            ),
            "Aucune tranche n'est à plus de 1 €.",
        ),
        (
            brackets(
                {"up_to": "1000", "price": "1"},
                {"up_to": "2000", "price": "3"},
                {"up_to": None, "price": "2"},
            ),
            "La grille doit être progressive : la tranche 3",
        ),
        (FAY_AUX_LOGES, "une grille à taux d'effort n'en a pas"),
        (COLLECTIVE, "pas le barème des crèches"),
    ],
)
def test_grids_failing_the_cantine_a_1_euro_conditions(grid, reason):
    met, reasons = cantine_a_1_euro(parse_grid(grid))
    assert not met and any(reason in r.replace("\u00a0", " ") for r in reasons), reasons
