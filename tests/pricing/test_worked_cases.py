"""The engine against shared/reference/tariffs.md: every worked case, to the cent and in words."""

from datetime import date

import pytest

from pricing import Facts, parse_grid, quote
from tests.cantine.grids import BUBRY, CHAMPCEVINEL, COLLECTIVE, PARIS
from tests.pricing.helpers import D, psu, text


@pytest.mark.parametrize(
    "case, facts, amount, rate",
    [
        ("1 floor, Oct 2019", psu(date(2019, 10, 15), "500"), "0.43", "0.0605"),
        ("2 zero income, 2020", psu(date(2020, 6, 15), "0"), "0.43", "0.0610"),
        ("3 ceiling, 2020, 2 children", psu(date(2020, 6, 15), "5600", children=2), "2.84", "0.0508"),
        ("3 above the ceiling", psu(date(2020, 6, 15), "12000", children=2), "2.84", "0.0508"),
        ("4 exactly the 2023 floor", psu(date(2023, 6, 15), "754.16"), "0.47", "0.0619"),
        ("5 ceiling 6000, March 2024", psu(date(2024, 3, 15), "9000"), "3.71", "0.0619"),
        ("6 floor, Oct 2024, 2 children", psu(date(2024, 10, 15), "0", children=2), "0.40", "0.0516"),
        ("7 Oct 2025, 2 children", psu(date(2025, 10, 15), "3000", children=2), "1.55", "0.0516"),
    ],
)
def test_psu_worked_cases(case, facts, amount, rate):
    result = quote(parse_grid(COLLECTIVE), facts)
    assert (result.amount, result.unit, result.qf, result.monthly) == (D(amount), "hour", None, None)
    assert D(result.criteria["rate_percent"]) == D(rate)


@pytest.mark.parametrize(
    "case, grid, facts, amount, qf",
    [
        ("8 Paris QF 234", PARIS, Facts(qf=D("234")), "0.13", "234.00"),
        ("8 Paris QF 235", PARIS, Facts(qf=D("235")), "0.85", "235.00"),
        ("8 Paris QF 0", PARIS, Facts(qf=D("0")), "0.13", "0.00"),
        ("9 Paris RFR 28000, 2.5 parts", PARIS, Facts(rfr=D("28000"), parts=D("2.5")), "2.28", "933.33"),
        (
            "10 Champcevinel RFR 30000, 3 parts",
            CHAMPCEVINEL,
            Facts(rfr=D("30000"), parts=D("3")),
            "3.30",
            "833.33",
        ),
        ("10 Champcevinel QF 622", CHAMPCEVINEL, Facts(qf=D("622")), "1.00", "622.00"),
        ("10 Champcevinel QF 1000", CHAMPCEVINEL, Facts(qf=D("1000")), "3.30", "1000.00"),
        ("10 Champcevinel QF 1001", CHAMPCEVINEL, Facts(qf=D("1001")), "3.40", "1001.00"),
        ("11 Bubry QF 1500, 1st child", BUBRY, Facts(qf=D("1500")), "3.15", "1500.00"),
    ],
)
def test_canteen_worked_cases(case, grid, facts, amount, qf):
    result = quote(parse_grid(grid), facts)
    assert (result.amount, result.unit, result.qf) == (D(amount), "meal", D(qf))
    assert str(result.amount) == amount and str(result.qf) == qf  # exact to the cent, as printed


def test_case_9_explains_the_formula_with_its_numbers_and_sources():
    result = quote(parse_grid(PARIS), Facts(rfr=D("28000"), parts=D("2.5"), income_source="dgfip"))
    assert result.explanation == (
        "Revenu fiscal de référence : 28\u00a0000\u00a0€ (source : la DGFiP, service des impôts).",
        "Nombre de parts : 2,5 (source : la DGFiP, service des impôts).",
        "Quotient familial (QF) = revenu fiscal de référence ÷ 12 ÷ nombre de parts = 28\u00a0000\u00a0€ ÷ 12 ÷ 2,5 "
        "= 933,33\u00a0€ (arrondi au centime).",
        "Tranche 4 sur 6 (QF de 548,01\u00a0€ à 959\u00a0€) : 2,28\u00a0€ par repas.",
    )
    assert result.criteria["bracket"] == 3 and result.criteria["highest_price"] is False


def test_case_1_explains_the_floor_and_the_rate():
    result = quote(parse_grid(COLLECTIVE), psu(date(2019, 10, 15), "500"))
    explained = text(result)
    assert "crèche collective, au 15/10/2019" in explained
    assert "Ressources mensuelles : 500,00 € (saisi directement)" in explained
    assert (
        "plancher de ressources de la CNAF (705,27 € par mois depuis le 01/09/2019) : le plancher est retenu"
        in explained
    )
    assert "Taux d'effort pour 1 enfant à charge : 0,0605 % par heure" in explained
    assert "Tarif horaire = 705,27 € × 0,0605 % = 0,43 € de l'heure" in explained
    assert result.criteria["clamped"] == "min" and result.criteria["resources_used"] == "705.27"


def test_case_5_says_the_ceiling_is_used():
    result = quote(parse_grid(COLLECTIVE), psu(date(2024, 3, 15), "9000"))
    assert result.criteria["clamped"] == "max"
    assert (
        "plafond de ressources de la CNAF (6 000,00 € par mois depuis le 01/01/2024) : le plafond est retenu"
        in text(result)
    )
