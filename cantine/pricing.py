"""The tariff engine: a grid and what a household brings give a price and the reasons for it, in words a family
can check with a pencil. Pure: no database, so the simulators, the dossier and `tariff_quote` agree to the cent.

Conventions (shared/reference/tariffs.md): Decimal everywhere; the QF and PSU monthly resources are rounded to
the cent (half up) before they are looked up; a price or hourly rate is rounded to the cent (half up); a PSU
monthly fee is computed from the rounded hourly rate, then rounded to the cent."""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_FLOOR, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import ClassVar

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from cantine import psu_bareme
from cantine.psu_bareme import ESTABLISHMENTS, Bareme

KINDS = ("brackets", "effort_rate", "psu")
QF_FORMULA_DEFAULT = "rfr/12/parts"
INCOME_SOURCES = ("dgfip", "notice", "declined", "withdrawn", "none", "direct", "family")
# Income sources whose quotes quote the household's figures.
WITH_FIGURES = ("dgfip", "notice", "direct", "family")
# Income sources that carry no figure: the highest price applies, and figures given with them are an error.
NO_FIGURES = ("declined", "withdrawn")
# The criteria a quote keeps that come from the household's tax figures (the QF, PSU resources, the children in
# charge and the rate they give): erased with the tax data (cantine.services.dossier_income_erase).
INCOME_CRITERIA = ("qf", "monthly_resources", "resources_used", "children", "rate_children", "rate_percent")
# The unit a price is for, and how a family reads it after an amount.
UNITS = {
    "meal": gettext_lazy("par repas"),
    "hour": gettext_lazy("de l'heure"),
    "day": gettext_lazy("par jour"),
    "half_day": gettext_lazy("par demi-journée"),
    "session": gettext_lazy("par séance"),
    "month": gettext_lazy("par mois"),
}
CENT = Decimal("0.01")
CANTINE_A_1_EURO_QF_RULE_FROM = date(2022, 8, 1)  # agreements signed from then: ≤ 1 € for every QF ≤ 1000

_KIND_KEYS = {
    "brackets": {"kind", "qf_formula", "unit", "brackets"},
    "effort_rate": {"kind", "qf_formula", "unit", "rate_percent", "min", "max"},
    "psu": {"kind", "unit", "establishment", "ceiling_lifted"},
}
_BRACKET_KEYS = {"up_to", "price", "price_by_rank"}
_NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)")


# ---------------------------------------------------------------------------------------------------------------
# Grids


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
    kind: ClassVar[str] = "brackets"


@dataclass(frozen=True)
class EffortRateGrid:
    rate_percent: Decimal  # price = rate_percent / 100 × QF
    minimum: Decimal
    maximum: Decimal
    qf_formula: str = QF_FORMULA_DEFAULT
    unit: str = "meal"
    kind: ClassVar[str] = "effort_rate"


@dataclass(frozen=True)
class PsuGrid:
    establishment: str  # one of psu_bareme.ESTABLISHMENTS
    ceiling_lifted: bool = False  # déplafonnement: the rate applies to resources above the CNAF ceiling
    unit: str = "hour"
    kind: ClassVar[str] = "psu"


Grid = BracketsGrid | EffortRateGrid | PsuGrid


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


class _Errors:
    """Collects every message of a grid at once, keyed by its field path ("brackets.2.price")."""

    def __init__(self):
        self.messages: dict[str, list[str]] = {}

    def add(self, path: str, message: str):
        self.messages.setdefault(path, []).append(message)

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
            raise ValidationError(self.messages)


def parse_grid(data: dict) -> Grid:
    """A grid from its JSON (the admin's import/export format), or ValidationError whose message_dict names
    every faulty field: an agent fixes all of them in one go."""
    errors = _Errors()
    if not isinstance(data, dict):
        raise ValidationError({NON_FIELD_ERRORS: [_("La grille doit être un objet JSON ({…}).")]})
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
    if kind == "psu":
        grid = _parse_psu(data, unit, errors)
    else:
        formula = _parse_formula(data, errors)
        if kind == "brackets":
            grid = _parse_brackets(data, formula, unit, errors)
        else:
            grid = _parse_effort_rate(data, formula, unit, errors)
    errors.raise_if_any()
    return grid


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


def _parse_formula(data, errors) -> str:
    formula = data.get("qf_formula", QF_FORMULA_DEFAULT)
    if not isinstance(formula, str):
        errors.add("qf_formula", _("La formule du QF doit être un texte, par exemple « rfr/12/parts »."))
        return QF_FORMULA_DEFAULT
    try:
        return _Formula.parse(formula).text
    except ValueError as error:
        errors.add("qf_formula", str(error))
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
                % {"n": number, "up_to": _num(up_to), "previous": _num(previous)},
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
            % {"min": _num(minimum), "max": _num(maximum)},
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
    """The import/export JSON of a grid; parse_grid(grid_to_json(grid)) == grid."""
    if isinstance(grid, PsuGrid):
        return {"kind": "psu", "establishment": grid.establishment, "ceiling_lifted": grid.ceiling_lifted}
    if isinstance(grid, EffortRateGrid):
        return {
            "kind": "effort_rate",
            "qf_formula": grid.qf_formula,
            "unit": grid.unit,
            "rate_percent": _str(grid.rate_percent),
            "min": _str(grid.minimum),
            "max": _str(grid.maximum),
        }
    brackets = []
    for bracket in grid.brackets:
        item = {
            "up_to": _str(bracket.up_to) if bracket.up_to is not None else None,
            "price": _str(bracket.price),
        }
        if bracket.price_by_rank:
            item["price_by_rank"] = {str(rank): _str(price) for rank, price in bracket.price_by_rank}
        brackets.append(item)
    return {"kind": "brackets", "qf_formula": grid.qf_formula, "unit": grid.unit, "brackets": brackets}


# ---------------------------------------------------------------------------------------------------------------
# QF formula: a per-grid setting, since some communes weight the parts their own way. A tiny arithmetic language
# over rfr and parts (+ - * / and brackets) rather than eval(): an agent types it in the admin.


class _Formula:
    VARIABLES = {"rfr": gettext_lazy("revenu fiscal de référence"), "parts": gettext_lazy("nombre de parts")}
    _TOKEN = re.compile(r"\s*(?:(\d+(?:\.\d+)?)|([a-z_]+)|(.))")

    def __init__(self, text: str, tokens: list[str]):
        self.text = text
        self.tokens = tokens

    @classmethod
    def parse(cls, text: str) -> "_Formula":
        example = _(
            "par exemple « rfr/12/parts » (variables : rfr et parts ; opérations + - * / et parenthèses)"
        )
        shown = text[:100]
        normalized = re.sub(r"\s+", "", text.lower()).replace(",", ".")
        if not normalized or len(normalized) > 100:
            raise ValueError(
                _("Formule de QF inconnue : « %(text)s » ; %(example)s.")
                % {"text": shown, "example": example}
            )
        tokens = []
        for number, name, other in cls._TOKEN.findall(normalized):
            if name and name not in cls.VARIABLES:
                raise ValueError(
                    _(
                        "Formule de QF inconnue : « %(text)s » (« %(name)s » n'est pas une variable connue) ; %(example)s."
                    )
                    % {"text": shown, "name": name, "example": example}
                )
            if other and other not in "+-*/()":
                raise ValueError(
                    _("Formule de QF inconnue : « %(text)s » ; %(example)s.")
                    % {"text": shown, "example": example}
                )
            tokens.append(number or name or other)
        formula = cls(normalized, tokens)
        if "rfr" not in tokens:
            raise ValueError(
                _("Formule de QF inconnue : « %(text)s » ; elle doit utiliser rfr, %(example)s.")
                % {"text": shown, "example": example}
            )
        try:
            formula.evaluate(rfr=Decimal(1), parts=Decimal(1))
        except ZeroDivisionError:
            pass  # "rfr/(parts-1)" reads fine; quote() says so if the household's figures divide by zero
        except (ValueError, InvalidOperation) as error:
            raise ValueError(
                _("Formule de QF illisible : « %(text)s » ; %(example)s.")
                % {"text": shown, "example": example}
            ) from error
        return formula

    def evaluate(self, **values: Decimal) -> Decimal:
        """Recursive descent over the tokens; ValueError on a syntax error, ZeroDivisionError once the whole
        formula is read (so a division by zero never hides a syntax error)."""
        position = 0
        divided_by_zero = False

        def peek():
            return self.tokens[position] if position < len(self.tokens) else None

        def take():
            nonlocal position
            token = peek()
            if token is None:
                raise ValueError("unexpected end")
            position += 1
            return token

        def expression():
            value = term()
            while peek() in ("+", "-"):
                value = value + term() if take() == "+" else value - term()
            return value

        def term():
            nonlocal divided_by_zero
            value = factor()
            while peek() in ("*", "/"):
                if take() == "*":
                    value = value * factor()
                else:
                    divisor = factor()
                    if divisor == 0:
                        divided_by_zero = True
                        divisor = Decimal(1)
                    value = value / divisor
            return value

        def factor():
            token = take()
            if token == "-":
                return -factor()
            if token == "(":
                value = expression()
                if take() != ")":
                    raise ValueError("missing )")
                return value
            if token in self.VARIABLES:
                return values[token]
            if token[0].isdigit():
                return Decimal(token)
            raise ValueError(token)

        result = expression()
        if position != len(self.tokens):
            raise ValueError("trailing tokens")
        if divided_by_zero:
            raise ZeroDivisionError
        return result

    def render(self, **values: str) -> str:
        """The formula with words or numbers in place of the variables: "28000 € ÷ 12 ÷ 2,5"."""
        symbols = {"/": " ÷ ", "*": " × ", "+": " + ", "-": " − "}
        text = "".join(
            values[token] if token in self.VARIABLES else symbols.get(token, _num_text(token))
            for token in self.tokens
        )
        return text.strip()


def _num_text(token: str) -> str:
    return token.replace(".", ",") if token[0].isdigit() else token


# ---------------------------------------------------------------------------------------------------------------
# Quotes


@dataclass(frozen=True)
class Facts:
    """What the household brings; every field optional. Fields a grid kind does not use are ignored."""

    rfr: Decimal | None = None
    parts: Decimal | None = None
    qf: Decimal | None = None  # given directly (tariff_quote --qf), skips the formula
    income_source: str = "none"  # "dgfip", "notice", "declined", "withdrawn" (consent withdrawn, figures erased), "none" (no tax data yet), "direct" (typed by support), "family" (typed by the family in the simulator)
    rank: int = 1  # the child's rank among the household's enrolled children
    on: date | None = None  # PSU: the date the barème is read at
    monthly_resources: Decimal | None = None  # PSU: if None and rfr given, rfr / 12
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
        data = {"amount": _str(self.amount), "unit": self.unit}
        if self.qf is not None:
            data["qf"] = _str(self.qf)
        if self.monthly is not None:
            data["monthly"] = _str(self.monthly)
        data["explanation"] = list(self.explanation)
        data["criteria"] = self.criteria
        return data


_SOURCE_LABELS = {
    "dgfip": gettext_lazy("source : la DGFiP, service des impôts"),
    "notice": gettext_lazy("source : votre avis d'imposition, vérifié par un agent"),
    "direct": gettext_lazy("saisi directement"),
    "family": gettext_lazy("saisi par vous"),
    "none": gettext_lazy("source non précisée"),
}


def quote(grid: Grid, facts: Facts, *, bareme: Bareme | None = None) -> Quote:
    """The price for this household, with every step a family needs to check it. ValidationError in French,
    keyed by the Facts field at fault, when an input is missing or impossible."""
    if facts.income_source not in INCOME_SOURCES:
        raise ValidationError(
            {
                "income_source": [
                    _("Origine des revenus inconnue : « %(value)s ».") % {"value": facts.income_source}
                ]
            }
        )
    if isinstance(grid, PsuGrid):
        return _quote_psu(grid, facts, psu_bareme.SHIPPED if bareme is None else bareme)
    if isinstance(grid, BracketsGrid | EffortRateGrid):
        return _quote_on_qf(grid, facts)
    raise ValidationError({NON_FIELD_ERRORS: [_("Grille inconnue : passez une grille lue par parse_grid.")]})


def _quote_on_qf(grid: BracketsGrid | EffortRateGrid, facts: Facts) -> Quote:
    unit_text = UNITS[grid.unit]
    criteria = {
        "kind": grid.kind,
        "income_source": facts.income_source,
        "qf_formula": grid.qf_formula,
        "bracket": None,
        "clamped": None,
        "rate_percent": _str(grid.rate_percent) if isinstance(grid, EffortRateGrid) else None,
        "rank": facts.rank,
        "rank_price_from": None,
        "highest_price": False,
    }
    lines = []
    income = _income_figures(facts, ("rfr", "parts", "qf"))
    if income is None:
        amount = _cent(highest_price(grid))
        criteria["highest_price"] = True
        lines.append(_unknown_income_line(facts, what=_("de la grille"), price=f"{_eur(amount)} {unit_text}"))
        return Quote(amount, grid.unit, None, None, tuple(lines), criteria)

    rank = _whole(facts.rank, "rank", minimum=1)
    qf = _qf(grid, facts, lines)
    criteria["qf"] = _str(qf)
    if isinstance(grid, BracketsGrid):
        index, bracket = next((i, b) for i, b in enumerate(grid.brackets) if b.up_to is None or qf <= b.up_to)
        price, from_rank = bracket.price_for(rank)
        amount = _cent(price)
        criteria.update(bracket=index, rank_price_from=from_rank)
        where = _bracket_range(grid, index)
        if from_rank is None:
            lines.append(
                _("Tranche %(n)s sur %(total)s (%(range)s) : %(price)s %(unit)s.")
                % {
                    "n": index + 1,
                    "total": len(grid.brackets),
                    "range": where,
                    "price": _eur(amount),
                    "unit": unit_text,
                }
            )
        else:
            lines.append(
                _(
                    "Tranche %(n)s sur %(total)s (%(range)s), tarif à partir du %(from)se enfant inscrit (cet enfant est le %(rank)se) : %(price)s %(unit)s."
                )
                % {
                    "n": index + 1,
                    "total": len(grid.brackets),
                    "range": where,
                    "from": from_rank,
                    "rank": rank,
                    "price": _eur(amount),
                    "unit": unit_text,
                }
            )
    else:
        raw = grid.rate_percent * qf / 100
        lines.append(
            _("Tarif = taux d'effort × QF = %(rate)s %% × %(qf)s = %(raw)s.")
            % {"rate": _percent(grid.rate_percent), "qf": _eur(qf), "raw": _eur(_cent(raw))}
        )
        if raw < grid.minimum:
            amount = _cent(grid.minimum)
            criteria["clamped"] = "min"
            lines.append(
                _("C'est moins que le tarif minimum : le minimum s'applique, %(price)s %(unit)s.")
                % {"price": _eur(amount), "unit": unit_text}
            )
        elif raw > grid.maximum:
            amount = _cent(grid.maximum)
            criteria["clamped"] = "max"
            lines.append(
                _("C'est plus que le tarif maximum : le maximum s'applique, %(price)s %(unit)s.")
                % {"price": _eur(amount), "unit": unit_text}
            )
        else:
            amount = _cent(raw)
            lines.append(
                _(
                    "Ce tarif est compris entre le minimum (%(min)s) et le maximum (%(max)s) : %(price)s %(unit)s."
                )
                % {
                    "min": _eur(grid.minimum),
                    "max": _eur(grid.maximum),
                    "price": _eur(amount),
                    "unit": unit_text,
                }
            )
    return Quote(amount, grid.unit, qf, None, tuple(lines), criteria)


def _qf(grid, facts: Facts, lines: list[str]) -> Decimal:
    source = _source_label(facts)
    if facts.qf is not None:
        qf = _decimal(facts.qf, "qf")
        if qf < 0:
            raise ValidationError({"qf": [_("Le quotient familial ne peut pas être négatif.")]})
        qf = _cent(qf)
        lines.append(_("Quotient familial (QF) : %(qf)s (%(source)s).") % {"qf": _eur(qf), "source": source})
        return qf
    missing = {}
    if facts.rfr is None:
        missing["rfr"] = [_("Indiquez le revenu fiscal de référence avec le nombre de parts, ou le QF.")]
    if facts.parts is None:
        missing["parts"] = [_("Indiquez le nombre de parts avec le revenu fiscal de référence, ou le QF.")]
    if missing:
        raise ValidationError(missing)
    rfr = _decimal(facts.rfr, "rfr")
    parts = _decimal(facts.parts, "parts")
    if rfr < 0:
        raise ValidationError({"rfr": [_("Le revenu fiscal de référence ne peut pas être négatif.")]})
    if parts <= 0:
        raise ValidationError({"parts": [_("Le nombre de parts doit être supérieur à zéro.")]})
    try:
        formula = _Formula.parse(grid.qf_formula)
    except ValueError as error:
        raise ValidationError({"qf_formula": [str(error)]}) from error
    try:
        exact = formula.evaluate(rfr=rfr, parts=parts)
    except ZeroDivisionError as error:
        raise ValidationError(
            {NON_FIELD_ERRORS: [_("La formule du QF de la grille divise par zéro avec ces chiffres.")]}
        ) from error
    qf = _cent(exact)
    lines.append(
        _("Revenu fiscal de référence : %(rfr)s (%(source)s).") % {"rfr": _eur(rfr), "source": source}
    )
    lines.append(_("Nombre de parts : %(parts)s (%(source)s).") % {"parts": _num(parts), "source": source})
    lines.append(
        _("Quotient familial (QF) = %(words)s = %(numbers)s = %(qf)s (arrondi au centime).")
        % {
            "words": formula.render(**{name: str(words) for name, words in _Formula.VARIABLES.items()}),
            "numbers": formula.render(rfr=_eur(rfr), parts=_num(parts)),
            "qf": _eur(qf),
        }
    )
    return qf


def _bracket_range(grid: BracketsGrid, index: int) -> str:
    brackets = grid.brackets
    up_to = brackets[index].up_to
    if index == 0:
        return _("tous les QF") if up_to is None else _("QF jusqu'à %(up_to)s") % {"up_to": _eur(up_to)}
    lower = _lower_bound(brackets, index)
    if up_to is None:
        return _("QF à partir de %(lower)s") % {"lower": _eur(lower)}
    return _("QF de %(lower)s à %(up_to)s") % {"lower": _eur(lower), "up_to": _eur(up_to)}


def _lower_bound(brackets, index: int) -> Decimal:
    """QF are in cents: a bracket starts one cent above the previous bound."""
    if index == 0:
        return Decimal(0)
    return brackets[index - 1].up_to.quantize(CENT, rounding=ROUND_FLOOR) + CENT


def _quote_psu(grid: PsuGrid, facts: Facts, bareme: Bareme) -> Quote:
    if facts.on is None:
        raise ValidationError(
            {"on": [_("Indiquez la date à laquelle lire le barème de la CNAF (date d'entrée en crèche).")]}
        )
    children = _whole(facts.children, "children", minimum=1)
    aeeh = _whole(facts.aeeh, "aeeh", minimum=0)
    if aeeh > children:
        raise ValidationError(
            {
                "aeeh": [
                    _(
                        "Il ne peut pas y avoir plus d'enfants bénéficiaires de l'AEEH (%(aeeh)s) que d'enfants à charge (%(children)s)."
                    )
                    % {"aeeh": aeeh, "children": children}
                ]
            }
        )
    schedule = _schedule(facts)
    rate_children = children + aeeh
    rate = bareme.effort_rate(facts.on, grid.establishment, rate_children)
    limits = bareme.resource_limits(facts.on)
    criteria = {
        "kind": "psu",
        "income_source": facts.income_source,
        "on": facts.on.isoformat(),
        "establishment": grid.establishment,
        "children": children,
        "aeeh": aeeh,
        "rate_children": rate_children,
        "rate_percent": _str(rate.rate_percent),
        "rate_valid_from": rate.valid_from.isoformat(),
        "floor": _str(limits.floor),
        "ceiling": _str(limits.ceiling),
        "limits_valid_from": limits.valid_from.isoformat(),
        "ceiling_lifted": grid.ceiling_lifted,
        "bareme_confirmed": rate.confirmed and limits.confirmed,
        "monthly_resources": None,
        "resources_used": None,
        "bracket": None,
        "clamped": None,
        "highest_price": False,
    }
    lines = [
        _("Barème national des participations familiales de la CNAF (PSU), %(establishment)s, au %(on)s.")
        % {"establishment": psu_bareme.ESTABLISHMENT_LABELS[grid.establishment], "on": _day(facts.on)}
    ]
    income = _income_figures(facts, ("monthly_resources", "rfr"))
    if income is None:
        used = limits.ceiling
        criteria.update(highest_price=True, clamped="max", resources_used=_str(used))
        price = _(
            "calculé sur le plafond de ressources de la CNAF (%(ceiling)s par mois depuis le %(since)s)"
        ) % {
            "ceiling": _eur(used),
            "since": _day(limits.valid_from),
        }
        lines.append(_unknown_income_line(facts, what=_("du barème"), price=price))
    else:
        resources = _monthly_resources(facts, lines)
        used, clamped, line = _clamp_resources(resources, limits, lifted=grid.ceiling_lifted)
        criteria.update(monthly_resources=_str(resources), clamped=clamped)
        lines.append(line)
        criteria["resources_used"] = _str(used)
    lines.append(_rate_line(children, aeeh, rate))
    hourly = _cent(used * rate.rate_percent / 100)
    lines.append(
        _("Tarif horaire = %(resources)s × %(rate)s %% = %(hourly)s de l'heure (arrondi au centime).")
        % {"resources": _eur(used), "rate": _percent(rate.rate_percent), "hourly": _eur(hourly)}
    )
    monthly = None
    if schedule is not None:
        hours, weeks, months = schedule
        monthly = _cent(hours * weeks * hourly / months)
        criteria.update(
            hours_per_week=_str(hours), weeks_per_year=_str(weeks), months=_str(months), monthly=_str(monthly)
        )
        lines.append(
            monthly_fee_line(hours=hours, weeks=weeks, months=months, hourly=hourly, monthly=monthly)
        )
    return Quote(hourly, "hour", None, monthly, tuple(lines), criteria)


def monthly_fee_line(
    *, hours: Decimal, weeks: Decimal, months: Decimal, hourly: Decimal, monthly: Decimal
) -> str:
    """The mensualisation, which quotes no income: a crèche contract keeps it when its income lines are erased."""
    return _(
        "Mensualisation = %(hours)s h par semaine × %(weeks)s semaines ÷ %(months)s mois × %(hourly)s = %(monthly)s par mois (arrondi au centime)."
    ) % {
        "hours": _num(hours),
        "weeks": _num(weeks),
        "months": _num(months),
        "hourly": _eur(hourly),
        "monthly": _eur(monthly),
    }


def _monthly_resources(facts: Facts, lines: list[str]) -> Decimal:
    source = _source_label(facts)
    if facts.monthly_resources is not None:
        resources = _decimal(facts.monthly_resources, "monthly_resources")
        if resources < 0:
            raise ValidationError({"monthly_resources": [_("Les ressources ne peuvent pas être négatives.")]})
        resources = _cent(resources)
        lines.append(
            _("Ressources mensuelles : %(resources)s (%(source)s).")
            % {"resources": _eur(resources), "source": source}
        )
        return resources
    rfr = _decimal(facts.rfr, "rfr")
    if rfr < 0:
        raise ValidationError({"rfr": [_("Le revenu fiscal de référence ne peut pas être négatif.")]})
    resources = _cent(rfr / 12)
    lines.append(
        _(
            "Ressources mensuelles = revenu fiscal de référence ÷ 12 = %(rfr)s ÷ 12 = %(resources)s (%(source)s ; arrondi au centime)."
        )
        % {"rfr": _eur(rfr), "resources": _eur(resources), "source": source}
    )
    return resources


def _clamp_resources(resources: Decimal, limits, *, lifted: bool) -> tuple[Decimal, str | None, str]:
    """The resources the rate applies to, which limit applied ("min", "max" or None), and the sentence saying so."""
    values = {
        "floor": _eur(limits.floor),
        "ceiling": _eur(limits.ceiling),
        "since": _day(limits.valid_from),
    }
    if resources < limits.floor:
        return (
            limits.floor,
            "min",
            _(
                "C'est moins que le plancher de ressources de la CNAF (%(floor)s par mois depuis le %(since)s) : "
                "le plancher est retenu."
            )
            % values,
        )
    if resources > limits.ceiling and lifted:
        return (
            resources,
            None,
            _(
                "C'est plus que le plafond de la CNAF (%(ceiling)s par mois depuis le %(since)s), mais cette crèche "
                "applique le taux d'effort au-delà du plafond (déplafonnement) : vos ressources sont retenues."
            )
            % values,
        )
    if resources > limits.ceiling:
        return (
            limits.ceiling,
            "max",
            _(
                "C'est plus que le plafond de ressources de la CNAF (%(ceiling)s par mois depuis le %(since)s) : "
                "le plafond est retenu."
            )
            % values,
        )
    return (
        resources,
        None,
        _(
            "C'est entre le plancher (%(floor)s) et le plafond (%(ceiling)s) de la CNAF : vos ressources sont retenues."
        )
        % values,
    )


def _rate_line(children: int, aeeh: int, rate) -> str:
    percent = _percent(rate.rate_percent)
    if not aeeh:
        return ngettext(
            "Taux d'effort pour %(n)s enfant à charge : %(rate)s %% par heure.",
            "Taux d'effort pour %(n)s enfants à charge : %(rate)s %% par heure.",
            children,
        ) % {"n": children, "rate": percent}
    return _(
        "Taux d'effort pour %(total)s enfants : %(children)s à charge, plus %(aeeh)s pour l'AEEH (chaque enfant "
        "bénéficiaire de l'AEEH compte une fois de plus, même s'il n'est pas celui accueilli) : %(rate)s %% par heure."
    ) % {"total": children + aeeh, "children": children, "aeeh": aeeh, "rate": percent}


def _schedule(facts: Facts) -> tuple[Decimal, Decimal, Decimal] | None:
    values = {
        "hours_per_week": facts.hours_per_week,
        "weeks_per_year": facts.weeks_per_year,
        "months": facts.months,
    }
    given = {name: value for name, value in values.items() if value is not None}
    if not given:
        return None
    if len(given) < len(values):
        message = _(
            "Pour la mensualisation, indiquez ensemble les heures par semaine, les semaines par an et le nombre de mois facturés."
        )
        raise ValidationError({name: [message] for name in values if name not in given})
    hours = _decimal(facts.hours_per_week, "hours_per_week")
    weeks = _decimal(facts.weeks_per_year, "weeks_per_year")
    months = _decimal(facts.months, "months")
    errors = {}
    if not 0 < hours <= 168:
        errors["hours_per_week"] = [_("Les heures réservées par semaine sont comprises entre 0 et 168.")]
    if not 0 < weeks <= 53:
        errors["weeks_per_year"] = [_("Les semaines d'accueil par an sont comprises entre 1 et 53.")]
    if not 0 < months <= 12:
        errors["months"] = [_("Le nombre de mois facturés est compris entre 1 et 12.")]
    if errors:
        raise ValidationError(errors)
    return hours, weeks, months


def _income_figures(facts: Facts, names: tuple[str, ...]) -> bool | None:
    """True when the facts carry income figures this grid uses; None when the household declined or has none
    yet (the highest price applies). Figures next to a refusal are an error, never used nor ignored silently."""
    has_figures = any(getattr(facts, name) is not None for name in names)
    if facts.income_source in NO_FIGURES:
        if has_figures:
            raise ValidationError(
                {
                    "income_source": [
                        _(
                            "La famille a refusé de communiquer ses revenus : aucun chiffre de revenus ne doit être fourni."
                        )
                    ]
                }
            )
        return None
    if not has_figures:
        if facts.income_source != "none":
            raise ValidationError(
                {
                    names[0]: [
                        _("Des revenus sont annoncés (%(source)s) mais aucun chiffre n'est fourni.")
                        % {"source": _source_label(facts)}
                    ]
                }
            )
        return None
    return True


def _unknown_income_line(facts: Facts, *, what: str, price: str) -> str:
    """Said plainly: the family sees why it pays the most, and what changes it."""
    if facts.income_source == "declined":
        text = _(
            "Vous avez choisi de ne pas communiquer vos revenus : le tarif le plus élevé %(what)s s'applique, %(price)s."
        )
    elif facts.income_source == "withdrawn":
        text = _(
            "Vous avez retiré votre accord : vos revenus ont été effacés et le tarif le plus élevé %(what)s s'applique, %(price)s. Il pourra être recalculé si vous transmettez votre avis d'imposition aux services de la commune."
        )
    else:
        text = _(
            "Vos revenus ne sont pas encore connus : le tarif le plus élevé %(what)s s'applique, %(price)s. Il pourra être recalculé quand ils le seront."
        )
    return text % {"what": what, "price": price}


def _source_label(facts: Facts) -> str:
    return str(_SOURCE_LABELS[facts.income_source])


def highest_price(grid: Grid) -> Decimal | None:
    """What a household that declined (or has no tax data yet) pays. None for PSU: it depends on the date."""
    if isinstance(grid, BracketsGrid):
        return max(
            price
            for bracket in grid.brackets
            for price in (bracket.price, *(price for _rank, price in bracket.price_by_rank))
        )
    if isinstance(grid, EffortRateGrid):
        return grid.maximum
    return None


def cantine_a_1_euro(grid: Grid, *, agreement_signed_on: date | None = None) -> tuple[bool, tuple[str, ...]]:
    """Does this canteen grid meet the State's "cantine à 1 €" conditions? The reasons name each unmet one.
    The ≤ 1 € for every QF ≤ 1000 rule binds agreements signed from 1 Aug 2022: pass an earlier signature date
    to check an older agreement. Prices are the base prices (rank prices only lower them)."""
    if isinstance(grid, PsuGrid):
        return False, (
            _("La cantine à 1 € concerne les repas des écoles primaires, pas le barème des crèches."),
        )
    if isinstance(grid, EffortRateGrid):
        return False, (
            _(
                "La cantine à 1 € demande une grille d'au moins 3 tranches de prix ; une grille à taux d'effort n'en a pas."
            ),
        )
    reasons = []
    brackets = grid.brackets
    prices = [bracket.price for bracket in brackets]
    if len(brackets) < 3:
        reasons.append(_("La grille compte %(n)s tranche(s) : il en faut au moins 3.") % {"n": len(brackets)})
    if not any(price <= 1 for price in prices):
        reasons.append(_("Aucune tranche n'est à 1 € ou moins."))
    if not any(price > 1 for price in prices):
        reasons.append(_("Aucune tranche n'est à plus de 1 €."))
    for index in range(1, len(prices)):
        if prices[index] < prices[index - 1]:
            reasons.append(
                _(
                    "La grille doit être progressive : la tranche %(n)s (%(price)s) coûte moins que la précédente (%(previous)s)."
                )
                % {"n": index + 1, "price": _eur(prices[index]), "previous": _eur(prices[index - 1])}
            )
            break
    if agreement_signed_on is None or agreement_signed_on >= CANTINE_A_1_EURO_QF_RULE_FROM:
        for index, bracket in enumerate(brackets):
            lower = _lower_bound(brackets, index)
            if lower <= 1000 and bracket.price > 1:
                reasons.append(
                    _(
                        "Depuis le 1er août 2022, le tarif à 1 € au plus doit couvrir tous les QF jusqu'à 1000 € : la tranche %(n)s (%(range)s) est à %(price)s."
                    )
                    % {"n": index + 1, "range": _bracket_range(grid, index), "price": _eur(bracket.price)}
                )
                break
    return not reasons, tuple(reasons)


# ---------------------------------------------------------------------------------------------------------------
# Numbers


def _cent(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _str(value: Decimal) -> str:
    """Machine form, as in the JSON examples of the issue: "0.13", never an exponent."""
    return format(value, "f")


def _num(value: Decimal) -> str:
    """Reading form: decimal comma, as Django prints numbers in French pages."""
    return format(value, "f").replace(".", ",")


def _percent(value: Decimal) -> str:
    """A rate as the CNAF writes it, whatever zeros the database keeps: 0,06 rather than 0,0600."""
    return _num(value.normalize()) if value else "0"


def _eur(value: Decimal) -> str:
    return f"{_num(value)}\u00a0€"


def _day(value: date) -> str:
    return f"{value:%d/%m/%Y}"


def _decimal(value, name: str) -> Decimal:
    try:
        return parse_decimal(value)
    except ValueError as error:
        raise ValidationError({name: [str(error)]}) from error


def _whole(value, name: str, *, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValidationError(
            {name: [_("Un nombre entier à partir de %(minimum)s est attendu.") % {"minimum": minimum}]}
        )
    return value
