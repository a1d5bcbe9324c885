from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cantine import services, workflow
from cantine.models import CrecheChoice, Dossier, DossierStatusChange, Establishment, Period, Service
from impot_client.selectors import income_status
from portal.admin import ReadOnlyAdmin


@admin.register(Establishment)
class EstablishmentAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name", "address"]


class PeriodInline(admin.TabularInline):
    model = Period
    extra = 0


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["name"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["establishments"]
    inlines = [PeriodInline]


@admin.register(Period)
class PeriodAdmin(admin.ModelAdmin):
    list_display = ["label", "service", "starts_on", "ends_on", "enrolment_opens_on", "enrolment_closes_on"]
    list_filter = ["service"]
    search_fields = ["label"]


class CrecheChoiceInline(admin.TabularInline):
    model = CrecheChoice
    extra = 0
    can_delete = False
    readonly_fields = ["rank", "establishment"]

    def has_add_permission(self, request, obj=None):
        return False


class HistoryInline(admin.TabularInline):
    model = DossierStatusChange
    extra = 0
    can_delete = False
    readonly_fields = ["at", "from_status", "to_status", "actor", "note"]
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


class DecisionForm(forms.Form):
    to_status = forms.ChoiceField(label=_("Décision"), widget=forms.RadioSelect)
    note = forms.CharField(
        label=_("Message à la famille"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Obligatoire pour un refus ou une demande de pièces : la famille le lira."),
    )

    def __init__(self, *args, dossier, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_status"].choices = [
            (status, Dossier.Status(status).label)
            for status in workflow.allowed_targets(dossier.status, workflow.Actor.AGENT)
        ]


@admin.register(Dossier)
class DossierAdmin(admin.ModelAdmin):
    list_display = [
        "reference",
        "child",
        "family",
        "service",
        "period",
        "establishment",
        "status",
        "submitted_at",
    ]
    list_filter = ["service", "period", "status", "establishment"]
    list_select_related = ["child__household__owner", "service", "period", "establishment"]
    search_fields = [
        "child__first_names",
        "child__last_name",
        "child__household__owner__email",
        "child__household__adults__last_name",
    ]
    date_hierarchy = "submitted_at"
    ordering = ["submitted_at", "created_at"]
    readonly_fields = [
        "reference",
        "status",
        "child",
        "family",
        "service",
        "period",
        "establishment",
        "canteen_days",
        "creche_start_date",
        "creche_schedule",
        "income",
        "created_at",
        "submitted_at",
        "updated_at",
    ]
    fields = readonly_fields
    inlines = [CrecheChoiceInline, HistoryInline]
    actions = ["start_review", "accept"]
    change_form_template = "admin/cantine/dossier/change_form.html"

    @admin.display(description=_("référence"))
    def reference(self, obj):
        return obj.reference

    @admin.display(description=_("revenus"))
    def income(self, obj):
        return income_status(obj).label

    @admin.display(description=_("famille"), ordering="child__household__owner__email")
    def family(self, obj):
        return obj.child.household

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        decide = self.admin_site.admin_view(self.decide_view)
        return [path("<int:pk>/decider/", decide, name="cantine_dossier_decide"), *super().get_urls()]

    def decide_view(self, request, pk):
        """One decision on one dossier, through the same service functions as everywhere else."""
        dossier = get_object_or_404(Dossier, pk=pk)
        if not self.has_change_permission(request, dossier):
            raise PermissionDenied
        form = DecisionForm(request.POST or None, dossier=dossier)
        if request.method == "POST" and form.is_valid():
            try:
                services.dossier_decide(
                    dossier=dossier,
                    agent=request.user,
                    to_status=form.cleaned_data["to_status"],
                    note=form.cleaned_data["note"],
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.message_user(
                    request,
                    _("Demande %(ref)s : %(status)s.")
                    % {"ref": dossier.reference, "status": dossier.get_status_display()},
                )
                return redirect(reverse("admin:cantine_dossier_change", args=[dossier.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Décision sur la demande %(ref)s") % {"ref": dossier.reference},
            "dossier": dossier,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/cantine/dossier/decide.html", context)

    def _bulk(self, request, queryset, to_status):
        done, refused = 0, []
        for dossier in queryset:
            try:
                services.dossier_decide(dossier=dossier, agent=request.user, to_status=to_status)
                done += 1
            except ValidationError as error:
                refused.append(f"{dossier.reference} : {' '.join(error.messages)}")
        if done:
            self.message_user(request, ngettext("%d demande traitée.", "%d demandes traitées.", done) % done)
        for line in refused:
            self.message_user(request, line, level=messages.WARNING)

    @admin.action(description=_("Passer en instruction"), permissions=["change"])
    def start_review(self, request, queryset):
        self._bulk(request, queryset, Dossier.Status.UNDER_REVIEW)

    @admin.action(description=_("Accepter"), permissions=["change"])
    def accept(self, request, queryset):
        self._bulk(request, queryset, Dossier.Status.ACCEPTED)


@admin.register(DossierStatusChange)
class DossierStatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["dossier", "from_status", "to_status", "at", "actor"]
    list_filter = ["to_status"]
    search_fields = ["dossier__child__last_name"]
