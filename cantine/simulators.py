"""Two tariff simulators on top of cantine.pricing; neither writes anything.

- « Estimer mon tarif », for families, anonymous: a GET form (works with no JavaScript, the address can be
  shared), the quote and its explanation. No account, no session, no database write.
- « Comparer un projet de grille », for the council, in the admin: a draft grid against a grid over the period's
  current dossiers, as aggregates only (never a name nor a dossier reference), with a server-rendered chart.
"""

import json
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, render
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from cantine import charts, pricing, selectors
from cantine.models import Dossier, Period, Service, TariffGrid
from portal.forms import DateInput

# ---------------------------------------------------------------------------------------------------------------
# Shared


def unit_label(unit: str) -> str:
    return str(pricing.UNITS.get(unit, unit))


def euros(value: Decimal) -> str:
    """« 1 234,50 € », as the pages print amounts."""
    return f"{number_format(value, decimal_pos=2, force_grouping=True)}\u00a0€"


class FrenchDecimalField(forms.DecimalField):
    """A number typed the French way (« 28 000 », « 2,5 », « 1 370,50 € »), read by pricing.parse_decimal.
    A plain text input with a decimal keypad: number inputs drop what they cannot parse, so a typo would
    vanish instead of being explained."""

    widget = forms.TextInput

    def __init__(self, *, example: str, lowest=Decimal(0), highest=None, **kwargs):
        self.example, self.lowest, self.highest = example, lowest, highest
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        return {
            **super().widget_attrs(widget),
            "inputmode": "decimal",
            "autocomplete": "off",
            "spellcheck": "false",
        }

    def to_python(self, value):
        if value in self.empty_values or not str(value).strip():
            return None
        text = str(value).strip().removesuffix("€").strip()
        try:
            number = pricing.parse_decimal(text)
        except ValueError:
            raise ValidationError(
                _("Saisissez un nombre, par exemple %(example)s.") % {"example": self.example}, code="invalid"
            ) from None
        return number

    def validate(self, value):
        super(forms.DecimalField, self).validate(value)  # required only: the bounds below speak French
        if value is None:
            return
        if value < self.lowest:
            raise ValidationError(
                _("Saisissez un nombre supérieur ou égal à %(lowest)s.")
                % {"lowest": number_format(self.lowest)},
                code="min_value",
            )
        if self.highest is not None and value > self.highest:
            raise ValidationError(
                _("Saisissez un nombre inférieur ou égal à %(highest)s.")
                % {"highest": number_format(self.highest)},
                code="max_value",
            )

    def run_validators(self, value):
        """No DecimalValidator: the amounts are rounded by the engine, not refused for their decimals."""


class WholeNumberField(forms.IntegerField):
    """A whole number in a text input with a numeric keypad, bounds said in French."""

    widget = forms.TextInput

    def __init__(self, *, lowest, highest, **kwargs):
        self.lowest, self.highest = lowest, highest
        kwargs.setdefault("error_messages", {})
        kwargs["error_messages"].setdefault(
            "invalid", gettext_lazy("Saisissez un nombre entier, par exemple 2.")
        )
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        return {**super().widget_attrs(widget), "inputmode": "numeric", "autocomplete": "off"}

    def to_python(self, value):
        return super().to_python(value.strip() if isinstance(value, str) else value)

    def validate(self, value):
        super().validate(value)
        if value is not None and not self.lowest <= value <= self.highest:
            raise ValidationError(
                _("Saisissez un nombre entier de %(lowest)s à %(highest)s.")
                % {"lowest": self.lowest, "highest": self.highest},
                code="range",
            )


def add_quote_errors(form, error: ValidationError):
    """The engine's ValidationError on the form: each message on the field it names (through the form's
    `facts_fields`, from a Facts name to a form field), the others on the form's `other_errors_field` or at the
    top of the error summary."""
    default = getattr(form, "other_errors_field", None)
    if hasattr(error, "error_dict"):
        for name, messages in error.message_dict.items():
            target = form.facts_fields.get(name, default)
            form.add_error(target if target in form.fields else None, messages)
    else:
        form.add_error(default, error.messages)


# ---------------------------------------------------------------------------------------------------------------
# « Estimer mon tarif »


@dataclass(frozen=True)
class Offer:
    """A service and period a family can estimate a tariff for: the grid in force for it."""

    period: Period
    grid: TariffGrid

    @property
    def label(self) -> str:
        return _("%(service)s — %(period)s") % {
            "service": self.period.service.name,
            "period": self.period.label,
        }


def offers(today=None) -> list[Offer]:
    """Per active service, its current and next periods (those not over yet) that have a grid in force."""
    found = []
    for service in selectors.services_offered():
        for period in selectors.periods_for_service(service, today=today).select_related("service")[:2]:
            grid = selectors.active_grid(period)
            if grid is not None and _parses(grid.data):
                found.append(Offer(period=period, grid=grid))
    return found


def _parses(data) -> bool:
    try:
        pricing.parse_grid(data)
    except ValidationError:
        return False
    return True


class ServiceChoiceForm(forms.Form):
    period = forms.TypedChoiceField(
        label=gettext_lazy("Service"),
        widget=forms.RadioSelect,
        coerce=int,
        error_messages={
            "required": gettext_lazy("Choisissez un service."),
            "invalid_choice": gettext_lazy(
                "Ce service n'a pas de tarif publié : choisissez-en un dans la liste."
            ),
        },
    )

    def __init__(self, *args, offers: list[Offer], **kwargs):
        super().__init__(*args, **kwargs)
        self.offers = {offer.period.pk: offer for offer in offers}
        self.fields["period"].choices = [(pk, offer.label) for pk, offer in self.offers.items()]

    def offer(self) -> Offer:
        return self.offers[self.cleaned_data["period"]]


class QfEstimateForm(forms.Form):
    """For a grid on the quotient familial (brackets or effort rate): the tax notice's two figures."""

    rfr = FrenchDecimalField(
        label=gettext_lazy("Revenu fiscal de référence (€)"),
        example="28 000",
        highest=Decimal(100_000_000),
        help_text=gettext_lazy(
            "Sur votre dernier avis d'impôt sur le revenu, ligne « Revenu fiscal de référence ». Par exemple : 28 000."
        ),
        error_messages={"required": gettext_lazy("Indiquez votre revenu fiscal de référence.")},
    )
    parts = FrenchDecimalField(
        label=gettext_lazy("Nombre de parts"),
        example="2,5",
        lowest=Decimal(1),
        highest=Decimal(50),
        help_text=gettext_lazy("Sur le même avis, ligne « Nombre de parts ». Par exemple : 2,5."),
        error_messages={"required": gettext_lazy("Indiquez le nombre de parts de votre foyer fiscal.")},
    )
    rank = forms.TypedChoiceField(
        label=gettext_lazy("Rang de l'enfant (facultatif)"),
        coerce=int,
        required=False,
        empty_value=1,
        choices=[
            ("", gettext_lazy("Non précisé (1er enfant)")),
            ("1", gettext_lazy("1er enfant inscrit (l'aîné)")),
            ("2", gettext_lazy("2e enfant inscrit")),
            ("3", gettext_lazy("3e enfant inscrit")),
            ("4", gettext_lazy("4e enfant inscrit")),
            ("5", gettext_lazy("5e enfant inscrit ou suivant")),
        ],
        help_text=gettext_lazy(
            "Parmi vos enfants inscrits à ce service, du plus âgé au plus jeune : cette grille prévoit un tarif réduit à partir d'un certain rang."
        ),
    )
    income_fields = ("rfr", "parts")
    facts_fields = {"rfr": "rfr", "parts": "parts", "qf": "rfr", "rank": "rank"}
    other_errors_field = None

    def __init__(self, *args, grid, declined=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.declined = declined
        uses_rank = isinstance(grid, pricing.BracketsGrid) and any(b.price_by_rank for b in grid.brackets)
        if not uses_rank:
            del self.fields["rank"]
        if declined:
            for name in self.income_fields:
                self.fields[name].required = False

    def groups(self):
        return [(None, list(self))]

    def facts(self) -> pricing.Facts:
        data = self.cleaned_data
        rank = data.get("rank") or 1
        if self.declined:
            return pricing.Facts(income_source="declined", rank=rank)
        return pricing.Facts(rfr=data["rfr"], parts=data["parts"], rank=rank, income_source="family")


class PsuEstimateForm(forms.Form):
    """For a crèche under the CNAF barème: the date, the household's resources and children, and optionally
    what the monthly fee needs."""

    start_date = forms.DateField(
        label=gettext_lazy("Date d'entrée souhaitée en crèche"),
        widget=DateInput(),
        help_text=gettext_lazy("Le barème de la CNAF en vigueur à cette date s'applique."),
        error_messages={
            "required": gettext_lazy("Indiquez la date d'entrée souhaitée."),
            "invalid": gettext_lazy("Saisissez une date valide, par exemple 06/10/2025."),
        },
    )
    annual_resources = FrenchDecimalField(
        label=gettext_lazy("Revenus annuels du foyer (€)"),
        example="36 000",
        highest=Decimal(100_000_000),
        required=False,
        help_text=gettext_lazy(
            "Le revenu fiscal de référence de votre avis d'impôt. Ou bien remplissez le champ suivant."
        ),
    )
    monthly_resources = FrenchDecimalField(
        label=gettext_lazy("Ou ressources mensuelles du foyer (€)"),
        example="3 000",
        highest=Decimal(10_000_000),
        required=False,
        help_text=gettext_lazy(
            "Si vous connaissez vos ressources mensuelles, à la place des revenus annuels."
        ),
    )
    children = WholeNumberField(
        label=gettext_lazy("Nombre d'enfants à charge dans le foyer"),
        lowest=1,
        highest=20,
        help_text=gettext_lazy("En comptant l'enfant accueilli en crèche."),
        error_messages={"required": gettext_lazy("Indiquez le nombre d'enfants à charge.")},
    )
    aeeh = WholeNumberField(
        label=gettext_lazy("Dont enfants bénéficiaires de l'AEEH (facultatif)"),
        lowest=0,
        highest=20,
        required=False,
        help_text=gettext_lazy(
            "Allocation d'éducation de l'enfant handicapé : chacun compte pour un enfant de plus dans le taux d'effort."
        ),
    )
    hours_per_week = FrenchDecimalField(
        label=gettext_lazy("Heures réservées par semaine"),
        example="40",
        highest=Decimal(168),
        required=False,
    )
    weeks_per_year = FrenchDecimalField(
        label=gettext_lazy("Semaines d'accueil par an"),
        example="45",
        highest=Decimal(53),
        required=False,
    )
    months = WholeNumberField(
        label=gettext_lazy("Nombre de mois facturés"),
        lowest=1,
        highest=12,
        required=False,
        help_text=gettext_lazy("Souvent 12, ou 11 si la crèche ferme un mois."),
    )
    income_fields = ("annual_resources", "monthly_resources")
    schedule_fields = ("hours_per_week", "weeks_per_year", "months")
    facts_fields = {
        "on": "start_date",
        "rfr": "annual_resources",
        "monthly_resources": "monthly_resources",
        "children": "children",
        "aeeh": "aeeh",
        "hours_per_week": "hours_per_week",
        "weeks_per_year": "weeks_per_year",
        "months": "months",
    }
    other_errors_field = "start_date"  # the barème's own errors: no figure for that date

    def __init__(self, *args, grid, declined=False, **kwargs):
        super().__init__(*args, **kwargs)
        self.declined = declined

    def groups(self):
        return [
            (None, [self[name] for name in self.fields if name not in self.schedule_fields]),
            (
                _("Pour estimer la mensualité (facultatif, les trois ensemble)"),
                [self[name] for name in self.schedule_fields],
            ),
        ]

    def clean(self):
        data = super().clean()
        annual, monthly = data.get("annual_resources"), data.get("monthly_resources")
        if (
            not self.declined
            and not self.has_error("annual_resources")
            and not self.has_error("monthly_resources")
        ):
            if annual is None and monthly is None:
                self.add_error(
                    "annual_resources", _("Indiquez vos revenus annuels ou vos ressources mensuelles.")
                )
            elif annual is not None and monthly is not None:
                self.add_error(
                    "monthly_resources",
                    _("Indiquez vos revenus annuels ou vos ressources mensuelles, pas les deux."),
                )
        aeeh, children = data.get("aeeh"), data.get("children")
        if aeeh and children and aeeh > children:
            self.add_error(
                "aeeh",
                _("Il ne peut pas y avoir plus d'enfants bénéficiaires de l'AEEH que d'enfants à charge."),
            )
        given = [name for name in self.schedule_fields if data.get(name) is not None]
        if given and len(given) < len(self.schedule_fields):
            for name in self.schedule_fields:
                if name not in given and not self.has_error(name):
                    self.add_error(
                        name,
                        _(
                            "Pour la mensualité, indiquez ensemble les heures par semaine, les semaines par an et le nombre de mois."
                        ),
                    )
        return data

    def facts(self) -> pricing.Facts:
        data = self.cleaned_data
        common = {
            "on": data["start_date"],
            "children": data["children"],
            "aeeh": data.get("aeeh") or 0,
            "hours_per_week": data.get("hours_per_week"),
            "weeks_per_year": data.get("weeks_per_year"),
            "months": Decimal(data["months"]) if data.get("months") is not None else None,
        }
        if self.declined:
            return pricing.Facts(income_source="declined", **common)
        return pricing.Facts(
            rfr=data.get("annual_resources"),
            monthly_resources=data.get("monthly_resources"),
            income_source="family",
            **common,
        )


@dataclass(frozen=True)
class Estimate:
    amount: str
    unit: str
    monthly: str | None
    explanation: list[str]
    highest_price: bool


@require_GET
def estimate(request):
    """Choose a service, then type what its grid needs; the quote and why. GET only, nothing stored."""
    available = offers()
    context = {"offers": available, "estimate": None, "offer": None, "form": None}
    choice = ServiceChoiceForm(request.GET or None, offers=available)
    context["choice"] = choice
    if not request.GET:
        return render(request, "cantine/estimate.html", context)
    if not choice.is_valid():
        return render(request, "cantine/estimate.html", context, status=400)

    offer = choice.offer()
    grid = pricing.parse_grid(offer.grid.data)
    form_class = PsuEstimateForm if isinstance(grid, pricing.PsuGrid) else QfEstimateForm
    declined = request.GET.get("income") == "declined"
    submitted = declined or any(name in request.GET for name in form_class.base_fields)
    data = request.GET.copy() if submitted else None
    if declined:
        for name in form_class.income_fields:  # not used, so neither checked nor shown back
            data.pop(name, None)
    form = form_class(data, grid=grid, declined=declined)
    context.update(offer=offer, form=form, declined=declined)
    if not submitted:
        return render(request, "cantine/estimate.html", context)
    if form.is_valid():
        bareme = selectors.psu_bareme() if isinstance(grid, pricing.PsuGrid) else None
        try:
            result = pricing.quote(grid, form.facts(), bareme=bareme)
        except ValidationError as error:
            add_quote_errors(form, error)
        else:
            context["estimate"] = Estimate(
                amount=euros(result.amount),
                unit=unit_label(result.unit),
                monthly=euros(result.monthly) if result.monthly is not None else None,
                explanation=list(result.explanation),
                highest_price=result.criteria.get("highest_price", False),
            )
            return render(request, "cantine/estimate.html", context)
    return render(request, "cantine/estimate.html", context, status=400)


# ---------------------------------------------------------------------------------------------------------------
# « Comparer un projet de grille » (admin)

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


HIGHEST = Category((8,), gettext_lazy("Tarif le plus élevé (revenus inconnus ou refusés)"))
UNCOMPUTABLE = Category((9,), gettext_lazy("Tarif non calculable"))


def signed_euros(value: Decimal) -> str:
    """« +12,50 € », « −3,00 € », « 0,00 € »: a change reads with its sign."""
    if value > 0:
        return f"+{euros(value)}"
    if value < 0:
        return f"\u2212{euros(-value)}"
    return euros(value)


def _amount(value: Decimal) -> str:
    """A QF bound as agents typed it: « 959 », « 1 370,01 »."""
    if value == value.to_integral_value():
        return number_format(int(value), force_grouping=True)
    return number_format(value, decimal_pos=2, force_grouping=True)


def category_of(grid: pricing.Grid, result: pricing.Quote) -> Category:
    criteria = result.criteria
    if criteria.get("highest_price"):
        return HIGHEST
    if isinstance(grid, pricing.BracketsGrid):
        index = criteria["bracket"]
        up_to = grid.brackets[index].up_to
        lower = Decimal(0) if index == 0 else grid.brackets[index - 1].up_to + pricing.CENT
        if up_to is None and index == 0:
            label = _("Tous les QF")
        elif up_to is None:
            label = _("QF à partir de %(lower)s") % {"lower": _amount(lower)}
        elif index == 0:
            label = _("QF jusqu'à %(up_to)s") % {"up_to": _amount(up_to)}
        else:
            label = _("QF de %(lower)s à %(up_to)s") % {"lower": _amount(lower), "up_to": _amount(up_to)}
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

    def figures(self) -> list[tuple[str, str]]:
        """The headline figures, as (term, value) for a description list."""
        unit = unit_label(self.unit)
        rows = [
            (_("Demandes comparées"), number_format(self.dossiers, force_grouping=True)),
            (_("Recette mensuelle estimée, grille en vigueur"), euros(self.revenue_before)),
            (_("Recette mensuelle estimée, projet"), euros(self.revenue_after)),
        ]
        change = signed_euros(self.revenue_change)
        if self.revenue_change_percent is not None:
            change += f" ({'+' if self.revenue_change_percent > 0 else ''}{number_format(self.revenue_change_percent, decimal_pos=1)}\u00a0%)"
        rows.append((_("Écart de recette mensuelle"), change))
        if self.average_change is not None:
            rows.append(
                (_("Évolution moyenne du tarif par demande"), f"{signed_euros(self.average_change)} {unit}")
            )
        return rows

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
        return pricing.quote(grid, facts, bareme=bareme)
    except ValidationError as error:
        for message in error.messages:
            comparison.errors[f"{which} : {message}"] += 1
        return None


def compare(grid: TariffGrid, draft: pricing.Grid) -> Comparison:
    """The grid and the draft, each over the period's current dossiers with today's facts (like for like)."""
    current = pricing.parse_grid(grid.data)
    bareme = (
        selectors.psu_bareme()
        if isinstance(current, pricing.PsuGrid) or isinstance(draft, pricing.PsuGrid)
        else None
    )
    comparison = Comparison(unit=current.unit)
    dossiers = (
        Dossier.objects.filter(period=grid.period, status__in=CURRENT_STATUSES)
        .select_related("child__household", "service", "period", "quote")
        .order_by("pk")
    )
    in_force, in_draft = _("Grille en vigueur"), _("Projet")
    for dossier in dossiers:
        comparison.dossiers += 1
        facts = selectors.tariff_facts(dossier)
        before = _quote_or_error(current, facts, bareme, comparison, in_force)
        after = _quote_or_error(draft, facts, bareme, comparison, in_draft)
        comparison.before[category_of(current, before) if before else UNCOMPUTABLE] += 1
        comparison.after[category_of(draft, after) if after else UNCOMPUTABLE] += 1
        stored = getattr(dossier, "quote", None)
        if stored is not None and before is not None and stored.amount != before.amount:
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


def grid_errors(error: ValidationError) -> list[str]:
    """parse_grid's messages, each naming its field (as the grid's own admin form does)."""
    return [
        message if name == NON_FIELD_ERRORS else f"{name} : {message}"
        for name, messages in error.message_dict.items()
        for message in messages
    ]


class DraftGridForm(forms.Form):
    draft = forms.CharField(
        label=gettext_lazy("Projet de grille (JSON)"),
        strip=False,
        widget=forms.Textarea(
            attrs={"rows": 18, "cols": 80, "spellcheck": "false", "class": "vLargeTextField"}
        ),
        help_text=gettext_lazy(
            "Le même format que l'export d'une grille. Rien n'est enregistré : modifiez les prix ou les tranches, puis comparez."
        ),
        error_messages={"required": gettext_lazy("Collez le projet de grille (JSON).")},
    )

    def __init__(self, *args, grid: TariffGrid, **kwargs):
        super().__init__(*args, **kwargs)
        self.grid = grid

    def clean_draft(self):
        text = self.cleaned_data["draft"]
        try:
            data = json.loads(text)
        except ValueError as error:
            raise ValidationError(
                _("Ce texte n'est pas du JSON valide (ligne %(line)s, colonne %(column)s).")
                % {"line": getattr(error, "lineno", "?"), "column": getattr(error, "colno", "?")}
            ) from error
        try:
            draft = pricing.parse_grid(data)
        except ValidationError as error:
            raise ValidationError(grid_errors(error)) from error
        if (draft.kind == "psu") != (self.grid.kind == "psu"):
            raise ValidationError(
                _(
                    "Le projet doit être du même genre que la grille comparée : le barème PSU pour une crèche, une grille au quotient familial (brackets ou effort_rate) sinon."
                )
            )
        current_unit = self.grid.data.get("unit", "hour" if self.grid.kind == "psu" else "meal")
        if draft.unit != current_unit:
            raise ValidationError(
                _(
                    "Le projet doit garder l'unité de la grille comparée (« %(unit)s ») : sinon les tarifs ne se comparent pas."
                )
                % {"unit": current_unit}
            )
        return draft


class GridComparisonAdminMixin:
    """Mixed into TariffGridAdmin: « Comparer un projet de grille » on a grid, for staff who may view it."""

    compare_template = "admin/cantine/tariffgrid/compare.html"

    def get_urls(self):
        return [
            path(
                "<int:pk>/comparer/",
                self.admin_site.admin_view(self.compare_view),
                name="cantine_tariffgrid_compare",
            ),
            *super().get_urls(),
        ]

    def compare_view(self, request, pk):
        grid = get_object_or_404(TariffGrid.objects.select_related("period__service"), pk=pk)
        if not self.has_view_permission(request, grid):
            raise PermissionDenied
        initial = {"draft": json.dumps(grid.data, indent=2, ensure_ascii=False)}
        form = DraftGridForm(request.POST or None, grid=grid, initial=initial)
        comparison = None
        if request.method == "POST" and form.is_valid():
            comparison = compare(grid, form.cleaned_data["draft"])
        context = {
            **self.admin_site.each_context(request),
            "title": _("Comparer un projet de grille"),
            "subtitle": str(grid),
            "grid": grid,
            "form": form,
            "comparison": comparison,
            "unit": unit_label(grid.data.get("unit", "hour" if grid.kind == "psu" else "meal")),
            "statuses": [Dossier.Status(status).label for status in CURRENT_STATUSES],
            "constants": {
                "school_weeks": SCHOOL_WEEKS_PER_YEAR,
                "school_months": SCHOOL_MONTHS_BILLED,
                "creche_weeks": CRECHE_WEEKS_PER_YEAR,
                "creche_months": CRECHE_MONTHS_BILLED,
            },
            "opts": self.model._meta,
        }
        return TemplateResponse(request, self.compare_template, context)
