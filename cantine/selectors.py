"""Reads on enrolment data, always scoped to the family asking."""

from django.db.models import Prefetch
from django.shortcuts import get_object_or_404
from django.utils import timezone

from cantine.models import CrecheChoice, Dossier, Period, Service


def dossiers_for_household(household):
    return (
        Dossier.objects.filter(child__household=household)
        .select_related("child", "service", "period", "establishment")
        .order_by("-created_at")
    )


def dossier_get_for_family(*, user, pk) -> Dossier:
    """The dossier if it belongs to the user's household, 404 otherwise (never 403: ids are not confirmed)."""
    queryset = Dossier.objects.select_related(
        "child__household", "service", "period", "establishment"
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
