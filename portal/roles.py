"""What every démarche shares about agents: the managers' group, and the families an agent may see, which are
those of the dossiers they handle in any démarche (each démarche says which, portal.demarches)."""

from django.db.models import Q

from portal.demarches import demarches

MANAGERS = "Responsable"


def is_manager(user) -> bool:
    return user.is_active and (user.is_superuser or user.groups.filter(name=MANAGERS).exists())


def visible_families(user, queryset, *, via: str = "pk"):
    """Households with a dossier `user` handles, or their adults and children (`via="household"`). A superuser
    sees every family, with a dossier or not."""
    if user.is_active and user.is_superuser:
        return queryset
    handled = Q(pk__in=[])
    for demarche in demarches():
        handled |= Q(**{f"{via}__in": demarche.households_handled_by(user)})
    return queryset.filter(handled)


class VisibleFamiliesAdminMixin:
    """For the admin of households (`household_lookup = "pk"`), their adults and children ("household")."""

    household_lookup = "pk"

    def get_queryset(self, request):
        return visible_families(request.user, super().get_queryset(request), via=self.household_lookup)
