"""Crèche quotes on the CNAF barème: AEEH, déplafonnement, the monthly fee, the inputs checked."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from cantine.tariffs.errors import as_validation_error
from pricing import SHIPPED, Bareme, Facts, ResourceLimits, monthly_fee_line, parse_grid, quote
from tests.cantine.grids import COLLECTIVE
from tests.pricing.helpers import D, psu, text


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


def test_the_monthly_fee_line_writes_counts_without_the_zeros_stored():
    line = monthly_fee_line(
        hours=D("22.50"), weeks=D("45.0"), months=D("11.0"), hourly=D("1.70"), monthly=D("156.48")
    )
    assert "22,5 h par semaine × 45 semaines ÷ 11 mois × 1,70\xa0€" in line


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
        Facts(on=date(2025, 10, 15), rfr=D("36000"), children=2, income_source="notice"),
    )
    assert result.amount == D("1.55")
    assert "Ressources mensuelles = revenu fiscal de référence ÷ 12 = 36 000 € ÷ 12 = 3 000,00 €" in text(
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
    with pytest.raises(ValidationError) as error, as_validation_error():
        quote(parse_grid(COLLECTIVE), facts)
    assert message in " ".join(error.value.message_dict[field])


def test_micro_crèche_has_no_psu_rate_before_september_2019():
    micro = parse_grid({"kind": "psu", "establishment": "micro"})
    assert quote(micro, psu(date(2019, 9, 1), "3000")).criteria["rate_percent"] == "0.0605"
    with pytest.raises(ValidationError) as error, as_validation_error():
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
