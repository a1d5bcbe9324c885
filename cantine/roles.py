"""Who sees what in the agents' admin. An agent handles the dossiers of the service kinds of their groups; the
groups are created, with their permissions, by the migration cantine/0006_roles. Seeing tax figures is a
permission of its own (`cantine.view_fiscal_data`), which a commune grants per person or through "Responsable"."""

from cantine.models import Dossier, Service
from portal.roles import MANAGERS

CANTEEN_AGENTS = "Agent restauration scolaire"
CRECHE_AGENTS = "Agent petite enfance"

SERVICE_KINDS = {
    CANTEEN_AGENTS: frozenset({Service.Kind.CANTEEN}),
    CRECHE_AGENTS: frozenset({Service.Kind.CRECHE}),
    MANAGERS: frozenset(Service.Kind.values),
}
FISCAL_DATA_PERMISSION = "cantine.view_fiscal_data"


def service_kinds(user) -> frozenset[str]:
    """The kinds of service whose dossiers `user` handles: every kind for a superuser, none for a family.
    Cached on the user object, as Django caches permissions, since a page asks several times."""
    if not (user.is_active and user.is_staff):
        return frozenset()
    if user.is_superuser:
        return frozenset(Service.Kind.values)
    if not hasattr(user, "_service_kinds_cache"):
        names = user.groups.values_list("name", flat=True)
        user._service_kinds_cache = frozenset().union(*(SERVICE_KINDS.get(name, ()) for name in names))
    return user._service_kinds_cache


def visible_dossiers(user, queryset, *, via: str = ""):
    """`queryset` narrowed to what `user` handles: dossiers, or rows about one when `via` leads to it
    ("dossier__" for consents, notices, tax data). A superuser sees everything."""
    if user.is_active and user.is_superuser:
        return queryset
    return queryset.filter(**{f"{via}service__kind__in": service_kinds(user)})


def households_handled_by(user):
    """The households of the dossiers `user` handles (portal.roles shows agents those families)."""
    return visible_dossiers(user, Dossier.objects.all()).values("child__household")


def can_see_service(user, service) -> bool:
    return service.kind in service_kinds(user)


def can_view_fiscal_data(user) -> bool:
    """Tax figures (income, QF, the tariff's detailed computation): agents without it see the tariff and its
    source, not the amounts."""
    return user.is_active and user.is_staff and user.has_perm(FISCAL_DATA_PERMISSION)


class VisibleDossiersAdminMixin:
    """For the admin of dossiers, or of rows about one (`dossier_lookup = "dossier__"`): lists, pages, actions
    and the views built on `get_queryset` only reach what the agent handles; anything else is a 404."""

    dossier_lookup = ""

    def get_queryset(self, request):
        return visible_dossiers(request.user, super().get_queryset(request), via=self.dossier_lookup)
