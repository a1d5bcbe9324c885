"""The tariff engine against shared/reference/tariffs.md: every worked case, the rules around them, and the
properties a grid must keep whatever the household's figures."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from cantine import pricing
from cantine.pricing import Facts, cantine_a_1_euro, grid_to_json, highest_price, parse_grid, quote
from cantine.psu_bareme import SHIPPED, Bareme, EffortRate, ResourceLimits
from tests.cantine.grids import BUBRY, CHAMPCEVINEL, COLLECTIVE, FAY_AUX_LOGES, PARIS, SENE, VAL_DE_MARNE

D = Decimal

BRACKET_GRIDS = [PARIS, CHAMPCEVINEL, BUBRY, VAL_DE_MARNE]
ALL_GRIDS = [*BRACKET_GRIDS, FAY_AUX_LOGES, SENE, COLLECTIVE, {"kind": "psu", "establishment": "micro"}]

# Hypothesis runs the body many times; the project's autouse fixtures are harmless to share between runs.
prop = hypothesis_settings(
    database=None,
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


def text(result) -> str:
    """The explanation as one string, with ordinary spaces so assertions read naturally."""
    return "\n".join(result.explanation).replace("\u00a0", " ")


def psu(on, resources, children=1, **kwargs):
    return Facts(on=on, monthly_resources=D(resources), children=children, income_source="direct", **kwargs)


# ------------------------------------------------------------------------------------------------------------
# The reference's worked cases


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
        "Revenu fiscal de référence : 28000\u00a0€ (source : la DGFiP, service des impôts).",
        "Nombre de parts : 2,5 (source : la DGFiP, service des impôts).",
        "Quotient familial (QF) = revenu fiscal de référence ÷ 12 ÷ nombre de parts = 28000\u00a0€ ÷ 12 ÷ 2,5 "
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
        "plafond de ressources de la CNAF (6000,00 € par mois depuis le 01/01/2024) : le plafond est retenu"
        in text(result)
    )


# ------------------------------------------------------------------------------------------------------------
# QF rules


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
    assert "revenu fiscal de référence ÷ 12 ÷ (nombre de parts + 0,5) = 30000 € ÷ 12 ÷ (2,5 + 0,5)" in text(
        result
    )


def test_a_formula_dividing_by_zero_with_the_households_figures_is_refused():
    grid = parse_grid({**CHAMPCEVINEL, "qf_formula": "rfr/(parts-1)"})
    with pytest.raises(ValidationError) as error:
        quote(grid, Facts(rfr=D("30000"), parts=D("1")))
    assert "divise par zéro" in str(error.value)


@pytest.mark.parametrize(
    "rank, amount, line",
    [
        (1, "3.15", "Tranche 4 sur 4 (QF à partir de 1499,01 €) : 3,15 € par repas."),
        (2, "3.15", "Tranche 4 sur 4 (QF à partir de 1499,01 €) : 3,15 € par repas."),
        (
            3,
            "1.58",
            "Tranche 4 sur 4 (QF à partir de 1499,01 €), tarif à partir du 3e enfant inscrit (cet enfant est le 3e) : 1,58 € par repas.",
        ),
        (
            5,
            "1.58",
            "Tranche 4 sur 4 (QF à partir de 1499,01 €), tarif à partir du 3e enfant inscrit (cet enfant est le 5e) : 1,58 € par repas.",
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
    shown_qf = f"{D(qf):.2f}".replace(".", ",")
    assert f"Tarif = taux d'effort × QF = 0,36 % × {shown_qf} €" in text(result)
    assert text(result).endswith(line)


def test_effort_rate_rounds_the_price_half_up():
    result = quote(parse_grid(FAY_AUX_LOGES), Facts(qf=D("833.33")))  # 2.999988
    assert result.amount == D("3.00")
    result = quote(
        parse_grid(SENE), Facts(qf=D("300.99"))
    )  # 0.5 % × 300.99 = 1.50495 → 1.50; 301 → 1.505 → 1.51
    assert (result.amount, quote(parse_grid(SENE), Facts(qf=D("301"))).amount) == (D("1.50"), D("1.51"))


# ------------------------------------------------------------------------------------------------------------
# Income declined or not known yet


@pytest.mark.parametrize(
    "grid, amount", [(PARIS, "4.61"), (BUBRY, "3.15"), (VAL_DE_MARNE, "5.95"), (FAY_AUX_LOGES, "4.50")]
)
@pytest.mark.parametrize(
    "source, said",
    [
        (
            "declined",
            "Vous avez choisi de ne pas communiquer vos revenus : le tarif le plus élevé de la grille s'applique",
        ),
        ("none", "Vos revenus ne sont pas encore connus : le tarif le plus élevé de la grille s'applique"),
    ],
)
def test_no_income_pays_the_highest_price_and_is_told_so(grid, amount, source, said):
    result = quote(parse_grid(grid), Facts(income_source=source, rank=3))
    assert (result.amount, result.qf) == (D(amount), None)
    assert result.criteria["highest_price"] is True
    assert result.explanation == (
        f"{said}, {amount.replace('.', ',')}\u00a0€ par repas."
        + ("" if source == "declined" else " Il pourra être recalculé quand ils le seront."),
    )
    assert "qf" not in result.as_json()


def test_withdrawn_consent_pays_the_highest_price_and_no_figure_is_accepted():
    result = quote(parse_grid(PARIS), Facts(income_source="withdrawn"))
    assert (result.amount, result.qf, result.criteria["highest_price"]) == (D("4.61"), None, True)
    assert result.explanation == (
        "Vous avez retiré votre accord : vos revenus ont été effacés et le tarif le plus élevé de la grille "
        "s'applique, 4,61\u00a0€ par repas. Il pourra être recalculé si vous transmettez votre avis d'imposition "
        "aux services de la commune.",
    )
    with pytest.raises(ValidationError) as error:
        quote(parse_grid(PARIS), Facts(income_source="withdrawn", rfr=D("38500"), parts=D("2.5")))
    assert "income_source" in error.value.message_dict


def test_psu_without_income_uses_the_ceiling():
    result = quote(parse_grid(COLLECTIVE), Facts(on=date(2024, 3, 15), income_source="declined", children=2))
    assert result.amount == D("3.10")  # 6000 × 0.0516 %
    assert result.criteria["highest_price"] is True
    assert (
        "Vous avez choisi de ne pas communiquer vos revenus : le tarif le plus élevé du barème s'applique, "
        "calculé sur le plafond de ressources de la CNAF (6000,00 € par mois depuis le 01/01/2024)."
    ) in text(result)
    not_yet = quote(parse_grid(COLLECTIVE), Facts(on=date(2025, 10, 15)))
    assert not_yet.amount == D("5.26")  # 8500 × 0.0619 %
    assert "Vos revenus ne sont pas encore connus" in text(not_yet)


def test_figures_next_to_a_refusal_are_refused():
    with pytest.raises(ValidationError) as error:
        quote(parse_grid(PARIS), Facts(rfr=D("28000"), parts=D("2"), income_source="declined"))
    assert "refusé de communiquer" in error.value.message_dict["income_source"][0]


def test_income_announced_without_figures_is_an_error_not_the_highest_price():
    with pytest.raises(ValidationError) as error:
        quote(parse_grid(PARIS), Facts(income_source="dgfip"))
    assert "aucun chiffre" in error.value.message_dict["rfr"][0]


def test_highest_price():
    assert highest_price(parse_grid(BUBRY)) == D("3.15")
    assert highest_price(parse_grid(FAY_AUX_LOGES)) == D("4.50")
    assert highest_price(parse_grid(COLLECTIVE)) is None
    odd = {
        "kind": "brackets",
        "brackets": [
            {"up_to": "100", "price": "2", "price_by_rank": {"2": "7"}},
            {"up_to": None, "price": "3"},
        ],
    }
    assert highest_price(parse_grid(odd)) == D("7")  # any bracket, any rank


# ------------------------------------------------------------------------------------------------------------
# PSU rules


def test_aeeh_counts_one_more_child_for_the_rate():
    one_child_aeeh = quote(parse_grid(COLLECTIVE), psu(date(2025, 10, 15), "3000", children=1, aeeh=1))
    two_children = quote(parse_grid(COLLECTIVE), psu(date(2025, 10, 15), "3000", children=2))
    assert one_child_aeeh.amount == two_children.amount == D("1.55")
    assert one_child_aeeh.criteria["rate_children"] == 2
    assert "Taux d'effort pour 2 enfants : 1 à charge, plus 1 pour l'AEEH" in text(one_child_aeeh)
    two_aeeh = quote(parse_grid(COLLECTIVE), psu(date(2025, 10, 15), "3000", children=2, aeeh=2))
    assert two_aeeh.criteria["rate_percent"] == "0.0310"  # 4 children


def test_family_crèche_rates():
    family = parse_grid({"kind": "psu", "establishment": "family"})
    assert quote(family, psu(date(2025, 10, 15), "3000")).amount == D("1.55")  # 0.0516 %
    assert quote(family, psu(date(2025, 10, 15), "3000", children=5)).criteria["rate_percent"] == "0.0310"
    assert quote(family, psu(date(2025, 10, 15), "3000", children=6)).criteria["rate_percent"] == "0.0206"


def test_ceiling_lifted_applies_the_rate_above_the_ceiling():
    lifted = parse_grid({**COLLECTIVE, "ceiling_lifted": True})
    result = quote(lifted, psu(date(2024, 3, 15), "9000"))
    assert result.amount == D("5.57")  # 9000 × 0.0619 % = 5.571
    assert result.criteria["clamped"] is None and result.criteria["resources_used"] == "9000.00"
    assert "déplafonnement" in text(result)
    assert quote(lifted, psu(date(2024, 3, 15), "0")).amount == D("0.47")  # the floor still applies


def test_monthly_fee_uses_the_rounded_hourly_rate():
    result = quote(
        parse_grid(COLLECTIVE),
        psu(date(2019, 10, 15), "500", hours_per_week=D("40"), weeks_per_year=D("45"), months=D("11")),
    )
    # 40 × 45 ÷ 11 × 0.43 = 70.36; with the unrounded 0.4266… it would be 69.82
    assert (result.amount, result.monthly) == (D("0.43"), D("70.36"))
    assert result.as_json()["monthly"] == "70.36"
    assert "Mensualisation = 40 h par semaine × 45 semaines ÷ 11 mois × 0,43 € = 70,36 € par mois" in text(
        result
    )


def test_monthly_fee_is_rounded_half_up():
    # 1147 × 0.0619 % = 0.709993 → 0.71 €/h; 3 × 1 ÷ 2 × 0.71 = 1.065 → 1.07 (half even would give 1.06)
    result = quote(
        parse_grid(COLLECTIVE),
        psu(date(2025, 10, 15), "1147", hours_per_week=D("3"), weeks_per_year=D("1"), months=D("2")),
    )
    assert (result.amount, result.monthly) == (D("0.71"), D("1.07"))


def test_monthly_resources_come_from_the_rfr_when_not_given():
    result = quote(
        parse_grid(COLLECTIVE),
        Facts(on=date(2025, 10, 15), rfr=D("36000"), children=2, income_source="dgfip"),
    )
    assert result.amount == D("1.55")
    assert "Ressources mensuelles = revenu fiscal de référence ÷ 12 = 36000 € ÷ 12 = 3000,00 €" in text(
        result
    )


@pytest.mark.parametrize(
    "facts, field, message",
    [
        (Facts(monthly_resources=D("3000")), "on", "Indiquez la date"),
        (psu(date(2025, 1, 1), "3000", children=0), "children", "à partir de 1"),
        (psu(date(2025, 1, 1), "3000", children=1, aeeh=2), "aeeh", "plus d'enfants bénéficiaires de l'AEEH"),
        (psu(date(2025, 1, 1), "-1"), "monthly_resources", "ne peuvent pas être négatives"),
        (psu(date(2025, 1, 1), "3000", hours_per_week=D("40")), "weeks_per_year", "indiquez ensemble"),
        (
            psu(date(2025, 1, 1), "3000", hours_per_week=D("40"), weeks_per_year=D("45"), months=D("13")),
            "months",
            "entre 1 et 12",
        ),
    ],
)
def test_psu_inputs_are_checked(facts, field, message):
    with pytest.raises(ValidationError) as error:
        quote(parse_grid(COLLECTIVE), facts)
    assert message in " ".join(error.value.message_dict[field])


def test_micro_crèche_has_no_psu_rate_before_september_2019():
    micro = parse_grid({"kind": "psu", "establishment": "micro"})
    assert quote(micro, psu(date(2019, 9, 1), "3000")).criteria["rate_percent"] == "0.0605"
    with pytest.raises(ValidationError) as error:
        quote(micro, psu(date(2019, 8, 31), "3000"))
    assert error.value.messages == [
        "Le barème ne contient aucun taux d'effort pour une micro-crèche au 31/08/2019."
    ]


def test_quote_reads_the_bareme_it_is_given():
    """The dossier passes the barème agents edit: its figures win over the shipped ones."""
    edited = Bareme(
        rates=SHIPPED.rates,
        limits=(*SHIPPED.limits, ResourceLimits(date(2027, 1, 1), D("830.00"), D("9000.00"), "test", False)),
    )
    result = quote(parse_grid(COLLECTIVE), psu(date(2027, 3, 1), "20000"), bareme=edited)
    assert result.amount == D("5.57") and result.criteria["bareme_confirmed"] is False  # 9000 × 0.0619 %


# ------------------------------------------------------------------------------------------------------------
# The shipped barème


def rate(on, establishment, children):
    return SHIPPED.effort_rate(on, establishment, children).rate_percent


@pytest.mark.parametrize(
    "on, expected",
    [
        (date(2019, 1, 1), ["0.06", "0.05", "0.04", "0.03", "0.03", "0.02", "0.02"]),
        (date(2019, 8, 31), ["0.06", "0.05", "0.04", "0.03", "0.03", "0.02", "0.02"]),
        (date(2019, 9, 1), ["0.0605", "0.0504", "0.0403", "0.0302", "0.0302", "0.0202", "0.0202"]),
        (date(2020, 12, 31), ["0.0610", "0.0508", "0.0406", "0.0305", "0.0305", "0.0203", "0.0203"]),
        (date(2021, 6, 1), ["0.0615", "0.0512", "0.0410", "0.0307", "0.0307", "0.0205", "0.0205"]),
        (date(2026, 6, 1), ["0.0619", "0.0516", "0.0413", "0.0310", "0.0310", "0.0206", "0.0206"]),
    ],
)
def test_shipped_collective_rates(on, expected):
    assert [rate(on, "collective", n) for n in (1, 2, 3, 4, 7, 8, 15)] == [D(x) for x in expected]


@pytest.mark.parametrize(
    "on, expected",
    [
        (date(2019, 1, 1), ["0.05", "0.04", "0.03", "0.03", "0.02", "0.02"]),
        (date(2019, 9, 1), ["0.0504", "0.0403", "0.0302", "0.0302", "0.0202", "0.0202"]),
        (date(2020, 1, 1), ["0.0508", "0.0406", "0.0305", "0.0305", "0.0203", "0.0203"]),
        (date(2021, 1, 1), ["0.0512", "0.0410", "0.0307", "0.0307", "0.0205", "0.0205"]),
        (date(2022, 1, 1), ["0.0516", "0.0413", "0.0310", "0.0310", "0.0206", "0.0206"]),
    ],
)
def test_shipped_family_rates(on, expected):
    assert [rate(on, "family", n) for n in (1, 2, 3, 5, 6, 12)] == [D(x) for x in expected]


def test_micro_crèche_uses_the_collective_rates_from_september_2019():
    micro = {
        (r.valid_from, r.children_min, r.children_max, r.rate_percent)
        for r in SHIPPED.rates
        if r.establishment == "micro"
    }
    collective = {
        (r.valid_from, r.children_min, r.children_max, r.rate_percent)
        for r in SHIPPED.rates
        if r.establishment == "collective" and r.valid_from >= date(2019, 9, 1)
    }
    assert micro == collective and min(valid_from for valid_from, *_ in micro) == date(2019, 9, 1)


@pytest.mark.parametrize(
    "on, floor, ceiling, confirmed",
    [
        (date(2019, 1, 1), "705.27", "4874.62", False),  # switch date from 687.30 unverified
        (date(2019, 8, 31), "705.27", "4874.62", False),
        (date(2019, 9, 1), "705.27", "5300", True),
        (date(2020, 1, 1), "705.27", "5600", True),
        (date(2021, 1, 1), "711.62", "5800", False),  # ceiling: weak source
        (date(2022, 1, 1), "712.33", "6000", False),  # floor: undated municipal page
        (date(2023, 1, 1), "754.16", "6000", True),
        (date(2024, 1, 1), "765.77", "6000", True),
        (date(2024, 8, 31), "765.77", "6000", True),
        (date(2024, 9, 1), "765.77", "7000", True),
        (date(2025, 1, 1), "801.00", "7000", True),
        (date(2025, 9, 1), "801.00", "8500", True),
        (date(2026, 1, 1), "814.62", "8500", False),  # floor: partly verified
        (date(2030, 1, 1), "814.62", "8500", False),
    ],
)
def test_shipped_floor_and_ceiling(on, floor, ceiling, confirmed):
    limits = SHIPPED.resource_limits(on)
    assert (limits.floor, limits.ceiling, limits.confirmed) == (D(floor), D(ceiling), confirmed)
    assert limits.source


def test_every_shipped_figure_has_a_source_that_fits_the_admin():
    assert all(0 < len(row.source) <= 300 for row in (*SHIPPED.rates, *SHIPPED.limits))
    assert all(row.confirmed for row in SHIPPED.rates)


def test_no_barème_before_2019():
    with pytest.raises(ValidationError) as error:
        SHIPPED.resource_limits(date(2018, 12, 31))
    assert error.value.messages == [
        "Le barème ne contient aucun plancher ni plafond de ressources au 31/12/2018."
    ]


def test_only_the_latest_table_is_read_never_an_older_row():
    partial = EffortRate(date(2027, 1, 1), "collective", 1, 1, D("0.07"), "test", False)
    bareme = Bareme(rates=(*SHIPPED.rates, partial), limits=SHIPPED.limits)
    assert bareme.effort_rate(date(2027, 2, 1), "collective", 1).rate_percent == D("0.07")
    with pytest.raises(ValidationError) as error:
        bareme.effort_rate(date(2027, 2, 1), "collective", 2)
    assert (
        "en vigueur depuis le 01/01/2027 ne prévoit pas de taux d'effort pour 2 enfant(s)"
        in error.value.messages[0]
    )


# ------------------------------------------------------------------------------------------------------------
# Grid validation


def messages(data) -> dict:
    with pytest.raises(ValidationError) as error:
        parse_grid(data)
    return error.value.message_dict


def brackets(*items):
    return {"kind": "brackets", "brackets": list(items)}


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


# ------------------------------------------------------------------------------------------------------------
# Cantine à 1 €


def test_champcevinel_misses_only_the_qf_1000_rule_of_agreements_since_august_2022():
    met, reasons = cantine_a_1_euro(parse_grid(CHAMPCEVINEL))
    assert not met
    assert [reason.replace("\u00a0", " ") for reason in reasons] == [
        "Depuis le 1er août 2022, le tarif à 1 € au plus doit couvrir tous les QF jusqu'à 1000 € : "
        "la tranche 2 (QF de 622,01 € à 1000 €) est à 3,30 €."
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


# ------------------------------------------------------------------------------------------------------------
# Properties

qfs = st.decimals(min_value=0, max_value=10000, places=2)
ranks = st.integers(min_value=1, max_value=6)


@prop
@given(grid=st.sampled_from(BRACKET_GRIDS), a=qfs, b=qfs, rank=ranks)
def test_bracket_price_never_decreases_when_qf_rises(grid, a, b, rank):
    low, high = sorted((a, b))
    parsed = parse_grid(grid)
    assert quote(parsed, Facts(qf=low, rank=rank)).amount <= quote(parsed, Facts(qf=high, rank=rank)).amount


@st.composite
def progressive_grids(draw):
    count = draw(st.integers(min_value=1, max_value=8))
    bounds = sorted(
        draw(
            st.sets(
                st.decimals(min_value=1, max_value=5000, places=2), min_size=count - 1, max_size=count - 1
            )
        )
    )
    prices = sorted(
        draw(st.lists(st.decimals(min_value=0, max_value=20, places=2), min_size=count, max_size=count))
    )
    return {
        "kind": "brackets",
        "brackets": [
            {"up_to": None if bound is None else str(bound), "price": str(price)}
            for bound, price in zip([*bounds, None], prices, strict=True)
        ],
    }


@prop
@given(grid=progressive_grids(), a=qfs, b=qfs)
def test_any_progressive_grid_never_charges_less_for_a_higher_qf(grid, a, b):
    low, high = sorted((a, b))
    parsed = parse_grid(grid)
    assert parse_grid(grid_to_json(parsed)) == parsed
    assert quote(parsed, Facts(qf=low)).amount <= quote(parsed, Facts(qf=high)).amount


@prop
@given(
    grid=st.sampled_from([PARIS, CHAMPCEVINEL, FAY_AUX_LOGES]),
    a=st.integers(min_value=0, max_value=200000),
    b=st.integers(min_value=0, max_value=200000),
    parts=st.sampled_from(["1", "1.5", "2", "2.5", "3", "4.5"]),
)
def test_price_never_decreases_when_income_rises(grid, a, b, parts):
    low, high = sorted((a, b))
    parsed = parse_grid(grid)
    assert (
        quote(parsed, Facts(rfr=D(low), parts=D(parts))).amount
        <= quote(parsed, Facts(rfr=D(high), parts=D(parts))).amount
    )


@prop
@given(
    rate=st.decimals(min_value=0, max_value=2, places=3),
    bounds=st.lists(st.decimals(min_value=0, max_value=15, places=2), min_size=2, max_size=2),
    a=qfs,
    b=qfs,
)
def test_effort_rate_price_stays_within_min_and_max_and_rises_with_qf(rate, bounds, a, b):
    minimum, maximum = sorted(bounds)
    grid = parse_grid(
        {"kind": "effort_rate", "rate_percent": str(rate), "min": str(minimum), "max": str(maximum)}
    )
    low, high = sorted((a, b))
    low_price, high_price = quote(grid, Facts(qf=low)).amount, quote(grid, Facts(qf=high)).amount
    assert minimum.quantize(pricing.CENT) <= low_price <= high_price <= maximum.quantize(pricing.CENT)


@st.composite
def psu_inputs(draw):
    establishment = draw(st.sampled_from(["collective", "family", "micro"]))
    first = date(2019, 9, 1) if establishment == "micro" else date(2019, 1, 1)
    on = draw(st.dates(min_value=first, max_value=date(2028, 12, 31)))
    children = draw(st.integers(min_value=1, max_value=10))
    aeeh = draw(st.integers(min_value=0, max_value=children))
    resources = draw(st.decimals(min_value=0, max_value=30000, places=2))
    return establishment, on, children, aeeh, resources


@prop
@given(inputs=psu_inputs(), lifted=st.booleans())
def test_psu_hourly_rate_stays_between_floor_and_ceiling(inputs, lifted):
    establishment, on, children, aeeh, resources = inputs
    grid = parse_grid({"kind": "psu", "establishment": establishment, "ceiling_lifted": lifted})
    result = quote(
        grid, Facts(on=on, monthly_resources=resources, children=children, aeeh=aeeh, income_source="direct")
    )
    limits = SHIPPED.resource_limits(on)
    percent = SHIPPED.effort_rate(on, establishment, children + aeeh).rate_percent
    lowest = (limits.floor * percent / 100).quantize(pricing.CENT)
    highest = (limits.ceiling * percent / 100).quantize(pricing.CENT)
    assert lowest <= result.amount
    if lifted:
        assert result.amount == (max(resources, limits.floor) * percent / 100).quantize(
            pricing.CENT, rounding=ROUND_HALF_UP
        )
    else:
        assert result.amount <= highest


@prop
@given(inputs=psu_inputs(), more=st.decimals(min_value=0, max_value=5000, places=2))
def test_psu_hourly_rate_never_decreases_when_resources_rise(inputs, more):
    establishment, on, children, aeeh, resources = inputs
    grid = parse_grid({"kind": "psu", "establishment": establishment})
    base = Facts(on=on, monthly_resources=resources, children=children, aeeh=aeeh, income_source="direct")
    assert quote(grid, base).amount <= quote(grid, replace(base, monthly_resources=resources + more)).amount


@prop
@given(on=st.dates(min_value=date(2019, 1, 1), max_value=date(2028, 12, 31)))
def test_the_shipped_barème_covers_every_day_and_household_since_2019(on):
    for establishment in ("collective", "family"):
        for children in range(1, 13):
            assert SHIPPED.effort_rate(on, establishment, children)
    if on >= date(2019, 9, 1):
        assert SHIPPED.effort_rate(on, "micro", 1)
    today, tomorrow = SHIPPED.resource_limits(on), SHIPPED.resource_limits(on + timedelta(days=1))
    assert today.floor < today.ceiling
    assert (today.floor, today.ceiling) <= (tomorrow.floor, tomorrow.ceiling)
