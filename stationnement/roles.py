"""Who handles resident parking in the agents' admin: the group « Agent stationnement » (created with its
permissions by stationnement's migration 0002) and the managers."""

from portal.roles import MANAGERS
from stationnement.models import Application

PARKING_AGENTS = "Agent stationnement"


def handles_parking(user) -> bool:
    if not (user.is_active and user.is_staff):
        return False
    return user.is_superuser or user.groups.filter(name__in=(PARKING_AGENTS, MANAGERS)).exists()


def households_handled_by(user):
    """The households of the applications `user` handles (portal.roles shows agents those families)."""
    applications = Application.objects.all() if handles_parking(user) else Application.objects.none()
    return applications.values("household")
