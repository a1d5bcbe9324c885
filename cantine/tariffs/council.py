"""« Comparer un projet de grille », for the council: a draft grid against the grid in force over the period's
current dossiers, as aggregates only (never a name nor a dossier reference), with a server-rendered chart.
Nothing is written."""

from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F
from django.utils.formats import number_format
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

import pricing
from cantine import charts, selectors
from cantine.models import Dossier, Service, TariffGrid
from cantine.tariffs.bulk_facts import FACTS_READS, chunk_read, income_states, tariff_facts_bulk
from cantine.tariffs.formats import euros, signed_euros, unit_label

# The dossiers a comparison counts: those the commune is dealing with or has accepted for the period.
CURRENT_STATUSES = (
    Dossier.Status.SUBMITTED,
    Dossier.Status.UNDER_REVIEW,
    Dossier.Status.AWAITING_DOCUMENTS,
    Dossier.Status.ACCEPTED,
)
# Estimated monthly revenue. Canteen: one meal per day booked, over the school year billed in 10 months.
# Crèche: the hours of the weekly schedule over the weeks the crèche is open, billed in 11 months
# (mensualisation). Assumptions for an order of magnitude, said on the page.
SCHOOL_WEEKS_PER_YEAR = 36
SCHOOL_MONTHS_BILLED = 10
CRECHE_WEEKS_PER_YEAR = 45
CRECHE_MONTHS_BILLED = 11
# Change per dossier: what counts as a large change, per unit priced.
CHANGE_THRESHOLDS = {"hour": Decimal("0.10"), "month": Decimal("20")}
CHANGE_THRESHOLD_DEFAULT = Decimal("0.50")
MONEY = Decimal("0.01")


def change_threshold(unit: str) -> Decimal:
    return CHANGE_THRESHOLDS.get(unit, CHANGE_THRESHOLD_DEFAULT)


def monthly_amount(dossier: Dossier, amount: Decimal, unit: str) -> Decimal:
    """What a dossier would pay per month at this price, under the constants above."""
    if unit == "month":
        return amount
    if unit == "hour" or dossier.service.kind == Service.Kind.CRECHE:
        return amount * dossier.creche_weekly_hours() * CRECHE_WEEKS_PER_YEAR / CRECHE_MONTHS_BILLED
    return amount * len(dossier.canteen_days or []) * SCHOOL_WEEKS_PER_YEAR / SCHOOL_MONTHS_BILLED


@dataclass(frozen=True, order=True)
class Category:
    """Where a quote falls: a QF bracket (ordered by its bounds), a clamp, or the highest price."""

    order: tuple
    label: str = field(compare=False)


def _order_data(order: tuple) -> list:
    """A category's order as JSON data: the bounds of its QF bracket as text (_as_order reads them back)."""
    return [str(value) if isinstance(value, Decimal) else value for value in order]


def _as_order(order: list) -> tuple:
    return tuple(Decimal(value) if isinstance(value, str) else value for value in order)


HIGHEST = Category((8,), gettext_lazy("Tarif le plus élevé (revenus inconnus ou refusés)"))
UNCOMPUTABLE = Category((9,), gettext_lazy("Tarif non calculable"))


def _amount(value: Decimal) -> str:
    """A QF bound as agents typed it: « 959 », « 1 370,01 »."""
    if value == value.to_integral_value():
        return number_format(int(value), force_grouping=True)
    return number_format(value, decimal_pos=2, force_grouping=True)


def category_of(grid: pricing.Grid, result: pricing.Quote) -> Category:
    """The bracket, clamp or highest price a quote's criteria name, worded as the engine words QF ranges."""
    criteria = result.criteria
    if criteria.get("highest_price"):
        return HIGHEST
    if isinstance(grid, pricing.BracketsGrid):
        index = criteria["bracket"]
        up_to = grid.brackets[index].up_to
        lower = pricing.lower_bound(grid.brackets, index)
        label = capfirst(pricing.bracket_range(grid.brackets, index, amount=_amount))
        return Category((1, lower, up_to is None, up_to or 0), label)
    clamped = criteria.get("clamped")
    if isinstance(grid, pricing.EffortRateGrid):
        labels = {
            "min": (2, _("Tarif minimum appliqué")),
            None: (3, _("Taux d'effort × QF, entre le minimum et le maximum")),
            "max": (4, _("Tarif maximum appliqué")),
        }
    else:
        above = criteria.get("monthly_resources") is not None and Decimal(
            criteria["monthly_resources"]
        ) > Decimal(criteria["ceiling"])
        labels = {
            "min": (2, _("Plancher de ressources de la CNAF")),
            None: (
                (4, _("Au-delà du plafond (déplafonnement)"))
                if above
                else (3, _("Ressources entre le plancher et le plafond"))
            ),
            "max": (5, _("Plafond de ressources de la CNAF")),
        }
    order, label = labels[clamped]
    return Category((order,), label)


# The criteria category_of reads: two quotes alike in these fall in the same category.
CATEGORY_CRITERIA = ("highest_price", "bracket", "clamped", "monthly_resources", "ceiling")


def _category_memo():
    """category_of remembered per grid and criteria: tens of thousands of quotes fall in a handful of categories,
    each worded once."""
    known = {}

    def category(grid, result):
        key = (id(grid), *(result.criteria.get(name) for name in CATEGORY_CRITERIA))
        if key not in known:
            known[key] = category_of(grid, result)
        return known[key]

    return category


CHANGE_BUCKETS = ("down_large", "down", "same", "up", "up_large")


def change_bucket(delta: Decimal, threshold: Decimal) -> str:
    if delta < -threshold:
        return "down_large"
    if delta < 0:
        return "down"
    if delta == 0:
        return "same"
    return "up" if delta <= threshold else "up_large"


def change_labels(unit: str) -> dict[str, str]:
    values = {"threshold": euros(change_threshold(unit)), "unit": unit_label(unit)}
    return {
        "down_large": _("Baisse de plus de %(threshold)s %(unit)s") % values,
        "down": _("Baisse de %(threshold)s %(unit)s ou moins") % values,
        "same": _("Tarif inchangé"),
        "up": _("Hausse de %(threshold)s %(unit)s ou moins") % values,
        "up_large": _("Hausse de plus de %(threshold)s %(unit)s") % values,
    }


@dataclass
class Comparison:
    """Aggregates only: counts and sums, never a dossier."""

    unit: str
    dossiers: int = 0
    before: Counter = field(default_factory=Counter)  # Category → dossiers
    after: Counter = field(default_factory=Counter)
    changes: Counter = field(default_factory=Counter)  # bucket → dossiers
    revenue_before: Decimal = Decimal(0)
    revenue_after: Decimal = Decimal(0)
    total_change: Decimal = Decimal(0)  # sum of the per-unit changes of the dossiers priced by both grids
    priced: int = 0
    errors: Counter = field(
        default_factory=Counter
    )  # message → dossiers, for the grid in force and the draft
    stale_quotes: int = 0  # stored quotes that differ from today's computation with the grid in force

    @property
    def categories(self) -> list[Category]:
        return sorted(set(self.before) | set(self.after))

    @property
    def rows(self) -> list[tuple[str, int, int]]:
        return [
            (str(category.label), self.before[category], self.after[category]) for category in self.categories
        ]

    @property
    def change_rows(self) -> list[tuple[str, int]]:
        labels = change_labels(self.unit)
        return [(labels[bucket], self.changes[bucket]) for bucket in CHANGE_BUCKETS]

    @property
    def revenue_change(self) -> Decimal:
        return self.revenue_after - self.revenue_before

    @property
    def revenue_change_percent(self) -> Decimal | None:
        if not self.revenue_before:
            return None
        return (self.revenue_change * 100 / self.revenue_before).quantize(Decimal("0.1"))

    @property
    def average_change(self) -> Decimal | None:
        return (self.total_change / self.priced).quantize(MONEY) if self.priced else None

    @property
    def revenue_change_words(self) -> str:
        """« +28,80 € (+17,2 %) »."""
        change = signed_euros(self.revenue_change)
        if self.revenue_change_percent is not None:
            change += f" ({'+' if self.revenue_change_percent > 0 else ''}{number_format(self.revenue_change_percent, decimal_pos=1)}\u00a0%)"
        return change

    def figures(self) -> list[tuple[str, str]]:
        """The headline figures, as (term, value) for a description list."""
        unit = unit_label(self.unit)
        rows = [
            (_("Demandes comparées"), number_format(self.dossiers, force_grouping=True)),
            (_("Recette mensuelle estimée, grille en vigueur"), euros(self.revenue_before)),
            (_("Recette mensuelle estimée, projet"), euros(self.revenue_after)),
        ]
        rows.append((_("Écart de recette mensuelle"), self.revenue_change_words))
        if self.average_change is not None:
            rows.append(
                (_("Évolution moyenne du tarif par demande"), f"{signed_euros(self.average_change)} {unit}")
            )
        return rows

    def as_data(self) -> dict:
        """The aggregates as JSON data (the comparison job stores them for its page): from_data reads them back."""
        return {
            "unit": self.unit,
            "dossiers": self.dossiers,
            "before": [[_order_data(c.order), str(c.label), n] for c, n in self.before.items()],
            "after": [[_order_data(c.order), str(c.label), n] for c, n in self.after.items()],
            "changes": dict(self.changes),
            "revenue_before": str(self.revenue_before),
            "revenue_after": str(self.revenue_after),
            "total_change": str(self.total_change),
            "priced": self.priced,
            "errors": dict(self.errors),
            "stale_quotes": self.stale_quotes,
        }

    @classmethod
    def from_data(cls, data: dict) -> "Comparison":
        def categories(rows):
            return Counter({Category(_as_order(order), label): n for order, label, n in rows})

        return cls(
            unit=data["unit"],
            dossiers=data["dossiers"],
            before=categories(data["before"]),
            after=categories(data["after"]),
            changes=Counter(data["changes"]),
            revenue_before=Decimal(data["revenue_before"]),
            revenue_after=Decimal(data["revenue_after"]),
            total_change=Decimal(data["total_change"]),
            priced=data["priced"],
            errors=Counter(data["errors"]),
            stale_quotes=data["stale_quotes"],
        )

    def csv_lines(self) -> list[list[str]]:
        """The figures and both tables, in French, for the file the council downloads."""
        lines = [list(row) for row in self.figures()]
        lines += [[], [_("Tranche"), _("En vigueur"), _("Projet")]]
        lines += [[label, str(before), str(after)] for label, before, after in self.rows]
        lines += [[], [_("Évolution du tarif"), _("Demandes")]]
        lines += [[label, str(count)] for label, count in self.change_rows]
        if self.errors:
            lines += [[], [_("Tarifs non calculables"), _("Demandes")]]
            lines += [[message, str(count)] for message, count in self.errors.items()]
        return lines

    def bracket_chart(self):
        return charts.bar_chart(
            chart_id="chart-categories",
            title=_("Demandes par tranche : grille en vigueur et projet"),
            description=_(
                "Pour chaque tranche, le nombre de demandes avec la grille en vigueur puis avec le projet. Les mêmes chiffres figurent dans le tableau qui suit."
            ),
            categories=[label for label, _before, _after in self.rows],
            series=[
                charts.Series(_("En vigueur"), tuple(before for _label, before, _after in self.rows)),
                charts.Series(_("Projet"), tuple(after for _label, _before, after in self.rows)),
            ],
        )

    def change_chart(self):
        return charts.bar_chart(
            chart_id="chart-changes",
            title=_("Évolution du tarif par demande"),
            description=_(
                "Nombre de demandes dont le tarif baisse, ne change pas ou augmente avec le projet. Les mêmes chiffres figurent dans le tableau qui suit."
            ),
            categories=[label for label, _count in self.change_rows],
            series=[
                charts.Series(
                    _("Demandes"), tuple(count for _label, count in self.change_rows), fill=charts.PALETTE[1]
                )
            ],
        )


def _quote_or_error(grid, facts, bareme, comparison, which) -> pricing.Quote | None:
    try:
        return pricing.quote(grid, facts, bareme=bareme, explain=False)  # counted, never read
    except pricing.PricingError as error:
        for message in error.messages:
            comparison.errors[f"{which} : {message}"] += 1
        return None


COMPARE_CHUNK = 5000  # as quotes.RECOMPUTE_CHUNK


def _with_facts(dossiers, current, draft, progress=None):
    """(dossier, (its facts for the grid in force, for the draft)), read COMPARE_CHUNK dossiers at a time
    (cantine.tariffs.bulk_facts); once when both grids name the same income sources in the same order.
    `progress(done, total)` before each chunk, and once at the end."""
    states = income_states(dossiers)  # once for all the chunks: a comparison writes nothing
    pks = sorted(states)
    for start in range(0, len(pks), COMPARE_CHUNK):
        if progress is not None:
            progress(start, len(pks))
        chunk = chunk_read(dossiers, pks[start : start + COMPARE_CHUNK])
        before = tariff_facts_bulk(chunk, current, states)
        after = before if draft.income == current.income else tariff_facts_bulk(chunk, draft, states)
        for dossier in chunk:
            yield dossier, (before[dossier.pk], after[dossier.pk])
    if progress is not None:
        progress(len(pks), len(pks))


def compare(grid: TariffGrid, draft: pricing.Grid, progress=None) -> Comparison:
    """The grid and the draft, each over the period's current dossiers with today's facts (like for like).
    `progress(done, total)`: called as the dossiers are read (the comparison runs as a job, cantine.services.jobs)."""
    current = pricing.parse_grid(grid.data)
    bareme = (
        selectors.psu_bareme()
        if isinstance(current, pricing.PsuGrid) or isinstance(draft, pricing.PsuGrid)
        else None
    )
    comparison = Comparison(unit=current.unit)
    dossiers = (
        Dossier.objects.filter(period=grid.period, status__in=CURRENT_STATUSES)
        # The facts' columns, the schedule the monthly amount reads and the stored amount, as a column: no quote
        # built per dossier, and its encrypted figures, never read here, never decrypted.
        .only(*FACTS_READS, "canteen_days", "creche_schedule")
        .annotate(stored_amount=F("quote__amount"))
        .order_by("pk")
    )
    in_force, in_draft = _("Grille en vigueur"), _("Projet")
    category = _category_memo()
    for dossier, facts in _with_facts(dossiers, current, draft, progress):
        comparison.dossiers += 1
        before = _quote_or_error(current, facts[0], bareme, comparison, in_force)
        after = _quote_or_error(draft, facts[1], bareme, comparison, in_draft)
        comparison.before[category(current, before) if before else UNCOMPUTABLE] += 1
        comparison.after[category(draft, after) if after else UNCOMPUTABLE] += 1
        if (
            dossier.stored_amount is not None
            and before is not None
            and dossier.stored_amount != before.amount
        ):
            comparison.stale_quotes += 1
        if before is None or after is None:
            continue
        comparison.priced += 1
        delta = after.amount - before.amount
        comparison.total_change += delta
        comparison.changes[change_bucket(delta, change_threshold(current.unit))] += 1
        comparison.revenue_before += monthly_amount(dossier, before.amount, before.unit)
        comparison.revenue_after += monthly_amount(dossier, after.amount, after.unit)
    comparison.revenue_before = comparison.revenue_before.quantize(MONEY)
    comparison.revenue_after = comparison.revenue_after.quantize(MONEY)
    return comparison
