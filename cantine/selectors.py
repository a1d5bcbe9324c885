"""Reads on enrolment data, always scoped to the family asking, and what a tariff computation reads."""

import dataclasses
from decimal import Decimal

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone

from cantine.models import (
    CrecheChoice,
    Dossier,
    Period,
    PsuEffortRate,
    PsuResourceLimit,
    Service,
    TariffGrid,
)
from cantine.pricing import Facts
from cantine.psu_bareme import Bareme, EffortRate, ResourceLimits
from impot_client.selectors import income_status


def dossiers_for_household(household):
    return (
        Dossier.objects.filter(child__household=household)
        .select_related("child", "service", "period", "establishment")
        .order_by("-created_at")
    )


def dossier_get_for_family(*, user, pk) -> Dossier:
    """The dossier if it belongs to the user's household, 404 otherwise (never 403: ids are not confirmed)."""
    queryset = Dossier.objects.select_related(
        "child__household", "service", "period", "establishment", "quote__grid"
    ).prefetch_related(
        Prefetch("creche_choices", queryset=CrecheChoice.objects.select_related("establishment")), "history"
    )
    return get_object_or_404(queryset, pk=pk, child__household__owner=user)


def services_offered():
    return Service.objects.filter(is_active=True).order_by("name")


def periods_for_service(service, today=None):
    """Periods not yet over, with the open ones first so families see what they can apply for."""
    today = today or timezone.localdate()
    return Period.objects.filter(service=service, ends_on__gte=today).order_by("starts_on")


def active_grid(period) -> TariffGrid | None:
    return TariffGrid.objects.filter(period=period, is_active=True).first()


def psu_bareme() -> Bareme:
    """The barème agents maintain in the admin (shipped by a data migration from cantine.psu_bareme)."""
    return Bareme(
        rates=tuple(_as(EffortRate, row) for row in PsuEffortRate.objects.all()),
        limits=tuple(_as(ResourceLimits, row) for row in PsuResourceLimit.objects.all()),
    )


def _as(figure_class, row):
    return figure_class(
        **{field.name: getattr(row, field.name) for field in dataclasses.fields(figure_class)}
    )


def child_rank(dossier) -> int:
    """The child's rank among the household's children enrolled in the same service and period, eldest first:
    some grids price the 3rd child and beyond lower."""
    enrolled = (
        Dossier.objects.filter(
            child__household=dossier.child.household, service=dossier.service, period=dossier.period
        )
        .exclude(status__in=[Dossier.Status.CANCELLED, Dossier.Status.REJECTED])
        .order_by("child__birth_date", "child_id")
        .values_list("child_id", flat=True)
    )
    children = list(dict.fromkeys(enrolled))
    return children.index(dossier.child_id) + 1 if dossier.child_id in children else len(children) + 1


def tariff_facts(dossier) -> Facts:
    """What the household brings to the tariff: usable income figures (never a mismatch nor a notice waiting
    for an agent), or why there are none; the child's rank; for a crèche, the PSU inputs."""
    income = income_status(dossier)
    data = income.tax_data
    usable = data is not None and data.usable_for_tariff
    source = {"obtained": "dgfip", "checked": "notice", "declined": "declined"}.get(income.state, "none")
    household = dossier.child.household
    children = household.children.all()
    facts = {
        "rfr": Decimal(data.rfr) if usable else None,
        "parts": data.nb_parts if usable else None,
        "income_source": source if usable or source == "declined" else "none",
        "rank": child_rank(dossier),
    }
    if dossier.service.kind == Service.Kind.CRECHE:
        facts.update(
            on=dossier.creche_start_date or dossier.period.starts_on,
            children=max(data.nb_pac or 0, len(children)) if usable else len(children),
            aeeh=sum(1 for child in children if child.has_disability),
        )
    return Facts(**facts)


def renewal_period(dossier, today=None) -> Period | None:
    """The next period of the dossier's service open for enrolment today, if the child is not enrolled in it yet:
    an accepted family re-enrols from there."""
    if dossier.status != Dossier.Status.ACCEPTED:
        return None
    today = today or timezone.localdate()
    period = (
        Period.objects.filter(
            service=dossier.service,
            starts_on__gt=dossier.period.starts_on,
            enrolment_opens_on__lte=today,
            enrolment_closes_on__gte=today,
        )
        .order_by("starts_on")
        .first()
    )
    already = (
        period is not None
        and Dossier.objects.filter(child=dossier.child, service=dossier.service, period=period)
        .exclude(status=Dossier.Status.CANCELLED)
        .exists()
    )
    return None if already else period
