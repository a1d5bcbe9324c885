"""Crèche places: capacities, the waiting list's criteria, committee sessions, the places offered and contracts."""

from django.contrib import admin
from django.template.loader import render_to_string
from django.utils.translation import gettext_lazy as _

from cantine import roles, selectors
from cantine.models import (
    CommitteeSession,
    CrecheCapacity,
    CrecheContract,
    Period,
    PlaceOffer,
    Service,
    WaitingListCriterion,
)
from cantine.roles import VisibleDossiersAdminMixin
from portal import formats
from portal.admin import ReadOnlyAdmin


@admin.register(CrecheCapacity)
class CrecheCapacityAdmin(admin.ModelAdmin):
    list_display = ["establishment", "age_group", "from_date", "places"]
    list_filter = ["establishment", "age_group"]


@admin.register(WaitingListCriterion)
class WaitingListCriterionAdmin(admin.ModelAdmin):
    list_display = ["code", "points", "is_active"]


@admin.register(CommitteeSession)
class CommitteeSessionAdmin(VisibleDossiersAdminMixin, admin.ModelAdmin):
    """A session's page lists the waiting list, by score with its breakdown, each with « Proposer une place »."""

    dossier_lookup = "period__"
    list_display = ["held_on", "period", "decision_date"]
    readonly_fields = ["places", "candidates"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "period":  # the crèche periods the agent handles
            kwargs["queryset"] = Period.objects.filter(
                service__kind=Service.Kind.CRECHE, service__kind__in=roles.service_kinds(request.user)
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def get_fields(self, request, obj=None):
        fields = ["period", "held_on", "decision_date"]
        return [*fields, "places", "candidates"] if obj is not None else fields

    @admin.display(description=_("places libres"))
    def places(self, obj):
        """On the session's date, or the period's start if later."""
        on = max(obj.held_on, obj.period.starts_on)
        return render_to_string(
            "admin/cantine/committeesession/_places.html",
            {"on": on, "places": selectors.places_free_by_section(obj.period, on)},
        )

    @admin.display(description=_("liste d'attente"))
    def candidates(self, obj):
        return render_to_string(
            "admin/cantine/committeesession/_ranking.html",
            {"candidates": selectors.waiting_list(service=obj.period.service, period=obj.period)},
        )


@admin.register(PlaceOffer)
class PlaceOfferAdmin(VisibleDossiersAdminMixin, ReadOnlyAdmin):
    dossier_lookup = "dossier__"
    list_display = ["dossier", "establishment", "age_group", "start_date", "deadline", "status", "decided_by"]
    list_filter = ["status", "establishment", "age_group"]


@admin.register(CrecheContract)
class CrecheContractAdmin(VisibleDossiersAdminMixin, ReadOnlyAdmin):
    dossier_lookup = "dossier__"
    list_display = ["dossier", "start_date", "weekly_hours", "rate", "fee", "confirmed_at"]

    @admin.display(description=_("heures par semaine"), ordering="hours_per_week")
    def weekly_hours(self, obj):
        return formats.number(obj.hours_per_week)

    @admin.display(description=_("tarif horaire"), ordering="hourly_rate")
    def rate(self, obj):
        return formats.euros(obj.hourly_rate)

    @admin.display(description=_("mensualité"), ordering="monthly_fee")
    def fee(self, obj):
        return formats.euros(obj.monthly_fee)
    exclude = ["explanation", "document"]  # they quote the household's income: shown with the fiscal data only
