import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from cantine import pricing, services, workflow
from cantine.models import (
    CrecheChoice,
    Dossier,
    DossierStatusChange,
    Establishment,
    Period,
    PsuEffortRate,
    PsuResourceLimit,
    Service,
    TariffGrid,
)
from cantine.simulators import GridComparisonAdminMixin
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
        "tariff",
        "created_at",
        "submitted_at",
        "updated_at",
    ]
    fields = readonly_fields
    inlines = [CrecheChoiceInline, HistoryInline]
    actions = ["start_review", "accept", "recompute_tariff"]
    change_form_template = "admin/cantine/dossier/change_form.html"

    @admin.display(description=_("référence"))
    def reference(self, obj):
        return obj.reference

    @admin.display(description=_("revenus"))
    def income(self, obj):
        return income_status(obj).label

    @admin.display(description=_("tarif"))
    def tariff(self, obj):
        quote = getattr(obj, "quote", None)
        if quote is None:
            return _("pas encore calculé (aucune grille en vigueur à l'envoi)")
        return format_html(
            "<strong>{} € / {}</strong> — {} v{}, {}<ul>{}</ul>",
            quote.amount,
            quote.unit,
            _("grille"),
            quote.grid.version,
            quote.computed_at.strftime("%d/%m/%Y %H:%M"),
            format_html_join("", "<li>{}</li>", ((line,) for line in quote.explanation)),
        )

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

    @admin.action(
        description=_("Recalculer le tarif (grille en vigueur, revenus actuels)"), permissions=["change"]
    )
    def recompute_tariff(self, request, queryset):
        done = sum(
            services.dossier_quote_compute(dossier=dossier, actor=request.user) is not None
            for dossier in queryset.exclude(status=Dossier.Status.DRAFT)
        )
        self.message_user(request, ngettext("%d tarif recalculé.", "%d tarifs recalculés.", done) % done)


@admin.register(DossierStatusChange)
class DossierStatusChangeAdmin(ReadOnlyAdmin):
    list_display = ["dossier", "from_status", "to_status", "at", "actor"]
    list_filter = ["to_status"]
    search_fields = ["dossier__child__last_name"]


def checked_grid(data):
    """The grid JSON if cantine.pricing accepts it, else its French messages, each naming its field."""
    try:
        pricing.parse_grid(data)
    except ValidationError as error:
        raise ValidationError(
            [
                message if field == "__all__" else f"{field} : {message}"
                for field, messages in error.message_dict.items()
                for message in messages
            ]
        ) from error
    return data


class TariffGridForm(forms.ModelForm):
    """The grid as JSON (the import/export format), checked by cantine.pricing with its French messages."""

    data = forms.JSONField(
        label=_("Grille (JSON)"),
        widget=forms.Textarea(attrs={"rows": 16, "cols": 80, "spellcheck": "false"}),
        help_text=_(
            'Exemple : {"kind": "brackets", "qf_formula": "rfr/12/parts", "unit": "meal", '
            '"brackets": [{"up_to": "622", "price": "1.00"}, {"up_to": null, "price": "3.50"}]}'
        ),
    )

    class Meta:
        model = TariffGrid
        fields = ["period", "label", "data"]

    def clean_data(self):
        return checked_grid(self.cleaned_data["data"])


class GridImportForm(forms.Form):
    period = forms.ModelChoiceField(label=_("Période"), queryset=Period.objects.select_related("service"))
    label = forms.CharField(label=_("Libellé"), max_length=200)
    file = forms.FileField(label=_("Fichier JSON exporté d'une grille"))

    def clean_file(self):
        try:
            data = json.loads(self.cleaned_data["file"].read().decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as error:
            raise ValidationError(_("Ce fichier n'est pas du JSON lisible (UTF-8).")) from error
        return checked_grid(data)


@admin.register(TariffGrid)
class TariffGridAdmin(GridComparisonAdminMixin, admin.ModelAdmin):
    form = TariffGridForm
    list_display = ["period", "version", "label", "kind", "is_active", "used_by", "cantine_a_1_euro"]
    list_filter = ["period__service", "period", "is_active"]
    list_select_related = ["period__service"]
    readonly_fields = ["version", "is_active", "created_at", "created_by", "check_cantine_a_1_euro", "links"]
    actions = ["activate"]
    change_list_template = "admin/cantine/tariffgrid/change_list.html"

    @admin.display(description=_("demandes"))
    def used_by(self, obj):
        return obj.quotes.count()

    @admin.display(description=_("cantine à 1 €"), boolean=True)
    def cantine_a_1_euro(self, obj):
        return pricing.cantine_a_1_euro(pricing.parse_grid(obj.data))[0] if obj.kind == "brackets" else None

    @admin.display(description=_("conditions « cantine à 1 € »"))
    def check_cantine_a_1_euro(self, obj):
        if obj is None or not obj.pk:
            return "—"
        met, reasons = pricing.cantine_a_1_euro(pricing.parse_grid(obj.data))
        if met:
            return _(
                "Remplies : au moins 3 tranches, une à 1 € ou moins couvrant QF ≤ 1000, une au-dessus de 1 €."
            )
        return format_html_join(" ", "<span>{}</span>", ((reason,) for reason in reasons))

    @admin.display(description=_("outils"))
    def links(self, obj):
        if obj is None or not obj.pk:
            return "—"
        return format_html(
            '<a href="{}">{}</a> · <a href="{}">{}</a>',
            reverse("admin:cantine_tariffgrid_export", args=[obj.pk]),
            _("Exporter en JSON"),
            reverse("admin:cantine_tariffgrid_compare", args=[obj.pk]),
            _("Comparer un projet de grille"),
        )

    def save_model(self, request, obj, form, change):
        """Through the service: a version a quote uses becomes a new version instead of changing."""
        original = TariffGrid.objects.get(pk=obj.pk) if change else None
        saved = services.tariff_grid_save(
            period=obj.period, data=obj.data, label=obj.label, agent=request.user, grid=original
        )
        if original is not None and saved.pk != original.pk:
            self.message_user(
                request,
                _(
                    "La version %(old)s est utilisée par des demandes : vos changements forment la version %(new)s."
                )
                % {"old": original.version, "new": saved.version},
                level=messages.WARNING,
            )
        obj.pk, obj.version = saved.pk, saved.version

    def has_delete_permission(self, request, obj=None):
        return obj is None or not obj.in_use

    @admin.action(description=_("Mettre en vigueur pour sa période"), permissions=["change"])
    def activate(self, request, queryset):
        for grid in queryset.order_by("version"):
            services.tariff_grid_activate(grid=grid)
        self.message_user(
            request,
            _("Grille(s) mise(s) en vigueur. Les tarifs déjà calculés ne changent qu'en les recalculant."),
        )

    def get_urls(self):
        return [
            path(
                "<int:pk>/export/",
                self.admin_site.admin_view(self.export_view),
                name="cantine_tariffgrid_export",
            ),
            path("importer/", self.admin_site.admin_view(self.import_view), name="cantine_tariffgrid_import"),
            *super().get_urls(),
        ]

    def export_view(self, request, pk):
        grid = get_object_or_404(TariffGrid, pk=pk)
        if not self.has_view_permission(request, grid):
            raise PermissionDenied
        response = JsonResponse(grid.data, json_dumps_params={"ensure_ascii": False, "indent": 2})
        response["Content-Disposition"] = (
            f'attachment; filename="grille-{grid.period.service.slug}-v{grid.version}.json"'
        )
        return response

    def import_view(self, request):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = GridImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            grid = services.tariff_grid_save(
                period=form.cleaned_data["period"],
                data=form.cleaned_data["file"],
                label=form.cleaned_data["label"],
                agent=request.user,
            )
            self.message_user(
                request, _("Grille importée : version %(version)s.") % {"version": grid.version}
            )
            return redirect(reverse("admin:cantine_tariffgrid_change", args=[grid.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Importer une grille (JSON)"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/cantine/tariffgrid/import.html", context)


class BaremeFigureAdmin(admin.ModelAdmin):
    """Barème figures: the ones public sources did not confirm are flagged, for an agent to check."""

    list_filter = ["confirmed"]

    @admin.display(description=_("à vérifier"))
    def to_check(self, obj):
        return "" if obj.confirmed else _("⚠ non confirmé : vérifiez la source")


@admin.register(PsuEffortRate)
class PsuEffortRateAdmin(BaremeFigureAdmin):
    list_display = [
        "valid_from",
        "establishment",
        "children_min",
        "children_max",
        "rate_percent",
        "to_check",
        "source",
    ]
    list_filter = ["confirmed", "establishment", "valid_from"]


@admin.register(PsuResourceLimit)
class PsuResourceLimitAdmin(BaremeFigureAdmin):
    list_display = ["valid_from", "floor", "ceiling", "to_check", "source"]
