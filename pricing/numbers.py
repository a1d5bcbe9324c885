"""Numbers in and out of the engine: Decimal everywhere, rounded to the cent half up, written without exponent."""

import re
from decimal import ROUND_HALF_UP, Decimal

from pricing.words import _

CENT = Decimal("0.01")
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


def parse_decimal(value) -> Decimal:
    """A number from JSON or a form: "3.50", "3,50", "1 370" or a JSON number. ValueError with a French
    message otherwise: no exponents, no NaN, nothing a typo could turn into a price."""
    if isinstance(value, bool) or value is None:
        raise ValueError(_("Un nombre est attendu (par exemple 3.50 ou 3,50)."))
    if isinstance(value, int):
        return Decimal(value)
    if isinstance(value, float):
        value = repr(value)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(_("Un nombre est attendu (par exemple 3.50 ou 3,50)."))
        return value
    if not isinstance(value, str):
        raise ValueError(_("Un nombre est attendu (par exemple 3.50 ou 3,50)."))
    text = re.sub(r"[\s\u00a0\u202f]", "", value)
    if text.count(",") == 1 and "." not in text:
        text = text.replace(",", ".")
    if not _NUMBER.fullmatch(text) or len(text) > 20:
        raise ValueError(
            _("« %(value)s » n'est pas un nombre (par exemple 3.50 ou 3,50).") % {"value": value[:40]}
        )
    return Decimal(text)


def cent(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def machine(value: Decimal) -> str:
    """Machine form, as in the JSON examples of the issue: "0.13", never an exponent."""
    return format(value, "f")
