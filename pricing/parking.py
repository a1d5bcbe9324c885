"""The resident parking card's tariff, as the commune deliberates it: a price per duration for the household's
first vehicle (and the next ones, up to a maximum), an optional social tariff on the quotient familial, and the
vehicle's environmental class (a reduction, a surcharge, or a refusal of the most polluting classes).

Its JSON:
    {"kind": "parking",
     "prices": {"month": "15", "quarter": "40", "year": "150"},
     "prices_by_rank": {"2": {"month": "30", "quarter": "80", "year": "300"}},   # from that rank on
     "max_vehicles": 2,
     "social": {"qf_up_to": "700", "percent": "-50"},                               # optional
     "income": ["caf", "dgfip"],            # the social tariff's income sources, in the commune's order
     "qf_formula": "rfr/12/parts",          # the fiscal QF, as in the canteen grids
     "environment": {"Euro 1": "refused", "Euro 4": "20", "Euro 6d": "-10"},      # percent, or "refused"
     "environment_default": "0"}                                                     # an unknown class
Pure, like the rest of the engine: the démarche brings the facts, the engine gives the amount and why."""

from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from django.utils.translation import gettext_lazy

from pricing.errors import GridError, InvalidFacts, PricingError
from pricing.explanation import eur, num
from pricing.facts import Quote, check_income_source, income_figures
from pricing.formula import QF_FORMULA_DEFAULT
from pricing.grids import INCOME_DEFAULTS, Errors, parse_formula, parse_income
from pricing.numbers import cent, machine, parse_decimal
from pricing.qf import household_qf
from pricing.words import _

DURATIONS = {
    "month": gettext_lazy("un mois"),
    "quarter": gettext_lazy("un trimestre"),
    "year": gettext_lazy("un an"),
}
REFUSED = "refused"
_KEYS = {
    "kind",
    "prices",
    "prices_by_rank",
    "max_vehicles",
    "social",
    "income",
    "qf_formula",
    "environment",
    "environment_default",
}
# How the explanation names the QF the social tariff compared.
QF_NAMES = {
    "caf": gettext_lazy("quotient familial CAF"),
    "msa": gettext_lazy("quotient familial MSA"),
    "dgfip": gettext_lazy("quotient familial fiscal"),
}


class ParkingRefused(PricingError):
    """The commune's deliberation gives no card for this vehicle (its class is refused, or the household has
    reached the maximum of vehicles)."""


@dataclass(frozen=True)
class ParkingGrid:
    prices: dict  # duration -> Decimal, for the first vehicle
    prices_by_rank: tuple[tuple[int, dict], ...] = ()  # (from rank, duration -> Decimal), ranks ascending
    max_vehicles: int = 1
    social_qf_up_to: Decimal | None = None
    social_percent: Decimal | None = None  # negative: a reduction
    environment: tuple[tuple[str, str | Decimal], ...] = ()  # class code -> percent or "refused"
    environment_default: str | Decimal = Decimal(0)
    income: tuple[str, ...] = ()  # the social tariff's income sources (pricing.grids.INCOME_KEYS but notice)
    qf_formula: str = QF_FORMULA_DEFAULT
    kind: ClassVar[str] = "parking"

    @property
    def has_social_tariff(self) -> bool:
        return self.social_qf_up_to is not None

    def rule_for(self, environmental_class: str) -> str | Decimal:
        wanted = environmental_class.strip().casefold()
        for code, rule in self.environment:
            if code.casefold() == wanted:
                return rule
        return self.environment_default


@dataclass(frozen=True)
class ParkingFacts:
    """The income fields read as pricing.Facts's (household_qf reads them): the CAF or MSA QF of a month, or the
    RFR and parts the grid's formula turns into a QF. `show_figures` False words the social line without them
    (the resident's identity is not established: figures by numéro fiscal or by identity are never shown)."""

    duration: str
    rank: int = 1  # the vehicle's rank among the household's valid cards, this one included
    environmental_class: str = ""  # the ANTS code (« Euro 6d »), empty when unknown
    income_source: str = (
        "none"  # "caf", "msa", "dgfip"; "none": not shared (the social tariff does not apply)
    )
    qf: Decimal | None = None
    qf_year: int | None = None
    qf_month: int | None = None
    rfr: Decimal | None = None
    parts: Decimal | None = None
    show_figures: bool = True


def _percent_rule(value, path: str, errors: dict) -> str | Decimal | None:
    if value == REFUSED:
        return REFUSED
    try:
        number = parse_decimal(value)
    except ValueError as error:
        errors.setdefault(path, []).append(str(error))
        return None
    if number < -100:
        errors.setdefault(path, []).append(_("Une réduction ne peut pas dépasser 100 %."))
        return None
    return number


def _prices(value, path: str, errors: dict) -> dict:
    if not isinstance(value, dict) or not value:
        errors.setdefault(path, []).append(_("Indiquez au moins un prix par durée (month, quarter, year)."))
        return {}
    prices = {}
    for duration, price in value.items():
        if duration not in DURATIONS:
            errors.setdefault(f"{path}.{duration}", []).append(
                _("Durée inconnue : « %(value)s » (month, quarter ou year).") % {"value": duration}
            )
            continue
        try:
            prices[duration] = cent(parse_decimal(price))
        except ValueError as error:
            errors.setdefault(f"{path}.{duration}", []).append(str(error))
            continue
        if prices[duration] < 0:
            errors.setdefault(f"{path}.{duration}", []).append(_("Un prix ne peut pas être négatif."))
    return prices


def parse_parking_grid(data: dict) -> ParkingGrid:
    """Every faulty field at once, in French, as parse_grid does for the other kinds."""
    errors: dict[str, list[str]] = {}
    if not isinstance(data, dict) or data.get("kind") != "parking":
        raise GridError(_("Une grille de stationnement a pour type « parking »."), field="kind")
    for key in sorted(set(data) - _KEYS):
        errors.setdefault(key, []).append(_("Champ inconnu : « %(key)s ».") % {"key": key})
    prices = _prices(data.get("prices"), "prices", errors)
    by_rank = []
    for rank, rank_prices in sorted(
        (data.get("prices_by_rank") or {}).items(), key=lambda item: str(item[0])
    ):
        if not str(rank).isdigit() or int(rank) < 2:
            errors.setdefault(f"prices_by_rank.{rank}", []).append(
                _("Un rang de véhicule à partir de 2 est attendu.")
            )
            continue
        parsed = _prices(rank_prices, f"prices_by_rank.{rank}", errors)
        if set(parsed) - set(prices):
            errors.setdefault(f"prices_by_rank.{rank}", []).append(
                _("Chaque durée d'un rang doit avoir un prix pour le premier véhicule.")
            )
        by_rank.append((int(rank), parsed))
    maximum = data.get("max_vehicles", 1)
    if isinstance(maximum, bool) or not isinstance(maximum, int) or maximum < 1:
        errors.setdefault("max_vehicles", []).append(
            _("Un nombre entier de véhicules, au moins 1, est attendu.")
        )
        maximum = 1
    social = data.get("social")
    qf_up_to = social_percent = None
    if social is not None:
        if not isinstance(social, dict) or {"qf_up_to", "percent"} - set(social):
            errors.setdefault("social", []).append(_("Le tarif social indique qf_up_to et percent."))
        else:
            try:
                qf_up_to = parse_decimal(social["qf_up_to"])
            except ValueError as error:
                errors.setdefault("social.qf_up_to", []).append(str(error))
            social_percent = _percent_rule(social["percent"], "social.percent", errors)
            if social_percent == REFUSED:
                errors.setdefault("social.percent", []).append(_("Le tarif social est un pourcentage."))
    shared = Errors()
    income = parse_income(
        {"income": data.get("income", list(INCOME_DEFAULTS["parking"] if social is not None else ()))},
        "parking",
        shared,
    )
    formula = parse_formula(data, shared)
    for path, messages in shared.messages.items():
        errors.setdefault(path, []).extend(messages)
    if social is not None and not income and "income" not in shared.messages:
        errors.setdefault("income", []).append(
            _("Le tarif social a besoin d'au moins une source de revenus : caf ou dgfip.")
        )
    if social is None and income:
        errors.setdefault("income", []).append(
            _(
                "Les sources de revenus ne servent qu'au tarif social : indiquez « social », ou retirez « income »."
            )
        )
    environment = []
    for code, rule in (data.get("environment") or {}).items():
        parsed = _percent_rule(rule, f"environment.{code}", errors)
        if parsed is not None:
            environment.append((str(code), parsed))
    default = _percent_rule(data.get("environment_default", "0"), "environment_default", errors)
    if errors:
        raise GridError(errors=errors)
    return ParkingGrid(
        prices=prices,
        prices_by_rank=tuple(sorted(by_rank)),
        max_vehicles=maximum,
        social_qf_up_to=qf_up_to,
        social_percent=social_percent,
        environment=tuple(environment),
        environment_default=default if default is not None else Decimal(0),
        income=income if social is not None else (),
        qf_formula=formula,
    )


def _adjusted(amount: Decimal, percent: Decimal) -> Decimal:
    return cent(amount * (100 + percent) / 100)


def parking_quote(grid: ParkingGrid, facts: ParkingFacts) -> Quote:
    """The card's amount for the duration and why, line by line; ParkingRefused when no card can be issued."""
    if facts.duration not in grid.prices:
        raise InvalidFacts(
            _("La commune ne délivre pas de carte pour %(duration)s.")
            % {"duration": DURATIONS.get(facts.duration, facts.duration)},
            field="duration",
        )
    if facts.rank < 1:
        raise InvalidFacts(_("Le rang du véhicule commence à 1."), field="rank")
    if facts.rank > grid.max_vehicles:
        raise ParkingRefused(
            _(
                "La commune délivre au plus %(max)s carte(s) résident par foyer : ce véhicule serait le %(rank)se."
            )
            % {"max": grid.max_vehicles, "rank": facts.rank},
            field="rank",
        )
    rule = grid.rule_for(facts.environmental_class)
    class_label = facts.environmental_class or _("inconnue")
    if rule == REFUSED:
        raise ParkingRefused(
            _("La délibération de la commune exclut les véhicules de classe environnementale %(class)s.")
            % {"class": class_label},
            field="environmental_class",
        )
    prices, from_rank = grid.prices, None
    for rank, rank_prices in grid.prices_by_rank:
        if rank <= facts.rank and facts.duration in rank_prices:
            prices, from_rank = rank_prices, rank
    amount = prices[facts.duration]
    duration = DURATIONS[facts.duration]
    if from_rank is None:
        lines = [_("Carte résident pour %(duration)s, premier véhicule du foyer : %(price)s.")]
    else:
        lines = [
            _(
                "Carte résident pour %(duration)s, véhicule n° %(rank)s du foyer (tarif à partir du %(from)se) : %(price)s."
            )
        ]
    lines = [lines[0] % {"duration": duration, "rank": facts.rank, "from": from_rank, "price": eur(amount)}]
    criteria = {
        "duration": facts.duration,
        "rank": facts.rank,
        "environmental_class": facts.environmental_class,
    }
    qf = None
    if grid.has_social_tariff:
        qf, amount = _social(grid, facts, amount, lines, criteria)
    if rule:
        amount = _adjusted(amount, rule)
        word = _("majoration") if rule > 0 else _("réduction")
        lines.append(
            _("Classe environnementale %(class)s : %(word)s de %(percent)s %% : %(price)s.")
            % {
                "class": class_label,
                "word": word,
                "percent": num(abs(rule).normalize()),
                "price": eur(amount),
            }
        )
    lines.append(
        _("Montant de la carte : %(price)s pour %(duration)s.") % {"price": eur(amount), "duration": duration}
    )
    return Quote(
        amount=amount, unit=facts.duration, qf=qf, monthly=None, explanation=tuple(lines), criteria=criteria
    )


def _social(grid: ParkingGrid, facts: ParkingFacts, amount: Decimal, lines: list, criteria: dict):
    """The social tariff's lines: the QF (shared engine, household_qf) against the limit, or why it does not apply."""
    check_income_source(facts, grid)
    criteria["income_source"] = facts.income_source
    if income_figures(facts, ("rfr", "parts", "qf")) is None:
        lines.append(
            _(
                "Tarif social : vos revenus n'ont pas été communiqués, le tarif social ne s'applique pas (plein tarif)."
            )
        )
        return None, amount
    qf = household_qf(grid.qf_formula, facts, [] if not facts.show_figures else lines)
    name = QF_NAMES.get(facts.income_source, _("quotient familial"))
    criteria["social"] = qf <= grid.social_qf_up_to
    values = {
        "name": name,
        "qf": eur(qf),
        "limit": eur(cent(grid.social_qf_up_to)),
        "percent": num(grid.social_percent.normalize()),
    }
    if criteria["social"]:
        amount = _adjusted(amount, grid.social_percent)
        values["price"] = eur(amount)
        text = (
            _("Tarif social : %(name)s de %(qf)s ≤ %(limit)s, %(percent)s %% : %(price)s.")
            if facts.show_figures
            else _(
                "Tarif social : d'après les revenus transmis, votre %(name)s est au plus %(limit)s, %(percent)s %% : %(price)s."
            )
        )
    else:
        text = (
            _("Tarif social : %(name)s de %(qf)s > %(limit)s, il ne s'applique pas.")
            if facts.show_figures
            else _(
                "Tarif social : d'après les revenus transmis, votre %(name)s dépasse %(limit)s, il ne s'applique pas."
            )
        )
    lines.append(text % values)
    return (qf if facts.show_figures else None), amount


def parking_grid_to_json(grid: ParkingGrid) -> dict:
    data = {
        "kind": "parking",
        "prices": {duration: machine(price) for duration, price in grid.prices.items()},
        "max_vehicles": grid.max_vehicles,
    }
    if grid.prices_by_rank:
        data["prices_by_rank"] = {
            str(rank): {duration: machine(price) for duration, price in prices.items()}
            for rank, prices in grid.prices_by_rank
        }
    if grid.social_qf_up_to is not None:
        data["social"] = {"qf_up_to": machine(grid.social_qf_up_to), "percent": machine(grid.social_percent)}
        data["income"] = list(grid.income)
    if grid.qf_formula != QF_FORMULA_DEFAULT:
        data["qf_formula"] = grid.qf_formula
    if grid.environment:
        data["environment"] = {
            code: rule if rule == REFUSED else machine(rule) for code, rule in grid.environment
        }
    default = grid.environment_default
    data["environment_default"] = default if default == REFUSED else machine(default)
    return data
