"""Amounts and units as the estimator and the council comparison print them."""

from decimal import Decimal

from django.utils.formats import number_format

import pricing


def unit_label(unit: str) -> str:
    return str(pricing.UNITS.get(unit, unit))


def euros(value: Decimal) -> str:
    """« 1 234,50 € », as the pages print amounts."""
    return f"{number_format(value, decimal_pos=2, force_grouping=True)}\u00a0€"


def signed_euros(value: Decimal) -> str:
    """« +12,50 € », « −3,00 € », « 0,00 € »: a change reads with its sign."""
    if value > 0:
        return f"+{euros(value)}"
    if value < 0:
        return f"\u2212{euros(-value)}"
    return euros(value)
