"""« Estimer mon tarif », for families, anonymous: the services a family can estimate a tariff for, the forms
that ask what each grid needs, and the estimate. No account, no session, no database write."""

from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

import pricing
from cantine import selectors
from cantine.models import Period, TariffGrid
from cantine.tariffs.errors import add_form_errors
from cantine.tariffs.fields import FrenchDecimalField, WholeNumberField
from cantine.tariffs.formats import euros, unit_label
from portal.forms import DateInput


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
    except pricing.GridError:
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


def estimate_for(grid: pricing.Grid, form: QfEstimateForm | PsuEstimateForm) -> Estimate | None:
    """The quote for a valid form's facts, as the page prints it; None with the engine's refusal on the form."""
    bareme = selectors.psu_bareme() if isinstance(grid, pricing.PsuGrid) else None
    try:
        result = pricing.quote(grid, form.facts(), bareme=bareme)
    except pricing.PricingError as error:
        add_form_errors(form, error, form.facts_fields, form.other_errors_field)
        return None
    return Estimate(
        amount=euros(result.amount),
        unit=unit_label(result.unit),
        monthly=euros(result.monthly) if result.monthly is not None else None,
        explanation=list(result.explanation),
        highest_price=result.criteria.get("highest_price", False),
    )
