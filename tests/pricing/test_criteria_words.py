"""One source for a stored quote's criteria in words: the agent's dossier page reads every point, the billing
export the first."""

import pytest

from pricing import criteria_words


@pytest.mark.parametrize(
    ("criteria", "full", "brief"),
    [
        ({"highest_price": True, "bracket": None}, ["tarif le plus élevé"], ["tarif le plus élevé"]),
        ({"bracket": 4, "rank_price_from": None}, ["tranche 5 de la grille"], ["tranche 5"]),
        (
            {"bracket": 3, "rank_price_from": 3},
            ["tranche 4 de la grille", "tarif à partir du 3e enfant inscrit"],
            ["tranche 4"],
        ),
        ({"bracket": None, "clamped": "min"}, ["minimum appliqué"], ["minimum"]),
        ({"bracket": None, "clamped": "max"}, ["maximum appliqué"], ["maximum"]),
        ({"bracket": None, "clamped": None}, [], []),
    ],
)
def test_criteria_words(criteria, full, brief):
    assert criteria_words(criteria) == full
    assert criteria_words(criteria, brief=True) == brief
