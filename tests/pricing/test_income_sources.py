"""Which income a grid is deliberated on, in the commune's order of fallback, and the CAF/MSA figures it quotes."""

from datetime import date

import pytest

from pricing import INCOME_DEFAULTS, Facts, GridError, InvalidFacts, grid_to_json, parse_grid, quote
from tests.cantine.grids import COLLECTIVE, PARIS
from tests.pricing.helpers import D, text


def test_defaults_keep_todays_behaviour():
    assert parse_grid(PARIS).income == ("dgfip", "notice")
    assert parse_grid(COLLECTIVE).income == ("caf", "notice")
    assert INCOME_DEFAULTS["effort_rate"] == ("dgfip", "notice")
    assert "income" not in grid_to_json(parse_grid(PARIS))


def test_the_order_is_the_communes_and_round_trips():
    grid = parse_grid({**PARIS, "income": ["caf", "dgfip", "notice"]})
    assert grid.income == ("caf", "dgfip", "notice")
    assert grid_to_json(grid)["income"] == ["caf", "dgfip", "notice"]
    assert parse_grid(grid_to_json(grid)) == grid
    assert parse_grid({**PARIS, "income": []}).income == ()


@pytest.mark.parametrize(
    "income, message",
    [
        (["caf", "impots"], "Source de revenus inconnue : « impots »"),
        (["caf", "caf"], "indiquée deux fois"),
        ("caf", "une liste"),
    ],
)
def test_faulty_income_is_named(income, message):
    with pytest.raises(GridError) as error:
        parse_grid({**PARIS, "income": income})
    assert error.value.field == "income" and message in " ".join(error.value.messages)


def test_a_crèche_grid_refuses_dgfip():
    with pytest.raises(GridError) as error:
        parse_grid({**COLLECTIVE, "income": ["caf", "dgfip", "notice"]})
    assert error.value.field == "income"
    assert "DGFiP ne doivent pas servir" in " ".join(error.value.messages)


def test_the_caf_qf_is_quoted_with_its_month():
    grid = parse_grid({**PARIS, "income": ["caf", "dgfip", "notice"]})
    result = quote(grid, Facts(qf=D("1069"), qf_year=2026, qf_month=3, income_source="caf"))
    assert result.qf == D("1069.00")
    assert (
        "Quotient familial CAF du mois de mars 2026 : 1 069,00 € (source : la CAF, via API Particulier)."
        in text(result)
    )
    assert result.criteria["income_source"] == "caf" and result.criteria["qf_month"] == "mars 2026"
    msa = quote(grid, Facts(qf=D("905"), qf_year=2026, qf_month=3, income_source="msa"))
    assert "Quotient familial MSA du mois de mars 2026" in text(msa)


def test_a_grid_quotes_only_the_income_it_was_deliberated_on():
    with pytest.raises(InvalidFacts) as error:
        quote(parse_grid(PARIS), Facts(qf=D("1069"), income_source="caf"))
    assert error.value.field == "income_source"
    with pytest.raises(InvalidFacts):
        quote(parse_grid(COLLECTIVE), Facts(on=date(2025, 10, 15), rfr=D("36000"), income_source="dgfip"))
    # typed by support or by the family: any grid
    assert quote(parse_grid(PARIS), Facts(qf=D("1069"), income_source="direct")).amount


def test_psu_resources_are_the_caf_annual_base_over_twelve():
    result = quote(
        parse_grid(COLLECTIVE),
        Facts(
            on=date(2025, 10, 15),
            annual_resources=D("38500"),
            resources_year=2024,
            children=2,
            aeeh=0,
            income_source="caf",
        ),
    )
    assert result.criteria["monthly_resources"] == "3208.33"
    assert (
        "Ressources mensuelles = ressources annuelles retenues par la CAF (année 2024) ÷ 12 = 38 500 € ÷ 12 = 3 208,33 €"
        in text(result)
    )
    assert result.amount == D("1.66")  # 3208.33 × 0.0516 % = 1.6555
