"""The dossier list's filters: what makes a dossier wait, its tariff, how long ago the family sent it."""

from datetime import timedelta

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from cantine import roles
from cantine.income.selectors import (
    DECLARANTS_TO_CHECK,
    benefit_data_awaiting_agent,
    income_state,
    tax_data_awaiting_agent,
)
from cantine.models import Dossier, Establishment, Period, Service
from cantine.selectors import children_to_count
from impot_client.models import TaxNotice
from portal.sql import keys_among


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
    """What makes a dossier wait for someone: an agent's check, or the family.

    The flags are income_state() (the one definition), computed for the few dossiers that can raise them only:
    those the partial indexes taxdata_awaiting_agent, benefitdata_unconfirmed and taxnotice_to_check
    name (one UNION of index scans), never for each of the list's 100 000 rows; the list then keeps those
    dossiers by primary key (one query more)."""

    title = _("signalement")
    parameter_name = "signalement"
    table = {
        "identite": ({"income_state__in": DECLARANTS_TO_CHECK}, _("identité à vérifier")),
        "avis": ({"income_state": "notice"}, _("avis d'imposition à vérifier")),
        "famille": ({"status": Dossier.Status.AWAITING_DOCUMENTS}, _("en attente de la famille")),
        "enfants": ({}, _("enfant ajouté au foyer à compter")),
    }

    def queryset(self, request, queryset):
        value = self.value()
        if value not in self.table:
            return queryset
        if value == "enfants":  # on the dossier and its household's children: no income state to compute
            return queryset.filter(children_to_count())
        lookup = self.table[value][0]
        candidates = self.candidates(value)
        if candidates is None:  # a column of the dossier itself
            return queryset.filter(**lookup)
        flagged = (  # unordered: the list orders them
            Dossier.objects.filter(pk__in=candidates)
            .annotate(income_state=income_state())
            .filter(**lookup)
            .order_by()
        )
        # Their keys, read here (a few thousand at most): as a subquery, PostgreSQL cannot tell how few they are
        # and joins the whole list to them; as one array it can.
        return queryset.filter(pk__in=keys_among(flagged.values_list("pk", flat=True)))

    @staticmethod
    def candidates(value):
        """The dossiers that may carry the flag (a superset the state then narrows), from partial indexes."""
        if value == "identite":
            return (
                tax_data_awaiting_agent()
                .values("dossier")
                .union(benefit_data_awaiting_agent().values("dossier"), all=True)
            )
        if value == "avis":
            return TaxNotice.objects.filter(status=TaxNotice.Status.TO_CHECK).values("dossier")
        return None


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


class SmallTableFilter(admin.RelatedFieldListFilter):
    """A filter on a service, period or establishment whose choices come from that small table, narrowed to the
    services the agent handles, and not (as RelatedOnlyFieldListFilter does) from a scan of every dossier."""

    def field_choices(self, field, request, model_admin):
        model = field.related_model
        kinds = roles.service_kinds(request.user)
        queryset = {
            Service: lambda: Service.objects.filter(kind__in=kinds).order_by("name"),
            Period: lambda: (
                Period.objects.filter(service__kind__in=kinds)
                .select_related("service")
                .order_by("service__name", "-starts_on")
            ),
            Establishment: lambda: (
                Establishment.objects.filter(services__kind__in=kinds).distinct().order_by("name")
            ),
        }[model]()
        return [(obj.pk, str(obj)) for obj in queryset]
