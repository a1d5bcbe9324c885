"""The tariff engine: a grid and what a household brings give a price and the reasons for it, in words a family
can check with a pencil. Pure: no database, no request, so the estimator, the dossier and `tariff_quote` agree
to the cent. Errors are PricingError's tree (pricing.errors); the Django edge turns them into form errors.

Conventions (shared/reference/tariffs.md): Decimal everywhere; the QF and PSU monthly resources are rounded to
the cent (half up) before they are looked up; a price or hourly rate is rounded to the cent (half up); a PSU
monthly fee is computed from the rounded hourly rate, then rounded to the cent."""

from pricing.bareme import ESTABLISHMENT_LABELS, ESTABLISHMENTS, SHIPPED, Bareme, EffortRate, ResourceLimits
from pricing.eligibility import CANTINE_A_1_EURO_QF_RULE_FROM, cantine_a_1_euro, highest_price
from pricing.errors import (
    BaremeError,
    FactsError,
    FormulaError,
    GridError,
    InvalidFacts,
    MissingFacts,
    PricingError,
)
from pricing.explanation import bracket_range, criteria_words, lower_bound, month_label, monthly_fee_line
from pricing.facts import INCOME_CRITERIA, INCOME_SOURCES, NO_FIGURES, SOURCE_KEYS, WITH_FIGURES, Facts, Quote
from pricing.formula import QF_FORMULA_DEFAULT
from pricing.grids import (
    INCOME_DEFAULTS,
    INCOME_KEYS,
    INCOME_LABELS,
    KINDS,
    UNITS,
    Bracket,
    BracketsGrid,
    EffortRateGrid,
    Grid,
    PsuGrid,
    grid_to_json,
    parse_grid,
)
from pricing.numbers import CENT, parse_decimal
from pricing.quoting import quote

__all__ = [
    "CANTINE_A_1_EURO_QF_RULE_FROM",
    "CENT",
    "ESTABLISHMENTS",
    "ESTABLISHMENT_LABELS",
    "INCOME_CRITERIA",
    "INCOME_DEFAULTS",
    "INCOME_KEYS",
    "INCOME_LABELS",
    "INCOME_SOURCES",
    "KINDS",
    "NO_FIGURES",
    "QF_FORMULA_DEFAULT",
    "SHIPPED",
    "SOURCE_KEYS",
    "UNITS",
    "WITH_FIGURES",
    "Bareme",
    "BaremeError",
    "Bracket",
    "BracketsGrid",
    "EffortRate",
    "EffortRateGrid",
    "Facts",
    "FactsError",
    "FormulaError",
    "Grid",
    "GridError",
    "InvalidFacts",
    "MissingFacts",
    "PricingError",
    "PsuGrid",
    "Quote",
    "ResourceLimits",
    "bracket_range",
    "cantine_a_1_euro",
    "criteria_words",
    "grid_to_json",
    "highest_price",
    "lower_bound",
    "month_label",
    "monthly_fee_line",
    "parse_decimal",
    "parse_grid",
    "quote",
]
