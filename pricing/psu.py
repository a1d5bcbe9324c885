"""Crèche quotes on the CNAF barème des participations familiales (PSU): the hourly rate is the effort rate for
the children in charge (plus one per AEEH child) on the monthly resources between the CNAF floor and ceiling;
the monthly fee (mensualisation) follows from the weekly hours, weeks and months billed."""

from decimal import Decimal

from django.utils.translation import ngettext

from pricing.bareme import ESTABLISHMENT_LABELS, Bareme
from pricing.errors import InvalidFacts, MissingFacts
from pricing.explanation import day, eur, monthly_fee_line, percent, source_label, unknown_income_line
from pricing.facts import Facts, Quote, decimal_fact, income_figures, whole_fact
from pricing.grids import PsuGrid
from pricing.numbers import cent, machine
from pricing.words import _, translated


def quote_psu(grid: PsuGrid, facts: Facts, bareme: Bareme, *, explain: bool = True) -> Quote:
    """The CNAF barème: an hourly rate on the resources between floor and ceiling, and the monthly fee. Without
    `explain`, no explanation lines."""
    if facts.on is None:
        raise MissingFacts(
            _("Indiquez la date à laquelle lire le barème de la CNAF (date d'entrée en crèche)."), field="on"
        )
    children = whole_fact(facts.children, "children", minimum=1)
    aeeh = whole_fact(facts.aeeh, "aeeh", minimum=0)
    if aeeh > children:
        raise InvalidFacts(
            _(
                "Il ne peut pas y avoir plus d'enfants bénéficiaires de l'AEEH (%(aeeh)s) que d'enfants à charge (%(children)s)."
            )
            % {"aeeh": aeeh, "children": children},
            field="aeeh",
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
        "rate_percent": machine(rate.rate_percent),
        "rate_valid_from": rate.valid_from.isoformat(),
        "floor": machine(limits.floor),
        "ceiling": machine(limits.ceiling),
        "limits_valid_from": limits.valid_from.isoformat(),
        "ceiling_lifted": grid.ceiling_lifted,
        "bareme_confirmed": rate.confirmed and limits.confirmed,
        "monthly_resources": None,
        "resources_used": None,
        "bracket": None,
        "clamped": None,
        "highest_price": False,
    }
    lines = (
        [
            _("Barème national des participations familiales de la CNAF (PSU), %(establishment)s, au %(on)s.")
            % {"establishment": translated(ESTABLISHMENT_LABELS[grid.establishment]), "on": day(facts.on)}
        ]
        if explain
        else None
    )
    income = income_figures(facts, ("monthly_resources", "annual_resources", "rfr"))
    if income is None:
        used = limits.ceiling
        criteria.update(highest_price=True, clamped="max", resources_used=machine(used))
        if explain:
            price = _(
                "calculé sur le plafond de ressources de la CNAF (%(ceiling)s par mois depuis le %(since)s)"
            ) % {
                "ceiling": eur(used),
                "since": day(limits.valid_from),
            }
            lines.append(unknown_income_line(facts.income_source, what=_("du barème"), price=price))
    else:
        resources = _monthly_resources(facts, lines)
        used, clamped, case = _clamp_resources(resources, limits, lifted=grid.ceiling_lifted)
        criteria.update(monthly_resources=machine(resources), clamped=clamped)
        if explain:
            lines.append(_clamp_line(case, limits))
        criteria["resources_used"] = machine(used)
    hourly = cent(used * rate.rate_percent / 100)
    if explain:
        lines.append(_rate_line(children, aeeh, rate))
        lines.append(
            _("Tarif horaire = %(resources)s × %(rate)s %% = %(hourly)s de l'heure (arrondi au centime).")
            % {"resources": eur(used), "rate": percent(rate.rate_percent), "hourly": eur(hourly)}
        )
    monthly = None
    if schedule is not None:
        hours, weeks, months = schedule
        monthly = cent(hours * weeks * hourly / months)
        criteria.update(
            hours_per_week=machine(hours),
            weeks_per_year=machine(weeks),
            months=machine(months),
            monthly=machine(monthly),
        )
        if explain:
            lines.append(
                monthly_fee_line(hours=hours, weeks=weeks, months=months, hourly=hourly, monthly=monthly)
            )
    return Quote(hourly, "hour", None, monthly, tuple(lines or ()), criteria)


def _monthly_resources(facts: Facts, lines: list[str] | None) -> Decimal:
    """The monthly resources the barème reads, with the line saying how appended to `lines` (None: not worded)."""
    if facts.monthly_resources is not None:
        resources = decimal_fact(facts.monthly_resources, "monthly_resources")
        if resources < 0:
            raise InvalidFacts(_("Les ressources ne peuvent pas être négatives."), field="monthly_resources")
        resources = cent(resources)
        if lines is not None:
            lines.append(
                _("Ressources mensuelles : %(resources)s (%(source)s).")
                % {"resources": eur(resources), "source": source_label(facts.income_source)}
            )
        return resources
    if facts.annual_resources is not None:
        annual = decimal_fact(facts.annual_resources, "annual_resources")
        if annual < 0:
            raise InvalidFacts(_("Les ressources ne peuvent pas être négatives."), field="annual_resources")
        resources = cent(annual / 12)
        if lines is None:
            return resources
        lines.append(
            _(
                "Ressources mensuelles = ressources annuelles retenues par la %(provider)s (année %(year)s) ÷ 12 = %(annual)s ÷ 12 = %(resources)s (%(source)s ; arrondi au centime)."
            )
            % {
                "provider": "MSA" if facts.income_source == "msa" else "CAF",
                "year": facts.resources_year or "-",
                "annual": eur(annual),
                "resources": eur(resources),
                "source": source_label(facts.income_source),
            }
        )
        return resources
    rfr = decimal_fact(facts.rfr, "rfr")
    if rfr < 0:
        raise InvalidFacts(_("Le revenu fiscal de référence ne peut pas être négatif."), field="rfr")
    resources = cent(rfr / 12)
    if lines is not None:
        lines.append(
            _(
                "Ressources mensuelles = revenu fiscal de référence ÷ 12 = %(rfr)s ÷ 12 = %(resources)s (%(source)s ; arrondi au centime)."
            )
            % {"rfr": eur(rfr), "resources": eur(resources), "source": source_label(facts.income_source)}
        )
    return resources


def _clamp_resources(resources: Decimal, limits, *, lifted: bool) -> tuple[Decimal, str | None, str]:
    """The resources the rate applies to, which limit applied ("min", "max" or None), and the case _clamp_line
    words."""
    if resources < limits.floor:
        return limits.floor, "min", "floor"
    if resources > limits.ceiling and lifted:
        return resources, None, "lifted"
    if resources > limits.ceiling:
        return limits.ceiling, "max", "ceiling"
    return resources, None, "between"


def _clamp_line(case: str, limits) -> str:
    values = {
        "floor": eur(limits.floor),
        "ceiling": eur(limits.ceiling),
        "since": day(limits.valid_from),
    }
    if case == "floor":
        return _(
            "C'est moins que le plancher de ressources de la CNAF (%(floor)s par mois depuis le %(since)s) : "
            "le plancher est retenu."
        ) % values
    if case == "lifted":
        return _(
            "C'est plus que le plafond de la CNAF (%(ceiling)s par mois depuis le %(since)s), mais cette crèche "
            "applique le taux d'effort au-delà du plafond (déplafonnement) : vos ressources sont retenues."
        ) % values
    if case == "ceiling":
        return _(
            "C'est plus que le plafond de ressources de la CNAF (%(ceiling)s par mois depuis le %(since)s) : "
            "le plafond est retenu."
        ) % values
    return _(
        "C'est entre le plancher (%(floor)s) et le plafond (%(ceiling)s) de la CNAF : vos ressources sont retenues."
    ) % values


def _rate_line(children: int, aeeh: int, rate) -> str:
    rate_text = percent(rate.rate_percent)
    if not aeeh:
        return ngettext(
            "Taux d'effort pour %(n)s enfant à charge : %(rate)s %% par heure.",
            "Taux d'effort pour %(n)s enfants à charge : %(rate)s %% par heure.",
            children,
        ) % {"n": children, "rate": rate_text}
    return _(
        "Taux d'effort pour %(total)s enfants : %(children)s à charge, plus %(aeeh)s pour l'AEEH (chaque enfant "
        "bénéficiaire de l'AEEH compte une fois de plus, même s'il n'est pas celui accueilli) : %(rate)s %% par heure."
    ) % {"total": children + aeeh, "children": children, "aeeh": aeeh, "rate": rate_text}


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
        raise MissingFacts(errors={name: [message] for name in values if name not in given})
    hours = decimal_fact(facts.hours_per_week, "hours_per_week")
    weeks = decimal_fact(facts.weeks_per_year, "weeks_per_year")
    months = decimal_fact(facts.months, "months")
    errors = {}
    if not 0 < hours <= 168:
        errors["hours_per_week"] = [_("Les heures réservées par semaine sont comprises entre 0 et 168.")]
    if not 0 < weeks <= 53:
        errors["weeks_per_year"] = [_("Les semaines d'accueil par an sont comprises entre 1 et 53.")]
    if not 0 < months <= 12:
        errors["months"] = [_("Le nombre de mois facturés est compris entre 1 et 12.")]
    if errors:
        raise InvalidFacts(errors=errors)
    return hours, weeks, months
