"""What a household brings to a quote (Facts), what the engine gives back (Quote), and the checks every grid kind
makes on the facts before it uses them."""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from pricing.errors import InvalidFacts, MissingFacts
from pricing.explanation import source_label
from pricing.numbers import machine, parse_decimal
from pricing.words import _

INCOME_SOURCES = ("caf", "msa", "dgfip", "notice", "declined", "withdrawn", "none", "direct", "family")
# Income sources whose quotes quote the household's figures.
WITH_FIGURES = ("caf", "msa", "dgfip", "notice", "direct", "family")
# The grid's income key (pricing.grids.INCOME_KEYS) each source of figures needs: a grid quotes only the income
# its council deliberated on. Sources without a key (typed by support or the family) are always accepted.
SOURCE_KEYS = {"caf": "caf", "msa": "caf", "dgfip": "dgfip", "notice": "notice"}
# Income sources that carry no figure: the highest price applies, and figures given with them are an error.
NO_FIGURES = ("declined", "withdrawn")
# The criteria a quote keeps that come from the household's tax figures (the QF, PSU resources, the children in
# charge and the rate they give): erased with the tax data (cantine.services.dossier_income_erase).
INCOME_CRITERIA = ("qf", "monthly_resources", "resources_used", "children", "rate_children", "rate_percent")


@dataclass(frozen=True)
class Facts:
    """What the household brings; every field optional. Fields a grid kind does not use are ignored."""

    rfr: Decimal | None = None
    parts: Decimal | None = None
    qf: Decimal | None = None  # given directly (tariff_quote --qf, the CAF/MSA QF), skips the formula
    qf_year: int | None = None  # the CAF/MSA QF's month (API Particulier answers the QF of a month)
    qf_month: int | None = None
    income_source: str = "none"  # "caf" / "msa" (API Particulier), "dgfip", "notice", "declined", "withdrawn" (consent withdrawn, figures erased), "none" (no tax data yet), "direct" (typed by support), "family" (typed by the family in the estimator)
    rank: int = 1  # the child's rank among the household's enrolled children
    on: date | None = None  # PSU: the date the barème is read at
    monthly_resources: Decimal | None = None  # PSU: if None, annual_resources / 12, else rfr / 12
    annual_resources: Decimal | None = None  # PSU: the CAF/MSA base ressources annuelles
    resources_year: int | None = None  # PSU: its annee_calcul
    children: int = 1  # PSU: children in the household (charge)
    aeeh: int = 0  # PSU: children with AEEH in the household: +1 child each for the rate
    hours_per_week: Decimal | None = None  # PSU monthly fee (mensualisation), all three or none
    weeks_per_year: Decimal | None = None
    months: Decimal | None = None


@dataclass(frozen=True)
class Quote:
    amount: Decimal  # per unit, rounded to the cent (half up)
    unit: str
    qf: Decimal | None  # when used, rounded to the cent before the lookup
    monthly: Decimal | None  # PSU monthly fee when hours, weeks and months were given
    explanation: tuple[str, ...]
    criteria: dict = field(default_factory=dict)  # JSON-serialisable: Decimals as strings

    def as_json(self) -> dict:
        data = {"amount": machine(self.amount), "unit": self.unit}
        if self.qf is not None:
            data["qf"] = machine(self.qf)
        if self.monthly is not None:
            data["monthly"] = machine(self.monthly)
        data["explanation"] = list(self.explanation)
        data["criteria"] = self.criteria
        return data


def check_income_source(facts: Facts, grid=None):
    if facts.income_source not in INCOME_SOURCES:
        raise InvalidFacts(
            _("Origine des revenus inconnue : « %(value)s ».") % {"value": facts.income_source},
            field="income_source",
        )
    key = SOURCE_KEYS.get(facts.income_source)
    if grid is not None and key is not None and key not in grid.income:
        raise InvalidFacts(
            _("Cette grille n'est pas délibérée sur ces revenus (%(source)s) : sources prévues : %(keys)s.")
            % {
                "source": source_label(facts.income_source),
                "keys": ", ".join(grid.income) or _("aucune (tarif unique)"),
            },
            field="income_source",
        )


def income_figures(facts: Facts, names: tuple[str, ...]) -> bool | None:
    """True when the facts carry income figures this grid uses; None when the household declined or has none
    yet (the highest price applies). Figures next to a refusal are an error, never used nor ignored silently."""
    has_figures = any(getattr(facts, name) is not None for name in names)
    if facts.income_source in NO_FIGURES:
        if has_figures:
            raise InvalidFacts(
                _(
                    "La famille a refusé de communiquer ses revenus : aucun chiffre de revenus ne doit être fourni."
                ),
                field="income_source",
            )
        return None
    if not has_figures:
        if facts.income_source != "none":
            raise MissingFacts(
                _("Des revenus sont annoncés (%(source)s) mais aucun chiffre n'est fourni.")
                % {"source": source_label(facts.income_source)},
                field=names[0],
            )
        return None
    return True


def decimal_fact(value, name: str) -> Decimal:
    try:
        return parse_decimal(value)
    except ValueError as error:
        raise InvalidFacts(str(error), field=name) from error


def whole_fact(value, name: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise InvalidFacts(
            _("Un nombre entier à partir de %(minimum)s est attendu.") % {"minimum": minimum}, field=name
        )
    return value
