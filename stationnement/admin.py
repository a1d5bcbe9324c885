from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from portal.admin import ReadOnlyAdmin
from portal.uploads import DOCUMENT_TYPES
from portal.versions import NewVersionOnSaveAdmin, grid_json_field, next_version
from stationnement import roles, selectors, services
from stationnement.exports import export_response
from stationnement.forms import IssueForm, RefusalForm
from stationnement.models import (
    Application,
    ApplicationDocument,
    Card,
    IncomeFigures,
    ParkingGrid,
    StreetSegment,
    Zone,
    ZoneMap,
)
from stationnement.services import card_issue, zone_map_activate


class VersionedAdmin(NewVersionOnSaveAdmin, admin.ModelAdmin):
    """Zone maps and parking grids: a version a card or an application uses is never changed in place (saving
    makes the next version, portal.versions); putting a version in force is its own audited action."""

    in_use_message = _(
        "La version %(old)s est utilisée par des cartes ou des demandes : vos changements forment la version %(new)s."
    )
    list_display = ("version", "label", "is_active", "used", "created_at")
    readonly_fields = ("version", "is_active", "created_at", "created_by")
    actions = ["activate"]

    @admin.display(description=_("utilisée"), boolean=True)
    def used(self, obj):
        return obj.in_use

    @admin.action(description=_("Mettre en vigueur la version choisie"), permissions=["change"])
    def activate(self, request, queryset):
        if queryset.count() != 1:
            self.message_user(request, _("Choisissez une seule version."), messages.ERROR)
            return
        self.version_activate(version=queryset.get(), agent=request.user)
        self.message_user(
            request,
            _("Version mise en vigueur. Les cartes et demandes déjà faites gardent la leur."),
            messages.SUCCESS,
        )

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or not obj.in_use)


class ParkingGridForm(forms.ModelForm):
    """The grid as the JSON of pricing.parking, checked by the tariff engine with its French messages."""

    data = grid_json_field(
        example='{"kind": "parking", "prices": {"month": "15", "quarter": "40", "year": "150"}, "max_vehicles": 2}'
    )

    class Meta:
        model = ParkingGrid
        fields = ["label", "data"]

    def clean_data(self):
        services.parking_grid_check(self.cleaned_data["data"])
        return self.cleaned_data["data"]


@admin.register(ParkingGrid)
class ParkingGridAdmin(VersionedAdmin):
    form = ParkingGridForm

    def save_version(self, request, obj, form, change):
        saved = services.parking_grid_save(
            data=obj.data,
            label=obj.label,
            agent=request.user,
            grid=ParkingGrid.objects.get(pk=obj.pk) if change else None,
        )
        obj.pk, obj.version, obj.is_active = saved.pk, saved.version, saved.is_active
        return saved, {}

    def version_activate(self, *, version, agent):
        services.parking_grid_activate(grid=version, agent=agent)


class ZoneInline(admin.TabularInline):
    model = Zone
    extra = 0
    fields = ("code", "name")
    show_change_link = True  # its street segments are edited on the zone's page


@admin.register(ZoneMap)
class ZoneMapAdmin(VersionedAdmin):
    inlines = [ZoneInline]

    def save_version(self, request, obj, form, change):
        if not change:
            obj.version, obj.created_by = next_version(ZoneMap.objects), request.user
            obj.save()
            return obj, {}
        target, copies = services.zone_map_edit(zone_map=obj, agent=request.user)
        target.label = obj.label
        target.save(update_fields=["label"])
        obj.pk, obj.version, obj.is_active = target.pk, target.version, target.is_active
        return target, copies

    def version_activate(self, *, version, agent):
        zone_map_activate(zone_map=version, agent=agent)


class StreetSegmentInline(admin.TabularInline):
    model = StreetSegment
    extra = 1
    fields = ("street", "postcode", "commune", "number_min", "number_max", "parity")


@admin.register(Zone)
class ZoneAdmin(NewVersionOnSaveAdmin, admin.ModelAdmin):
    """A zone and its street segments, reached from its zone map's page. A change to a zone of a map in use is made
    on a new version of the whole map."""

    in_use_message = VersionedAdmin.in_use_message
    list_display = ("code", "name", "zone_map")
    list_filter = ("zone_map",)
    list_select_related = ("zone_map",)
    fields = ("zone_map", "code", "name")
    readonly_fields = ("zone_map",)
    inlines = [StreetSegmentInline]

    def has_add_permission(self, request):
        return False  # zones are added on their map's page

    def has_delete_permission(self, request, obj=None):
        return False  # removed on their map's page, which keeps a map in use as it was

    def version_of(self, obj):
        return obj.zone_map

    def save_version(self, request, obj, form, change):
        target, copies = services.zone_map_edit(zone_map=obj.zone_map, agent=request.user)
        if copies:
            obj.pk, obj.zone_map = copies[Zone][obj.pk], target
        obj.save()
        return target, copies


@admin.register(StreetSegment)
class StreetSegmentAdmin(ReadOnlyAdmin):
    """Every map's segments, to search; they are changed on their zone's page (so a map in use gets a new
    version)."""

    list_display = ("street", "postcode", "commune", "number_min", "number_max", "parity", "zone_link")
    list_filter = ("zone__zone_map",)
    search_fields = ("street", "street_key")
    list_select_related = ("zone", "zone__zone_map")

    @admin.display(description=_("zone"))
    def zone_link(self, obj):
        return format_html(
            '<a href="{}">{} ({})</a>',
            reverse("admin:stationnement_zone_change", args=[obj.zone_id]),
            obj.zone,
            obj.zone.zone_map,
        )


class DocumentInline(admin.TabularInline):
    model = ApplicationDocument
    extra = 0
    fields = ("kind", "content_type", "size", "uploaded_at")
    readonly_fields = fields
    can_delete = False


class IncomeInline(admin.StackedInline):
    """The social tariff's figures, for the agent who checks an application the resident's identity did not settle."""

    model = IncomeFigures
    extra = 0
    fields = (
        "source",
        "certified",
        "year",
        "month",
        "qf",
        "rfr",
        "nb_parts",
        "identity_mismatch",
        "obtained_at",
    )
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


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
    inlines = [DocumentInline, IncomeInline]
    actions = ["issue_cards"]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        decide = self.admin_site.admin_view(self.decide_view)
        document = self.admin_site.admin_view(self.document_view)
        return [
            path("<int:pk>/decider/", decide, name="stationnement_application_decide"),
            path("<int:pk>/pieces/<int:document>/", document, name="stationnement_application_document"),
            *super().get_urls(),
        ]

    def _application(self, request, pk):
        application = self.get_object(request, str(pk))
        if application is None or not self.has_view_permission(request, application):
            raise Http404
        return application

    def decide_view(self, request, pk):
        """Issue the card (the zone chosen by the agent when the address did not settle it) or refuse, with the
        reason the resident reads."""
        application = self._application(request, pk)
        zone_map = selectors.zone_map_in_force()
        issue_form = IssueForm(
            request.POST if "issue" in request.POST else None,
            zone_map=zone_map,
            initial={"zone": application.zone},
        )
        refuse_form = RefusalForm(request.POST if "refuse" in request.POST else None)
        if request.method == "POST" and self.has_change_permission(request, application):
            try:
                if "issue" in request.POST and issue_form.is_valid():
                    card = services.card_issue(
                        application=application, agent=request.user, zone=issue_form.cleaned_data["zone"]
                    )
                    self.message_user(
                        request, _("Carte %(number)s délivrée.") % {"number": card.number}, messages.SUCCESS
                    )
                    return redirect("admin:stationnement_application_change", application.pk)
                if "refuse" in request.POST and refuse_form.is_valid():
                    services.application_refuse(
                        agent=request.user, application=application, reason=refuse_form.cleaned_data["reason"]
                    )
                    self.message_user(request, _("Demande refusée."), messages.SUCCESS)
                    return redirect("admin:stationnement_application_change", application.pk)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.ERROR)
        context = {
            **self.admin_site.each_context(request),
            "application": application,
            "problem": selectors.Domicile.REASONS.get(application.domicile_problem, ""),
            "issue_form": issue_form,
            "refuse_form": refuse_form,
            "opts": self.model._meta,
            "title": _("Décider"),
        }
        return render(request, "admin/stationnement/application/decide.html", context)

    def document_view(self, request, pk, document):
        """A resident's proof, for the agents who handle parking only; never cached, always downloaded."""
        application = self._application(request, pk)
        found = get_object_or_404(application.documents, pk=document)
        extension = DOCUMENT_TYPES.get(found.content_type, "bin")
        response = FileResponse(
            found.file.open("rb"),
            content_type=found.content_type,
            as_attachment=True,
            filename=f"piece-{found.pk}.{extension}",
        )
        response["Cache-Control"] = "private, no-store"
        return response

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
