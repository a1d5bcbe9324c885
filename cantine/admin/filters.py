"""The dossier list's filters: what makes a dossier wait, its tariff, how long ago the family sent it."""

from datetime import timedelta

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cantine.income.selectors import DECLARANTS_TO_CHECK
from cantine.models import Dossier


class TableFilter(admin.SimpleListFilter):
    """A filter whose options come from `table`: value in the URL → (queryset filter, label)."""

    table: dict = {}

    def lookups(self, request, model_admin):
        return [(value, label) for value, (_lookup, label) in self.table.items()]

    def queryset(self, request, queryset):
        if self.value() not in self.table:
            return queryset
        return queryset.filter(**self.table[self.value()][0])


class FlagFilter(TableFilter):
    """What makes a dossier wait for someone: an agent's check, or the family."""

    title = _("signalement")
    parameter_name = "signalement"
    table = {
        "identite": ({"income_state__in": DECLARANTS_TO_CHECK}, _("identité à vérifier")),
        "avis": ({"income_state": "notice"}, _("avis d'imposition à vérifier")),
        "famille": ({"status": Dossier.Status.AWAITING_DOCUMENTS}, _("en attente de la famille")),
    }


class TariffFilter(TableFilter):
    title = _("tarif")
    parameter_name = "tarif"
    table = {
        "aucun": ({"quote__isnull": True}, _("pas encore calculé")),
        "revenus": (
            {"quote__income_source__in": ["dgfip", "notice", "direct"]},
            _("calculé sur les revenus"),
        ),
        "plus-eleve": (
            {"quote__income_source__in": ["declined", "withdrawn", "none"]},
            _("le plus élevé (revenus non communiqués ou inconnus)"),
        ),
        "modifie": ({"quote__overridden_amount__isnull": False}, _("modifié par un agent")),
    }


class AgeFilter(admin.SimpleListFilter):
    """Days since the family sent the dossier, in the buckets a service watches."""

    title = _("ancienneté de la demande")
    parameter_name = "anciennete"
    buckets = {
        "moins-7": (0, 7, _("moins de 7 jours")),
        "7-30": (7, 30, _("de 7 à 30 jours")),
        "plus-30": (30, None, _("plus de 30 jours")),
    }

    def lookups(self, request, model_admin):
        return [(value, label) for value, (_low, _high, label) in self.buckets.items()]

    def queryset(self, request, queryset):
        if self.value() not in self.buckets:
            return queryset
        low, high, _label = self.buckets[self.value()]
        now = timezone.now()
        queryset = queryset.filter(submitted_at__lte=now - timedelta(days=low))
        return queryset if high is None else queryset.filter(submitted_at__gt=now - timedelta(days=high))
