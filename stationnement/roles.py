"""Who handles resident parking in the agents' admin: the group « Agent stationnement » (created with its
permissions by stationnement's migration 0002) and the managers."""

from portal.roles import MANAGERS
from stationnement.models import Application

PARKING_AGENTS = "Agent stationnement"


def handles_parking(user) -> bool:
    """Cached on the user object, as Django caches permissions: the admin asks once per model on every page."""
    if not (user.is_active and user.is_staff):
        return False
    if user.is_superuser:
        return True
    if not hasattr(user, "_handles_parking_cache"):
        user._handles_parking_cache = user.groups.filter(name__in=(PARKING_AGENTS, MANAGERS)).exists()
    return user._handles_parking_cache


def households_handled_by(user):
    """The households of the applications `user` handles (portal.roles shows agents those families)."""
    applications = Application.objects.all() if handles_parking(user) else Application.objects.none()
    return applications.values("household")
