from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils.translation import gettext_lazy as _

from portal.uploads import DOCUMENT_TYPES
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
from stationnement.services import card_issue, next_version, zone_map_activate


class ZoneInline(admin.TabularInline):
    model = Zone
    extra = 0
    fields = ("code", "name")


class VersionedAdmin(admin.ModelAdmin):
    """A new zone map or grid is the next version, by the agent who made it."""

    def save_model(self, request, obj, form, change):
        if not change:
            obj.version, obj.created_by = next_version(type(obj)), request.user
        super().save_model(request, obj, form, change)


@admin.register(ParkingGrid)
class ParkingGridAdmin(VersionedAdmin):
    list_display = ("version", "label", "is_active", "created_at")
    readonly_fields = ("version", "created_at", "created_by")



@admin.register(ZoneMap)
class ZoneMapAdmin(VersionedAdmin):
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
