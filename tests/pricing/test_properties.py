"""Properties a grid must keep whatever the household's figures (Hypothesis)."""

from dataclasses import replace
from datetime import date, timedelta
from decimal import ROUND_HALF_UP

import pytest
from hypothesis import given
from hypothesis import strategies as st

import pricing
from pricing import SHIPPED, Facts, grid_to_json, parse_grid, quote, words
from tests.cantine.grids import CHAMPCEVINEL, FAY_AUX_LOGES, PARIS
from tests.pricing.helpers import ALL_GRIDS, BRACKET_GRIDS, D, prop

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


@st.composite
def any_facts(draw):
    """Facts every grid of ALL_GRIDS reads: a QF, RFR and parts, crèche resources, or no income at all."""
    on = draw(st.dates(min_value=date(2019, 9, 1), max_value=date(2028, 12, 31)))
    common = {"on": on, "rank": draw(ranks), "children": draw(st.integers(min_value=1, max_value=5))}
    schedule = draw(st.booleans())
    if schedule:
        common.update(hours_per_week=D("32"), weeks_per_year=D("45"), months=D("11"))
    income = draw(st.sampled_from(["qf", "rfr", "annual", "monthly", "none"]))
    if income == "qf":
        return Facts(**common, qf=draw(qfs), income_source="caf")
    if income == "rfr":
        return Facts(**common, rfr=D(draw(st.integers(0, 200000))), parts=D("2.5"), income_source="dgfip")
    if income == "annual":
        return Facts(**common, annual_resources=D(draw(st.integers(0, 200000))), income_source="caf")
    if income == "monthly":
        return Facts(**common, monthly_resources=draw(qfs), income_source="direct")
    return Facts(**common, income_source="declined")


def same_outcome(grid, facts, quoted, expected=lambda reference: reference):
    """`quoted(parsed, facts)` gives `expected` of the engine's own quote, or fails as it does, with its messages.
    Returns the engine's quote (None when it fails)."""
    parsed = parse_grid(grid)
    try:
        reference = quote(parsed, facts)
    except pricing.PricingError as error:
        with pytest.raises(type(error)) as raised:
            quoted(parsed, facts)
        assert raised.value.messages == error.messages
        return None
    assert quoted(parsed, facts) == expected(reference)
    return reference


@prop
@given(grid=st.sampled_from(ALL_GRIDS), facts=any_facts())
def test_a_quote_without_its_explanation_is_the_same_quote(grid, facts):
    """explain=False (the council comparison) skips the wording only: amount, QF, monthly fee and criteria stay."""
    explained = same_outcome(
        grid,
        facts,
        lambda parsed, facts: quote(parsed, facts, explain=False),
        lambda reference: replace(reference, explanation=()),
    )
    assert explained is None or explained.explanation


def _in_a_batch(parsed, facts):
    with words.batch():
        return quote(parsed, facts)


@prop
@given(grid=st.sampled_from(ALL_GRIDS), facts=any_facts())
def test_a_quote_in_a_batch_is_the_same_quote(grid, facts):
    """words.batch() (the re-quote) translates each word once: the same quote, to the letter."""
    same_outcome(grid, facts, _in_a_batch)
