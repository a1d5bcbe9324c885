"""Agents, and dossiers as agents find them, for the back-office tests (actions, audit, notifications)."""

from django.contrib.auth.models import Group, Permission

from cantine import roles, services
from cantine.models import TariffGrid
from impot_client import services as impot_services
from tests.cantine.grids import PARIS
from tests.factories import DossierFactory, UserFactory
from tests.impot_client.conftest import grant, situation_for

AGENT_IP = "203.0.113.7"


def staff(*permissions, group=roles.CANTEEN_AGENTS):
    """A canteen agent (the group's permissions) with `permissions` on top, as "app_label.codename"."""
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    for permission in permissions:
        app_label, codename = permission.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return user


def grid_for(period, data=PARIS, version=1, is_active=True):
    return TariffGrid.objects.create(
        period=period, version=version, label="Délibération", data=data, is_active=is_active
    )


def with_grid(dossier, data=PARIS):
    grid_for(dossier.period, data)
    return dossier


def with_income(dossier, rfr=28000, parts="2.5", nb_pac=1):
    """Figures from DGFiP, through the real consent and storage: with the Paris grid, QF 933,33 and 2,28 €."""
    holder = dossier.child.household.adults.get(role="holder")
    impot_services._tax_data_store(
        consent=grant(dossier, mode="franceconnect"),
        situation=situation_for(holder, rfr=rfr, nb_parts=parts, nb_pac=nb_pac),
    )
    return dossier


def submitted(dossier):
    """The family sends its dossier."""
    return services.dossier_submit(dossier=dossier, user=dossier.child.household.owner)


def submitted_with_quote(**kwargs):
    """A canteen dossier sent with the Paris grid in force, its income declined: quoted 4,61 € a meal."""
    return submitted(with_grid(DossierFactory(**kwargs)))


def under_review(dossier, agent=None):
    return services.dossier_start_review(dossier=dossier, agent=agent or UserFactory(is_staff=True))
