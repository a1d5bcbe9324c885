from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from stationnement import roles
from stationnement.exports import export_response
from stationnement.models import (
    Application,
    ApplicationDocument,
    Card,
    ParkingGrid,
    StreetSegment,
    Zone,
    ZoneMap,
)
from stationnement.services import card_issue, zone_map_activate


class ZoneInline(admin.TabularInline):
    model = Zone
    extra = 0
    fields = ("code", "name")


@admin.register(ParkingGrid)
class ParkingGridAdmin(admin.ModelAdmin):
    list_display = ("version", "label", "is_active", "created_at")
    readonly_fields = ("version", "created_at", "created_by")

    def save_model(self, request, obj, form, change):
        if not change:
            obj.version = (ParkingGrid.objects.aggregate(latest=Max("version"))["latest"] or 0) + 1
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(ZoneMap)
class ZoneMapAdmin(admin.ModelAdmin):
    list_display = ("version", "label", "is_active", "created_at")
    readonly_fields = ("version", "is_active", "created_at", "created_by")
    inlines = [ZoneInline]
    actions = ["activate"]

    @admin.action(description=_("Mettre en vigueur la version choisie"))
    def activate(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Choisissez une seule version."), messages.ERROR)
            return
        zone_map_activate(zone_map=queryset.get(), agent=request.user)
        self.message_user(request, _("Version mise en vigueur."), messages.SUCCESS)

    def save_model(self, request, obj, form, change):
        if not change:
            obj.version = (ZoneMap.objects.aggregate(latest=Max("version"))["latest"] or 0) + 1
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


@admin.register(StreetSegment)
class StreetSegmentAdmin(admin.ModelAdmin):
    list_display = ("street", "postcode", "commune", "number_min", "number_max", "parity", "zone")
    list_filter = ("zone__zone_map",)
    search_fields = ("street", "street_key")
    list_select_related = ("zone", "zone__zone_map")


class DocumentInline(admin.TabularInline):
    model = ApplicationDocument
    extra = 0
    fields = ("kind", "content_type", "size", "uploaded_at")
    readonly_fields = fields
    can_delete = False


class ParkingAgentsOnly:
    """Resident parking is the parking agents' and the managers' (stationnement.roles)."""

    def has_module_permission(self, request):
        return roles.handles_parking(request.user) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return roles.handles_parking(request.user) and super().has_view_permission(request, obj)


@admin.register(Application)
class ApplicationAdmin(ParkingAgentsOnly, admin.ModelAdmin):
    list_display = (
        "__str__",
        "household",
        "status",
        "zone",
        "domicile_source",
        "vehicle_source",
        "submitted_at",
    )
    list_filter = ("status", "domicile_source", "vehicle_source")
    list_select_related = ("household__owner", "zone")
    search_fields = ("plate",)
    readonly_fields = [field.name for field in Application._meta.fields]
    inlines = [DocumentInline]
    actions = ["issue_cards"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Délivrer la carte des demandes choisies"))
    def issue_cards(self, request, queryset):
        issued = 0
        for application in queryset.filter(status=Application.Status.SUBMITTED):
            try:
                card_issue(application=application, agent=request.user)
                issued += 1
            except ValidationError as error:
                self.message_user(request, f"{application} : {' '.join(error.messages)}", messages.ERROR)
        self.message_user(request, _("%(count)d carte(s) délivrée(s).") % {"count": issued}, messages.SUCCESS)


@admin.register(Card)
class CardAdmin(ParkingAgentsOnly, admin.ModelAdmin):
    list_display = ("number", "zone", "starts_on", "ends_on", "ended_on", "amount")
    list_filter = ("zone__code",)
    list_select_related = ("zone",)
    search_fields = ("number",)
    readonly_fields = [field.name for field in Card._meta.fields if field.name != "token"]
    exclude = ("token",)
    actions = ["export_valid_cards"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Exporter les cartes valides de la zone (CSV)"))
    def export_valid_cards(self, request, queryset):
        codes = sorted({card.zone.code for card in queryset})
        if len(codes) != 1:
            self.message_user(request, _("Choisissez des cartes d'une seule zone."), messages.ERROR)
            return None
        return export_response(zone_code=codes[0], agent=request.user)
