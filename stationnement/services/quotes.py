"""The price of an application: its vehicle rank and income facts given to the parking tariff engine."""

from datetime import date
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from pricing.errors import PricingError
from pricing.facts import SOURCE_KEYS
from pricing.parking import ParkingFacts, parking_quote, parse_parking_grid
from stationnement.models import (
    Application,
    Card,
    IncomeFigures,
)
from stationnement.selectors import grid_in_force


def vehicle_rank(application: Application, today: date) -> int:
    """The rank of this vehicle among the household's cards valid today (a household holds a few): the card it
    replaces, and another card of the same plate, do not count."""
    valid = Card.objects.filter(
        household=application.household, starts_on__lte=today, ends_on__gte=today, ended_on__isnull=True
    ).exclude(pk=application.replaces_id)
    return sum(1 for plates in valid.values_list("plates", flat=True) if application.plate not in plates) + 1


def income_facts(application: Application, tariff) -> dict:
    """The social tariff's facts from the figures the resident shared, when the grid is deliberated on their source
    and the people matched; nothing otherwise (the full price, said by the engine)."""
    income = IncomeFigures.objects.filter(application=application).first()
    if income is None or income.identity_mismatch or SOURCE_KEYS[income.source] not in tariff.income:
        return {}
    if income.source == IncomeFigures.Source.DGFIP:
        figures = {"rfr": Decimal(income.rfr), "parts": income.nb_parts}
    else:
        figures = {"qf": Decimal(income.qf), "qf_year": income.year, "qf_month": income.month}
    return {"income_source": income.source, "show_figures": income.certified, **figures}


def application_quote(application: Application, today: date) -> None:
    """The amount and why, with the grid in force; a refusal the deliberation makes is said, not priced."""
    grid = grid_in_force()
    if grid is None:
        raise ValidationError(
            _("La commune n'a pas encore publié le tarif des cartes résident."), code="no_grid"
        )
    try:
        tariff = parse_parking_grid(grid.data)
        facts = ParkingFacts(
            duration=application.duration,
            rank=vehicle_rank(application, today),
            environmental_class=application.environmental_class,
            **income_facts(application, tariff),
        )
        result = parking_quote(tariff, facts)
    except PricingError as error:
        raise ValidationError(error.messages, code="refused") from error
    application.grid, application.amount, application.explanation = (
        grid,
        result.amount,
        list(result.explanation),
    )
