from django.contrib import admin, messages
from django.db.models import Max
from django.utils.translation import gettext_lazy as _

from stationnement.models import StreetSegment, Zone, ZoneMap
from stationnement.services import zone_map_activate


class ZoneInline(admin.TabularInline):
    model = Zone
    extra = 0
    fields = ("code", "name")


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
