"""The words of a quote: the line-by-line explanation a family checks with a pencil, and what its criteria say to
agents and exports. Numbers read the French way (decimal comma), whatever the locale."""

from collections.abc import Callable
from datetime import date
from decimal import ROUND_FLOOR, Decimal

from django.utils.dates import MONTHS
from django.utils.translation import gettext_lazy

from pricing.numbers import CENT
from pricing.words import _, translated

SOURCE_LABELS = {
    "caf": gettext_lazy("source : la CAF, via API Particulier"),
    "msa": gettext_lazy("source : la MSA, via API Particulier"),
    "dgfip": gettext_lazy("source : la DGFiP, service des impôts"),
    "notice": gettext_lazy("source : votre avis d'imposition, vérifié par un agent"),
    "direct": gettext_lazy("saisi directement"),
    "family": gettext_lazy("saisi par vous"),
    "none": gettext_lazy("source non précisée"),
}


def num(value: Decimal) -> str:
    """Reading form, as Django prints numbers in French pages: decimal comma, thousands grouped by a no-break
    space (« 1 283,33 », « 36 000 »)."""
    text = format(value, "f")
    sign, text = ("-", text[1:]) if text.startswith("-") else ("", text)
    whole, _dot, decimals = text.partition(".")
    groups = []
    while len(whole) > 3:
        whole, group = whole[:-3], whole[-3:]
        groups.insert(0, group)
    grouped = "\u00a0".join([whole, *groups])
    return f"{sign}{grouped},{decimals}" if decimals else f"{sign}{grouped}"


def count(value: Decimal) -> str:
    """Hours, weeks, months, tax parts: no zeros the database keeps (« 45 semaines », never « 45,0 »), « 22,33 h »."""
    return num(value.normalize()) if value else "0"


def percent(value: Decimal) -> str:
    """A rate as the CNAF writes it, whatever zeros the database keeps: 0,06 rather than 0,0600."""
    return num(value.normalize()) if value else "0"


def eur(value: Decimal) -> str:
    return f"{num(value)}\u00a0€"


def day(value: date) -> str:
    return f"{value:%d/%m/%Y}"


def source_label(income_source: str) -> str:
    return translated(SOURCE_LABELS[income_source])


def month_label(year: int | None, month: int | None) -> str:
    """« mars 2026 »: the month a CAF or MSA quotient familial applies to."""
    if not year or not month or not 1 <= month <= 12:
        return ""
    return f"{translated(MONTHS[month])} {year}"


def unknown_income_line(income_source: str, *, what: str, price: str) -> str:
    """Said plainly: the family sees why it pays the most, and what changes it."""
    if income_source == "declined":
        text = _(
            "Vous avez choisi de ne pas communiquer vos revenus : le tarif le plus élevé %(what)s s'applique, %(price)s."
        )
    elif income_source == "withdrawn":
        text = _(
            "Vous avez retiré votre accord : vos revenus ont été effacés et le tarif le plus élevé %(what)s s'applique, %(price)s. Il pourra être recalculé si vous transmettez votre avis d'imposition aux services de la commune."
        )
    else:
        text = _(
            "Vos revenus ne sont pas encore connus : le tarif le plus élevé %(what)s s'applique, %(price)s. Il pourra être recalculé quand ils le seront."
        )
    return text % {"what": what, "price": price}


def lower_bound(brackets, index: int) -> Decimal:
    """QF are in cents: a bracket starts one cent above the previous bound."""
    if index == 0:
        return Decimal(0)
    return brackets[index - 1].up_to.quantize(CENT, rounding=ROUND_FLOOR) + CENT


def bracket_range(brackets, index: int, *, amount: Callable[[Decimal], str] = eur) -> str:
    """The QF a bracket covers, « QF de 548,01 € à 959 € »; `amount` writes the bounds (the council comparison
    writes them as agents typed them, without the euro sign)."""
    up_to = brackets[index].up_to
    if index == 0:
        return _("tous les QF") if up_to is None else _("QF jusqu'à %(up_to)s") % {"up_to": amount(up_to)}
    lower = lower_bound(brackets, index)
    if up_to is None:
        return _("QF à partir de %(lower)s") % {"lower": amount(lower)}
    return _("QF de %(lower)s à %(up_to)s") % {"lower": amount(lower), "up_to": amount(up_to)}


def monthly_fee_line(
    *, hours: Decimal, weeks: Decimal, months: Decimal, hourly: Decimal, monthly: Decimal
) -> str:
    """The mensualisation, which quotes no income: a crèche contract keeps it when its income lines are erased."""
    return _(
        "Mensualisation = %(hours)s h par semaine × %(weeks)s semaines ÷ %(months)s mois × %(hourly)s = %(monthly)s par mois (arrondi au centime)."
    ) % {
        "hours": count(hours),
        "weeks": count(weeks),
        "months": count(months),
        "hourly": eur(hourly),
        "monthly": eur(monthly),
    }


def criteria_words(criteria: dict, *, brief: bool = False) -> list[str]:
    """How a stored quote was reached, from its criteria and without the household's figures: every point for
    the agent's dossier page, or `brief`ly the first one, for a spreadsheet column."""
    words = []
    if criteria.get("highest_price"):
        words.append(_("tarif le plus élevé"))
    if criteria.get("bracket") is not None:
        words.append(
            (_("tranche %(n)s") if brief else _("tranche %(n)s de la grille"))
            % {"n": criteria["bracket"] + 1}
        )
    if criteria.get("rank_price_from") and not brief:
        words.append(_("tarif à partir du %(rank)se enfant inscrit") % {"rank": criteria["rank_price_from"]})
    if criteria.get("clamped") == "min":
        words.append(_("minimum") if brief else _("minimum appliqué"))
    elif criteria.get("clamped"):
        words.append(_("maximum") if brief else _("maximum appliqué"))
    return [str(word) for word in words[:1]] if brief else [str(word) for word in words]
