"""Grids read from their JSON with a French message for every faulty field, and written back."""

import pytest
from django.core.exceptions import ValidationError

import pricing
from cantine.tariffs.errors import as_validation_error
from pricing import Facts, grid_to_json, parse_grid, quote
from tests.cantine.grids import BUBRY, COLLECTIVE, FAY_AUX_LOGES, PARIS
from tests.pricing.helpers import ALL_GRIDS, D, brackets


def messages(data) -> dict:
    with pytest.raises(ValidationError) as error, as_validation_error():
        parse_grid(data)
    return error.value.message_dict


@pytest.mark.parametrize(
    "data, field, message",
    [
        ({"kind": "tranches"}, "kind", "Type de grille inconnu : « tranches »"),
        ({}, "kind", "Type de grille inconnu"),
        (brackets(), "brackets", "Indiquez au moins une tranche"),
        (
            brackets(
                {"up_to": "500", "price": "2"}, {"up_to": "400", "price": "3"}, {"up_to": None, "price": "4"}
            ),
            "brackets.1.up_to",
            "Les bornes doivent être croissantes : la tranche 2 s'arrête à 400",
        ),
        (
            brackets(
                {"up_to": "500", "price": "2"}, {"up_to": "500", "price": "3"}, {"up_to": None, "price": "4"}
            ),
            "brackets.1.up_to",
            "Les bornes doivent être croissantes",
        ),
        (
            brackets({"up_to": "500", "price": "2"}, {"up_to": "600", "price": "3"}),
            "brackets",
            "La dernière tranche doit être sans borne haute",
        ),
        (
            brackets({"up_to": None, "price": "2"}, {"up_to": None, "price": "3"}),
            "brackets.0.up_to",
            "Seule la dernière tranche est sans borne haute",
        ),
        (
            brackets({"up_to": "500", "price": "2"}, {"up_to": None, "price": "-0.01"}),
            "brackets.1.price",
            "Le prix ne peut pas être négatif.",
        ),
        (brackets({"up_to": None}), "brackets.0.price", "Le prix est obligatoire."),
        (
            brackets({"up_to": "-5", "price": "1"}, {"up_to": None, "price": "2"}),
            "brackets.0.up_to",
            "ne peut pas être négatif",
        ),
        (
            brackets({"up_to": None, "price": "3;5"}),
            "brackets.0.price",
            "Le prix : « 3;5 » n'est pas un nombre (par exemple 3.50 ou 3,50).",
        ),
        (brackets({"up_to": None, "price": "1e3"}), "brackets.0.price", "n'est pas un nombre"),
        (brackets({"up_to": None, "price": "NaN"}), "brackets.0.price", "n'est pas un nombre"),
        (brackets({"up_to": None, "price": True}), "brackets.0.price", "Un nombre est attendu"),
        (
            brackets({"up_to": None, "price": "2", "price_by_rank": {"1": "1"}}),
            "brackets.0.price_by_rank",
            "à partir de 2",
        ),
        (
            brackets({"up_to": None, "price": "2", "price_by_rank": {"trois": "1"}}),
            "brackets.0.price_by_rank",
            "« trois »",
        ),
        (
            brackets({"up_to": None, "price": "2", "price_by_rank": {"3": "-1"}}),
            "brackets.0.price_by_rank.3",
            "ne peut pas être négatif",
        ),
        (
            brackets({"up_to": None, "price": "2", "price_by_rank": ["3", "1"]}),
            "brackets.0.price_by_rank",
            "doivent être un objet",
        ),
        (brackets({"upto": None, "price": "2"}), "brackets.0.upto", "Clé inconnue dans la tranche 1"),
        (brackets("2"), "brackets.0", "doit être un objet JSON"),
        (
            {**PARIS, "qf_formula": "rfr/12/personnes"},
            "qf_formula",
            "« personnes » n'est pas une variable connue",
        ),
        ({**PARIS, "qf_formula": "12/parts"}, "qf_formula", "elle doit utiliser rfr"),
        ({**PARIS, "qf_formula": "rfr/12/"}, "qf_formula", "Formule de QF illisible"),
        ({**PARIS, "qf_formula": "__import__('os')"}, "qf_formula", "Formule de QF inconnue"),
        ({**PARIS, "unit": "litre"}, "unit", "Unité inconnue : « litre »"),
        ({**PARIS, "price": "3"}, "price", "Clé inconnue pour une grille « brackets »"),
        (
            {**FAY_AUX_LOGES, "min": "5", "max": "2"},
            "min",
            "Le tarif minimum (5) doit être inférieur ou égal au tarif maximum (2).",
        ),
        (
            {**FAY_AUX_LOGES, "rate_percent": "-0.36"},
            "rate_percent",
            "Le taux d'effort ne peut pas être négatif.",
        ),
        ({**FAY_AUX_LOGES, "max": None}, "max", "Le tarif maximum est obligatoire."),
        (
            {"kind": "psu", "establishment": "halte-garderie"},
            "establishment",
            "Type d'établissement inconnu : « halte-garderie »",
        ),
        ({"kind": "psu"}, "establishment", "Type d'établissement inconnu"),
        ({**COLLECTIVE, "ceiling_lifted": "oui"}, "ceiling_lifted", "true (déplafonnement) ou false"),
        ({**COLLECTIVE, "unit": "meal"}, "unit", "toujours un tarif horaire"),
        ({**COLLECTIVE, "weeks_per_year": "45"}, "weeks_per_year", "Clé inconnue pour une grille « psu »"),
    ],
)
def test_validation_messages(data, field, message):
    found = messages(data)
    assert field in found, found
    assert any(message in text for text in found[field]), found[field]


def test_validation_reports_every_fault_at_once():
    found = messages(
        {
            "kind": "brackets",
            "brackets": [{"up_to": "500", "price": "2"}, {"up_to": "400", "price": "-1"}],
        }
    )
    assert set(found) == {"brackets", "brackets.1.up_to", "brackets.1.price"}


def test_not_an_object():
    assert "objet JSON" in messages(["brackets"])["__all__"][0]


@pytest.mark.parametrize(
    "value, expected",
    [
        ("3,5", "3.5"),
        ("3.50", "3.50"),
        (" 1 370 ", "1370"),
        ("1\u00a0370,25", "1370.25"),
        (2, "2"),
        (0.13, "0.13"),
    ],
)
def test_numbers_are_read_as_agents_type_them(value, expected):
    grid = parse_grid(brackets({"up_to": None, "price": value}))
    assert grid.brackets[0].price == D(expected)


def test_the_issue_examples_parse():
    assert parse_grid(
        {"kind": "effort_rate", "rate_percent": "0.36", "min": "2.60", "max": "4.50", "unit": "meal"}
    )
    assert parse_grid(
        {"kind": "psu", "establishment": "collective", "ceiling_lifted": False}
    ) == pricing.PsuGrid("collective")
    grid = parse_grid(BUBRY)
    assert grid.qf_formula == "rfr/12/parts" and grid.unit == "meal"  # defaults
    assert grid.brackets[3] == pricing.Bracket(None, D("3.15"), ((3, D("1.58")),))


# ------------------------------------------------------------------------------------------------------------
# JSON round trip


@pytest.mark.parametrize("data", ALL_GRIDS)
def test_grid_to_json_round_trips(data):
    grid = parse_grid(data)
    exported = grid_to_json(grid)
    assert parse_grid(exported) == grid
    assert grid_to_json(parse_grid(exported)) == exported


def test_grid_to_json_writes_numbers_as_strings():
    assert grid_to_json(parse_grid(BUBRY))["brackets"][1] == {
        "up_to": "999",
        "price": "3.05",
        "price_by_rank": {"3": "1.53"},
    }
    assert grid_to_json(parse_grid({**FAY_AUX_LOGES, "min": 2.6})) == {
        **FAY_AUX_LOGES,
        "min": "2.6",
        "qf_formula": "rfr/12/parts",
    }


def test_as_json_is_plain_json():
    import json

    result = quote(parse_grid(BUBRY), Facts(rfr=D("54000"), parts=D("3"), rank=3))
    data = json.loads(json.dumps(result.as_json()))
    assert (data["amount"], data["unit"], data["qf"]) == ("1.58", "meal", "1500.00")
    assert data["criteria"]["bracket"] == 3 and data["criteria"]["rank_price_from"] == 3
    assert "monthly" not in data
