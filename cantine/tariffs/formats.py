"""Amounts and units as the estimator and the council comparison print them."""

from decimal import Decimal

import pricing
from portal import formats


def unit_label(unit: str) -> str:
    return str(pricing.UNITS.get(unit, unit))


def euros(value: Decimal) -> str:
    """« 1 234,50 € », as the pages print amounts (portal.formats.euros)."""
    return formats.euros(value)


def signed_euros(value: Decimal) -> str:
    """« +12,50 € », « −3,00 € », « 0,00 € »: a change reads with its sign."""
    if value > 0:
        return f"+{euros(value)}"
    if value < 0:
        return f"\u2212{euros(-value)}"
    return euros(value)
