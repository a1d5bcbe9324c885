"""The engine's own error tree: each refusal is a PricingError naming the field at fault, never Django's
ValidationError (the Django edge converts it: tests/cantine/tariffs/test_errors.py)."""

import re
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

import pricing
from pricing import Facts, parse_grid, quote
from tests.cantine.grids import COLLECTIVE, PARIS

D = Decimal


def test_the_tree():
    assert not issubclass(pricing.PricingError, ValidationError)
    assert issubclass(pricing.FormulaError, pricing.GridError)
    for error in (pricing.GridError, pricing.FactsError, pricing.BaremeError):
        assert issubclass(error, pricing.PricingError)
    for error in (pricing.MissingFacts, pricing.InvalidFacts):
        assert issubclass(error, pricing.FactsError)


def test_the_package_is_pure():
    """No model, no request, no Django exception: only translations (French text) may come from Django."""
    forbidden = re.compile(
        r"^\s*(from|import) (cantine|portal|impot_client|franceconnect|django\.(db|http|core|forms|shortcuts))\b",
        re.M,
    )
    for module in Path(pricing.__file__).parent.glob("*.py"):
        assert not forbidden.search(module.read_text(encoding="utf-8")), module.name


def test_a_grid_names_every_faulty_field_at_once():
    with pytest.raises(pricing.GridError) as error:
        parse_grid({"kind": "effort_rate", "rate_percent": "x", "min": "5", "max": "2"})
    assert set(error.value.errors) == {"rate_percent", "min"}
    assert error.value.field is None  # two fields: no single one


def test_a_grid_that_is_not_an_object_names_no_field():
    with pytest.raises(pricing.GridError) as error:
        parse_grid(["brackets"])
    assert error.value.field is None and error.value.errors == {
        None: ["La grille doit être un objet JSON ({…})."]
    }


def test_an_unreadable_formula_is_a_formula_error_on_qf_formula():
    grid = pricing.BracketsGrid(brackets=(pricing.Bracket(None, D("1")),), qf_formula="rfr/x")
    with pytest.raises(pricing.FormulaError) as error:
        quote(grid, Facts(rfr=D("1000"), parts=D("1")))
    assert error.value.field == "qf_formula" and "« x » n'est pas une variable connue" in str(error.value)


@pytest.mark.parametrize(
    ("facts", "error_class", "field"),
    [
        (Facts(income_source="dgfip"), pricing.MissingFacts, "rfr"),
        (
            Facts(rfr=D("28000"), parts=D("2"), income_source="declined"),
            pricing.InvalidFacts,
            "income_source",
        ),
        (Facts(rfr=D("-1"), parts=D("2")), pricing.InvalidFacts, "rfr"),
        (Facts(qf=D("500"), rank=0), pricing.InvalidFacts, "rank"),
        (Facts(income_source="guessed"), pricing.InvalidFacts, "income_source"),
    ],
)
def test_facts_errors_name_the_field(facts, error_class, field):
    with pytest.raises(error_class) as error:
        quote(parse_grid(PARIS), facts)
    assert error.value.field == field


def test_rfr_without_parts_names_the_missing_one():
    with pytest.raises(pricing.MissingFacts) as error:
        quote(parse_grid(PARIS), Facts(rfr=D("1000")))
    assert list(error.value.errors) == ["parts"]


def test_a_partial_schedule_names_every_missing_field():
    facts = Facts(on=date(2025, 1, 1), monthly_resources=D("3000"), income_source="direct", months=D("12"))
    with pytest.raises(pricing.MissingFacts) as error:
        quote(parse_grid(COLLECTIVE), facts)
    assert list(error.value.errors) == ["hours_per_week", "weeks_per_year"]


def test_a_barème_without_figures_for_the_date_names_no_field():
    with pytest.raises(pricing.BaremeError) as error:
        pricing.SHIPPED.resource_limits(date(2018, 12, 31))
    assert error.value.errors == {
        None: ["Le barème ne contient aucun plancher ni plafond de ressources au 31/12/2018."]
    }
