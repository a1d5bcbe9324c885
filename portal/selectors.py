"""Reads on family data, always scoped to the signed-in account."""

from dataclasses import dataclass

from django.http import Http404
from django.shortcuts import get_object_or_404

from portal.demarches import demarches
from portal.models import Adult, Child, Household


def household_for(user) -> Household:
    """The household the account owns; agents and other accounts without one get a 404."""
    try:
        return user.household
    except Household.DoesNotExist:
        raise Http404("no household") from None


def children_for_household(household):
    return household.children.select_related("school").order_by("birth_date")


def child_get_for_family(*, user, pk) -> Child:
    return get_object_or_404(Child.objects.select_related("school"), pk=pk, household__owner=user)


def adult_for_role(household, role) -> Adult | None:
    return household.adults.filter(role=role).first()


def is_certified(user) -> bool:
    """Whether the account's civil status comes from FranceConnect (and so is read-only)."""
    return hasattr(user, "franceconnect")


@dataclass(frozen=True)
class DossierRow:
    """One dossier on the family's dashboard, with the template of the démarche it belongs to."""

    dossier: object
    template: str


def dossier_rows_for_household(household) -> list[DossierRow]:
    """The household's dossiers in every démarche, newest first."""
    rows = [
        DossierRow(dossier, demarche.dossier_row_template)
        for demarche in demarches()
        for dossier in demarche.dossiers_for_household(household)
    ]
    return sorted(rows, key=lambda row: row.dossier.created_at, reverse=True)
