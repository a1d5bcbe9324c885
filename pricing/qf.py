"""Quotes on the quotient familial (QF): the QF from the tax notice through the grid's formula (or given), then
its bracket's price (by the child's rank), or the effort rate clamped between a minimum and a maximum."""

from decimal import Decimal

from pricing.eligibility import highest_price
from pricing.errors import InvalidFacts, MissingFacts
from pricing.explanation import (
    bracket_range,
    count,
    eur,
    month_label,
    percent,
    source_label,
    unknown_income_line,
)
from pricing.facts import Facts, Quote, decimal_fact, income_figures, whole_fact
from pricing.formula import Formula
from pricing.grids import UNITS, BracketsGrid, EffortRateGrid
from pricing.numbers import cent, machine
from pricing.words import _, translated


def quote_on_qf(grid: BracketsGrid | EffortRateGrid, facts: Facts, *, explain: bool = True) -> Quote:
    """A grid on the quotient familial: brackets, or an effort rate between a minimum and a maximum. Without
    `explain`, no explanation lines (their wording is most of the work)."""
    unit_text = translated(UNITS[grid.unit]) if explain else None
    criteria = {
        "kind": grid.kind,
        "income_source": facts.income_source,
        "qf_formula": grid.qf_formula,
        "bracket": None,
        "clamped": None,
        "rate_percent": machine(grid.rate_percent) if isinstance(grid, EffortRateGrid) else None,
        "rank": facts.rank,
        "rank_price_from": None,
        "highest_price": False,
    }
    if facts.income_source in ("caf", "msa") and month_label(facts.qf_year, facts.qf_month):
        criteria["qf_month"] = month_label(facts.qf_year, facts.qf_month)
    lines = [] if explain else None
    income = income_figures(facts, ("rfr", "parts", "qf"))
    if income is None:
        amount = cent(highest_price(grid))
        criteria["highest_price"] = True
        if explain:
            lines.append(
                unknown_income_line(
                    facts.income_source, what=_("de la grille"), price=f"{eur(amount)} {unit_text}"
                )
            )
        return Quote(amount, grid.unit, None, None, tuple(lines or ()), criteria)

    rank = whole_fact(facts.rank, "rank", minimum=1)
    qf = household_qf(grid.qf_formula, facts, lines)
    criteria["qf"] = machine(qf)
    if isinstance(grid, BracketsGrid):
        index, bracket = next((i, b) for i, b in enumerate(grid.brackets) if b.up_to is None or qf <= b.up_to)
        price, from_rank = bracket.price_for(rank)
        amount = cent(price)
        criteria.update(bracket=index, rank_price_from=from_rank)
        if explain:
            lines.append(_bracket_line(grid, index, from_rank, rank, {"price": eur(amount), "unit": unit_text}))
    else:
        raw = grid.rate_percent * qf / 100
        if raw < grid.minimum:
            amount, criteria["clamped"] = cent(grid.minimum), "min"
        elif raw > grid.maximum:
            amount, criteria["clamped"] = cent(grid.maximum), "max"
        else:
            amount = cent(raw)
        if explain:
            lines += _effort_rate_lines(grid, qf, raw, criteria["clamped"], {"price": eur(amount), "unit": unit_text})
    return Quote(amount, grid.unit, qf, None, tuple(lines or ()), criteria)


def _bracket_line(grid: BracketsGrid, index: int, from_rank: int | None, rank: int, price: dict) -> str:
    values = {"n": index + 1, "total": len(grid.brackets), "range": bracket_range(grid.brackets, index), **price}
    if from_rank is None:
        return _("Tranche %(n)s sur %(total)s (%(range)s) : %(price)s %(unit)s.") % values
    return _(
        "Tranche %(n)s sur %(total)s (%(range)s), tarif à partir du %(from)se enfant inscrit (cet enfant est le %(rank)se) : %(price)s %(unit)s."
    ) % {**values, "from": from_rank, "rank": rank}


def _effort_rate_lines(grid: EffortRateGrid, qf: Decimal, raw: Decimal, clamped: str | None, price: dict) -> list[str]:
    lines = [
        _("Tarif = taux d'effort × QF = %(rate)s %% × %(qf)s = %(raw)s.")
        % {"rate": percent(grid.rate_percent), "qf": eur(qf), "raw": eur(cent(raw))}
    ]
    if clamped == "min":
        lines.append(_("C'est moins que le tarif minimum : le minimum s'applique, %(price)s %(unit)s.") % price)
    elif clamped == "max":
        lines.append(_("C'est plus que le tarif maximum : le maximum s'applique, %(price)s %(unit)s.") % price)
    else:
        lines.append(
            _("Ce tarif est compris entre le minimum (%(min)s) et le maximum (%(max)s) : %(price)s %(unit)s.")
            % {"min": eur(grid.minimum), "max": eur(grid.maximum), **price}
        )
    return lines


def household_qf(qf_formula: str, facts, lines: list[str] | None) -> Decimal:
    """The household's QF, given (the CAF or MSA one) or from RFR and parts through the grid's formula, with the
    lines that say how appended to `lines` (None: not worded); every grid on the QF (canteen, the parking card's
    social tariff) reads it here."""
    if facts.qf is not None:
        qf = decimal_fact(facts.qf, "qf")
        if qf < 0:
            raise InvalidFacts(_("Le quotient familial ne peut pas être négatif."), field="qf")
        qf = cent(qf)
        if lines is None:
            return qf
        source = source_label(facts.income_source)
        month = month_label(facts.qf_year, facts.qf_month)
        if facts.income_source in ("caf", "msa") and month:
            text = (
                _("Quotient familial CAF du mois de %(month)s : %(qf)s (%(source)s).")
                if facts.income_source == "caf"
                else _("Quotient familial MSA du mois de %(month)s : %(qf)s (%(source)s).")
            )
            lines.append(text % {"month": month, "qf": eur(qf), "source": source})
        else:
            lines.append(
                _("Quotient familial (QF) : %(qf)s (%(source)s).") % {"qf": eur(qf), "source": source}
            )
        return qf
    missing = {}
    if facts.rfr is None:
        missing["rfr"] = [_("Indiquez le revenu fiscal de référence avec le nombre de parts, ou le QF.")]
    if facts.parts is None:
        missing["parts"] = [_("Indiquez le nombre de parts avec le revenu fiscal de référence, ou le QF.")]
    if missing:
        raise MissingFacts(errors=missing)
    rfr = decimal_fact(facts.rfr, "rfr")
    parts = decimal_fact(facts.parts, "parts")
    if rfr < 0:
        raise InvalidFacts(_("Le revenu fiscal de référence ne peut pas être négatif."), field="rfr")
    if parts <= 0:
        raise InvalidFacts(_("Le nombre de parts doit être supérieur à zéro."), field="parts")
    formula = Formula.parse(qf_formula)  # FormulaError
    try:
        exact = formula.evaluate(rfr=rfr, parts=parts)
    except ZeroDivisionError as error:
        raise InvalidFacts(_("La formule du QF de la grille divise par zéro avec ces chiffres.")) from error
    qf = cent(exact)
    if lines is None:
        return qf
    source = source_label(facts.income_source)
    lines.append(
        _("Revenu fiscal de référence : %(rfr)s (%(source)s).") % {"rfr": eur(rfr), "source": source}
    )
    lines.append(_("Nombre de parts : %(parts)s (%(source)s).") % {"parts": count(parts), "source": source})
    lines.append(
        _("Quotient familial (QF) = %(words)s = %(numbers)s = %(qf)s (arrondi au centime).")
        % {
            "words": formula.render(**{name: translated(words) for name, words in Formula.VARIABLES.items()}),
            "numbers": formula.render(rfr=eur(rfr), parts=count(parts)),
            "qf": eur(qf),
        }
    )
    return qf
