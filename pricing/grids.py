"""Tariff grids: their dataclasses, and their JSON (the admin's import/export format) read with a French message
for every faulty field, and written back."""

import dataclasses
from dataclasses import dataclass
from decimal import Decimal
from typing import ClassVar

from django.utils.translation import gettext_lazy

from pricing.bareme import ESTABLISHMENTS
from pricing.errors import FormulaError, GridError
from pricing.explanation import num
from pricing.formula import QF_FORMULA_DEFAULT, Formula
from pricing.numbers import machine, parse_decimal
from pricing.words import _

KINDS = ("brackets", "effort_rate", "psu")
# Where a grid's income may come from, as the council deliberated it, in the commune's order of fallback:
# caf = the CAF or MSA quotient familial (or, for a crèche, the PSU resources) through API Particulier;
# dgfip = the fiscal QF (RFR, parts) from API Impôt particulier; notice = a notice an agent reads. The highest
# price is always the last resort; [] means a flat price on no income.
INCOME_KEYS = ("caf", "dgfip", "notice")
INCOME_LABELS = {
    "caf": gettext_lazy("quotient familial de la CAF ou de la MSA (API Particulier)"),
    "dgfip": gettext_lazy("quotient fiscal de la DGFiP (API Impôt particulier)"),
    "notice": gettext_lazy("avis d'imposition lu par un agent"),
}
# Today's behaviour when a grid does not say: canteen grids on the DGFiP then the notice; crèche (PSU) grids on
# the CAF or MSA resources then the notice (DGFiP data may not be used for a crèche, the State's guide says).
INCOME_DEFAULTS = {
    "brackets": ("dgfip", "notice"),
    "effort_rate": ("dgfip", "notice"),
    "psu": ("caf", "notice"),
    # The resident parking card's social tariff (pricing.parking): the DGFiP call that gives the address can give
    # RFR and parts too; no notice path (the reduction is optional, never a document to read).
    "parking": ("dgfip",),
}
# The unit a price is for, and how a family reads it after an amount.
UNITS = {
    "meal": gettext_lazy("par repas"),
    "hour": gettext_lazy("de l'heure"),
    "day": gettext_lazy("par jour"),
    "half_day": gettext_lazy("par demi-journée"),
    "session": gettext_lazy("par séance"),
    "month": gettext_lazy("par mois"),
}

_KIND_KEYS = {
    "brackets": {"kind", "qf_formula", "unit", "brackets", "income"},
    "effort_rate": {"kind", "qf_formula", "unit", "rate_percent", "min", "max", "income"},
    "psu": {"kind", "unit", "establishment", "ceiling_lifted", "income"},
}
_BRACKET_KEYS = {"up_to", "price", "price_by_rank"}


@dataclass(frozen=True)
class Bracket:
    up_to: Decimal | None  # inclusive upper bound of the QF, None for the last, open-ended bracket
    price: Decimal
    price_by_rank: tuple[tuple[int, Decimal], ...] = ()  # (from rank, price), ranks ascending

    def price_for(self, rank: int) -> tuple[Decimal, int | None]:
        """The price for a child of that rank, and the rank the reduced price starts from (None: base price).
        {"3": "1.58"} applies to the 3rd child and every one after."""
        chosen = None
        for from_rank, price in self.price_by_rank:
            if from_rank <= rank:
                chosen = (price, from_rank)
        return chosen or (self.price, None)


@dataclass(frozen=True)
class BracketsGrid:
    brackets: tuple[Bracket, ...]
    qf_formula: str = QF_FORMULA_DEFAULT
    unit: str = "meal"
    income: tuple[str, ...] = INCOME_DEFAULTS["brackets"]
    kind: ClassVar[str] = "brackets"


@dataclass(frozen=True)
class EffortRateGrid:
    rate_percent: Decimal  # price = rate_percent / 100 × QF
    minimum: Decimal
    maximum: Decimal
    qf_formula: str = QF_FORMULA_DEFAULT
    unit: str = "meal"
    income: tuple[str, ...] = INCOME_DEFAULTS["effort_rate"]
    kind: ClassVar[str] = "effort_rate"


@dataclass(frozen=True)
class PsuGrid:
    establishment: str  # one of pricing.bareme.ESTABLISHMENTS
    ceiling_lifted: bool = False  # déplafonnement: the rate applies to resources above the CNAF ceiling
    unit: str = "hour"
    income: tuple[str, ...] = INCOME_DEFAULTS["psu"]
    kind: ClassVar[str] = "psu"


Grid = BracketsGrid | EffortRateGrid | PsuGrid


class Errors:
    """Collects every message of a grid at once, keyed by its field path ("brackets.2.price")."""

    def __init__(self):
        self.messages: dict[str, list[str]] = {}

    def add(self, path: str, *messages: str):
        self.messages.setdefault(path, []).extend(messages)

    def number(self, data: dict, key: str, path: str, *, required=True, label: str) -> Decimal | None:
        if data.get(key) is None:
            if required:
                self.add(path, _("%(label)s est obligatoire.") % {"label": label})
            return None
        try:
            number = parse_decimal(data[key])
        except ValueError as error:
            self.add(path, f"{label} : {error}")
            return None
        if number < 0:
            self.add(path, _("%(label)s ne peut pas être négatif.") % {"label": label})
            return None
        return number

    def raise_if_any(self):
        if self.messages:
            raise GridError(errors=self.messages)


def parse_grid(data: dict) -> Grid:
    """A grid from its JSON (the admin's import/export format), or GridError naming every faulty field: an agent
    fixes all of them in one go."""
    errors = Errors()
    if not isinstance(data, dict):
        raise GridError(_("La grille doit être un objet JSON ({…})."))
    kind = data.get("kind")
    if kind not in KINDS:
        errors.add(
            "kind",
            _(
                "Type de grille inconnu : « %(kind)s ». Types possibles : brackets (tranches de QF), effort_rate (taux d'effort), psu (barème CNAF des crèches)."
            )
            % {"kind": kind if kind is not None else ""},
        )
        errors.raise_if_any()
    for key in data:
        if key not in _KIND_KEYS[kind]:
            errors.add(
                str(key),
                _("Clé inconnue pour une grille « %(kind)s » ; clés possibles : %(keys)s.")
                % {"kind": kind, "keys": ", ".join(sorted(_KIND_KEYS[kind]))},
            )
    unit = _parse_unit(data, kind, errors)
    income = parse_income(data, kind, errors)
    if kind == "psu":
        grid = _parse_psu(data, unit, errors)
    else:
        formula = parse_formula(data, errors)
        if kind == "brackets":
            grid = _parse_brackets(data, formula, unit, errors)
        else:
            grid = _parse_effort_rate(data, formula, unit, errors)
    errors.raise_if_any()
    return dataclasses.replace(grid, income=income)


def parse_income(data, kind, errors: Errors) -> tuple[str, ...]:
    """The income sources the grid is deliberated on, in the commune's order of fallback."""
    default = INCOME_DEFAULTS[kind]
    value = data.get("income", list(default))
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        errors.add(
            "income",
            _(
                'Les sources de revenus sont une liste, par exemple ["caf", "dgfip", "notice"] (ou [] : aucune).'
            ),
        )
        return default
    found = []
    for item in value:
        if item not in INCOME_KEYS:
            errors.add(
                "income",
                _(
                    "Source de revenus inconnue : « %(value)s ». Sources possibles : caf (quotient familial CAF ou MSA), dgfip (quotient fiscal), notice (avis d'imposition lu par un agent)."
                )
                % {"value": item},
            )
        elif item in found:
            errors.add("income", _("La source « %(value)s » est indiquée deux fois.") % {"value": item})
        else:
            found.append(item)
    if kind == "psu" and "dgfip" in found:
        errors.add(
            "income",
            _(
                "Les données de la DGFiP ne doivent pas servir au calcul des participations familiales en crèche "
                "(guide de l'État, API Impôt particulier) : utilisez caf (ressources de la CAF ou de la MSA) et "
                "notice (avis d'imposition N-2 lu par un agent)."
            ),
        )
        found.remove("dgfip")
    if kind == "parking" and "notice" in found:
        errors.add(
            "income",
            _(
                "Le tarif social du stationnement se fonde sur caf (quotient familial CAF ou MSA) ou dgfip (quotient "
                "fiscal) : aucun avis d'imposition n'est lu pour une carte résident."
            ),
        )
        found.remove("notice")
    return tuple(found)


def _parse_unit(data, kind, errors) -> str:
    default = "hour" if kind == "psu" else "meal"
    unit = data.get("unit", default)
    if not isinstance(unit, str):
        errors.add("unit", _("L'unité doit être un texte, par exemple « meal »."))
        unit = default
    elif kind == "psu" and unit != "hour":
        errors.add("unit", _("Le barème PSU est toujours un tarif horaire : unit doit valoir « hour »."))
    elif unit not in UNITS:
        errors.add(
            "unit",
            _("Unité inconnue : « %(unit)s ». Unités possibles : %(units)s.")
            % {"unit": unit, "units": ", ".join(UNITS)},
        )
    return unit


def parse_formula(data, errors: Errors) -> str:
    formula = data.get("qf_formula", QF_FORMULA_DEFAULT)
    if not isinstance(formula, str):
        errors.add("qf_formula", _("La formule du QF doit être un texte, par exemple « rfr/12/parts »."))
        return QF_FORMULA_DEFAULT
    try:
        return Formula.parse(formula).text
    except FormulaError as error:
        errors.add("qf_formula", *error.messages)
        return QF_FORMULA_DEFAULT


def _parse_brackets(data, formula, unit, errors) -> BracketsGrid:
    items = data.get("brackets")
    if not isinstance(items, list) or not items:
        errors.add("brackets", _("Indiquez au moins une tranche (une liste « brackets »)."))
        return BracketsGrid(brackets=(), qf_formula=formula, unit=unit)
    brackets = []
    previous = None
    for index, item in enumerate(items):
        path = f"brackets.{index}"
        number = index + 1
        if not isinstance(item, dict):
            errors.add(path, _("La tranche %(n)s doit être un objet JSON ({…}).") % {"n": number})
            continue
        for key in item:
            if key not in _BRACKET_KEYS:
                errors.add(
                    f"{path}.{key}",
                    _("Clé inconnue dans la tranche %(n)s ; clés possibles : price, price_by_rank, up_to.")
                    % {"n": number},
                )
        last = index == len(items) - 1
        up_to = errors.number(
            item, "up_to", f"{path}.up_to", required=False, label=_("Le QF maximal de la tranche")
        )
        if item.get("up_to") is None and not last:
            errors.add(
                f"{path}.up_to",
                _(
                    "Seule la dernière tranche est sans borne haute : indiquez le QF maximal de la tranche %(n)s."
                )
                % {"n": number},
            )
        if up_to is not None and previous is not None and up_to <= previous:
            errors.add(
                f"{path}.up_to",
                _(
                    "Les bornes doivent être croissantes : la tranche %(n)s s'arrête à %(up_to)s, ce qui n'est pas au-dessus de la borne précédente (%(previous)s)."
                )
                % {"n": number, "up_to": num(up_to), "previous": num(previous)},
            )
        if up_to is not None:
            previous = up_to if previous is None else max(previous, up_to)
        price = errors.number(item, "price", f"{path}.price", label=_("Le prix"))
        by_rank = _parse_price_by_rank(item.get("price_by_rank"), f"{path}.price_by_rank", errors)
        brackets.append(Bracket(up_to=up_to, price=price, price_by_rank=by_rank))
    if isinstance(items[-1], dict) and items[-1].get("up_to") is not None:
        errors.add(
            "brackets",
            _(
                "La dernière tranche doit être sans borne haute (« up_to »: null) : elle couvre tous les QF au-delà de la précédente."
            ),
        )
    return BracketsGrid(brackets=tuple(brackets), qf_formula=formula, unit=unit)


def _parse_price_by_rank(value, path, errors) -> tuple[tuple[int, Decimal], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        errors.add(path, _('Les prix par rang doivent être un objet, par exemple {"3": "1.58"}.'))
        return ()
    prices = []
    for key in value:
        rank = None
        if isinstance(key, str) and key.strip().isdigit():
            rank = int(key)
        if rank is not None and rank in dict(prices):
            errors.add(path, _("Le rang %(rank)s est indiqué deux fois.") % {"rank": rank})
            continue
        if rank is None or rank < 2:
            errors.add(
                path,
                _(
                    "« %(key)s » n'est pas un rang d'enfant valide : un nombre entier à partir de 2 (3 pour « à partir du 3e enfant »)."
                )
                % {"key": key},
            )
            continue
        price = errors.number(
            value, key, f"{path}.{rank}", label=_("Le prix à partir du rang %(rank)s") % {"rank": rank}
        )
        if price is not None:
            prices.append((rank, price))
    return tuple(sorted(prices))


def _parse_effort_rate(data, formula, unit, errors) -> EffortRateGrid:
    rate = errors.number(data, "rate_percent", "rate_percent", label=_("Le taux d'effort"))
    minimum = errors.number(data, "min", "min", label=_("Le tarif minimum"))
    maximum = errors.number(data, "max", "max", label=_("Le tarif maximum"))
    if minimum is not None and maximum is not None and minimum > maximum:
        errors.add(
            "min",
            _("Le tarif minimum (%(min)s) doit être inférieur ou égal au tarif maximum (%(max)s).")
            % {"min": num(minimum), "max": num(maximum)},
        )
    return EffortRateGrid(rate_percent=rate, minimum=minimum, maximum=maximum, qf_formula=formula, unit=unit)


def _parse_psu(data, unit, errors) -> PsuGrid:
    establishment = data.get("establishment")
    if establishment not in ESTABLISHMENTS:
        errors.add(
            "establishment",
            _(
                "Type d'établissement inconnu : « %(value)s ». Types possibles : collective (crèche collective), family (crèche familiale ou parentale), micro (micro-crèche PSU)."
            )
            % {"value": establishment if establishment is not None else ""},
        )
    lifted = data.get("ceiling_lifted", False)
    if not isinstance(lifted, bool):
        errors.add("ceiling_lifted", _("ceiling_lifted vaut true (déplafonnement) ou false."))
        lifted = False
    return PsuGrid(establishment=establishment, ceiling_lifted=lifted, unit=unit)


def grid_to_json(grid: Grid) -> dict:
    """The import/export JSON of a grid; parse_grid(grid_to_json(grid)) == grid. The income sources are written
    only when they are not the kind's default."""
    data = _grid_to_json(grid)
    if grid.income != INCOME_DEFAULTS[grid.kind]:
        data["income"] = list(grid.income)
    return data


def _grid_to_json(grid: Grid) -> dict:
    if isinstance(grid, PsuGrid):
        return {"kind": "psu", "establishment": grid.establishment, "ceiling_lifted": grid.ceiling_lifted}
    if isinstance(grid, EffortRateGrid):
        return {
            "kind": "effort_rate",
            "qf_formula": grid.qf_formula,
            "unit": grid.unit,
            "rate_percent": machine(grid.rate_percent),
            "min": machine(grid.minimum),
            "max": machine(grid.maximum),
        }
    brackets = []
    for bracket in grid.brackets:
        item = {
            "up_to": machine(bracket.up_to) if bracket.up_to is not None else None,
            "price": machine(bracket.price),
        }
        if bracket.price_by_rank:
            item["price_by_rank"] = {str(rank): machine(price) for rank, price in bracket.price_by_rank}
        brackets.append(item)
    return {"kind": "brackets", "qf_formula": grid.qf_formula, "unit": grid.unit, "brackets": brackets}
