"""The CNAF barème shipped with the date and source of each figure."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError

from cantine.tariffs.errors import as_validation_error
from pricing import SHIPPED, Bareme, EffortRate
from tests.pricing.helpers import D


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
    with pytest.raises(ValidationError) as error, as_validation_error():
        SHIPPED.resource_limits(date(2018, 12, 31))
    assert error.value.messages == [
        "Le barème ne contient aucun plancher ni plafond de ressources au 31/12/2018."
    ]


def test_only_the_latest_table_is_read_never_an_older_row():
    partial = EffortRate(date(2027, 1, 1), "collective", 1, 1, D("0.07"), "test", False)
    bareme = Bareme(rates=(*SHIPPED.rates, partial), limits=SHIPPED.limits)
    assert bareme.effort_rate(date(2027, 2, 1), "collective", 1).rate_percent == D("0.07")
    with pytest.raises(ValidationError) as error, as_validation_error():
        bareme.effort_rate(date(2027, 2, 1), "collective", 2)
    assert (
        "en vigueur depuis le 01/01/2027 ne prévoit pas de taux d'effort pour 2 enfant(s)"
        in error.value.messages[0]
    )
