"""Quotes on the quotient familial: rounding, formulas, rank prices, effort rates."""

import pytest
from django.core.exceptions import ValidationError

from cantine.tariffs.errors import as_validation_error
from pricing import Facts, parse_grid, quote
from pricing.explanation import num
from tests.cantine.grids import BUBRY, CHAMPCEVINEL, FAY_AUX_LOGES, PARIS, SENE
from tests.pricing.helpers import D, text


def test_qf_is_rounded_half_up_to_the_cent_before_the_lookup():
    grid = parse_grid(PARIS)
    # 2808.06 / 12 = 234.005: half up gives 234.01, past the inclusive bound of 234 (half even would stay at 234.00)
    above = quote(grid, Facts(rfr=D("2808.06"), parts=D("1")))
    assert (above.qf, above.amount) == (D("234.01"), D("0.85"))
    below = quote(grid, Facts(rfr=D("2808.05"), parts=D("1")))  # 234.00416…
    assert (below.qf, below.amount) == (D("234.00"), D("0.13"))


def test_a_grid_may_have_its_own_qf_formula():
    grid = parse_grid({**CHAMPCEVINEL, "qf_formula": "RFR / 12 / (parts + 0,5)"})
    assert grid.qf_formula == "rfr/12/(parts+0.5)"
    result = quote(grid, Facts(rfr=D("30000"), parts=D("2.5")))  # 30000 / 12 / 3
    assert (result.qf, result.amount) == (D("833.33"), D("3.30"))
    assert "revenu fiscal de référence ÷ 12 ÷ (nombre de parts + 0,5) = 30 000 € ÷ 12 ÷ (2,5 + 0,5)" in text(
        result
    )


def test_a_formula_dividing_by_zero_with_the_households_figures_is_refused():
    grid = parse_grid({**CHAMPCEVINEL, "qf_formula": "rfr/(parts-1)"})
    with pytest.raises(ValidationError) as error, as_validation_error():
        quote(grid, Facts(rfr=D("30000"), parts=D("1")))
    assert "divise par zéro" in str(error.value)


@pytest.mark.parametrize(
    "rank, amount, line",
    [
        (1, "3.15", "Tranche 4 sur 4 (QF à partir de 1 499,01 €) : 3,15 € par repas."),
        (2, "3.15", "Tranche 4 sur 4 (QF à partir de 1 499,01 €) : 3,15 € par repas."),
        (
            3,
            "1.58",
            "Tranche 4 sur 4 (QF à partir de 1 499,01 €), tarif à partir du 3e enfant inscrit (cet enfant est le 3e) : 1,58 € par repas.",
        ),
        (
            5,
            "1.58",
            "Tranche 4 sur 4 (QF à partir de 1 499,01 €), tarif à partir du 3e enfant inscrit (cet enfant est le 5e) : 1,58 € par repas.",
        ),
    ],
)
def test_bubry_rank_prices_apply_from_the_third_child(rank, amount, line):
    result = quote(parse_grid(BUBRY), Facts(qf=D("1500"), rank=rank))
    assert result.amount == D(amount)
    assert text(result).endswith(line)
    assert result.criteria["rank_price_from"] == (3 if rank >= 3 else None)


def test_the_largest_rank_key_not_above_the_childs_rank_wins():
    grid = parse_grid(
        {
            "kind": "brackets",
            "brackets": [{"up_to": None, "price": "4", "price_by_rank": {"4": "1", "2": "3"}}],
        }
    )
    assert [quote(grid, Facts(qf=D("10"), rank=rank)).amount for rank in (1, 2, 3, 4, 9)] == [
        D("4"),
        D("3"),
        D("3"),
        D("1"),
        D("1"),
    ]


@pytest.mark.parametrize(
    "qf, amount, clamped, line",
    [
        ("500", "2.60", "min", "C'est moins que le tarif minimum : le minimum s'applique, 2,60 € par repas."),
        (
            "722.22",
            "2.60",
            "min",
            "C'est moins que le tarif minimum : le minimum s'applique, 2,60 € par repas.",
        ),
        (
            "1000",
            "3.60",
            None,
            "Ce tarif est compris entre le minimum (2,60 €) et le maximum (4,50 €) : 3,60 € par repas.",
        ),
        (
            "1250",
            "4.50",
            None,
            "Ce tarif est compris entre le minimum (2,60 €) et le maximum (4,50 €) : 4,50 € par repas.",
        ),
        ("2000", "4.50", "max", "C'est plus que le tarif maximum : le maximum s'applique, 4,50 € par repas."),
    ],
)
def test_fay_aux_loges_effort_rate_is_clamped(qf, amount, clamped, line):
    result = quote(parse_grid(FAY_AUX_LOGES), Facts(qf=D(qf)))
    assert (result.amount, result.criteria["clamped"]) == (D(amount), clamped)
    shown_qf = num(D(qf).quantize(D("0.01"))).replace("\u00a0", " ")
    assert f"Tarif = taux d'effort × QF = 0,36 % × {shown_qf} €" in text(result)
    assert text(result).endswith(line)


def test_effort_rate_rounds_the_price_half_up():
    result = quote(parse_grid(FAY_AUX_LOGES), Facts(qf=D("833.33")))  # 2.999988
    assert result.amount == D("3.00")
    result = quote(
        parse_grid(SENE), Facts(qf=D("300.99"))
    )  # 0.5 % × 300.99 = 1.50495 → 1.50; 301 → 1.505 → 1.51
    assert (result.amount, quote(parse_grid(SENE), Facts(qf=D("301"))).amount) == (D("1.50"), D("1.51"))


def test_whole_parts_are_written_without_the_zero_the_database_keeps():
    """DGFiP sends « 2.0 » parts and the column keeps « 2.00 »: the family reads « 2 parts », never « 2,0 »."""
    result = quote(parse_grid(PARIS), Facts(rfr=D("28000"), parts=D("2.00")))
    assert "Nombre de parts : 2 (" in text(result)
    assert "2,0" not in text(result)
