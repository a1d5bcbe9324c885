"""Tariff grids (versions, JSON import and export, the council comparison) and the CNAF barème figures."""

import json

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

import pricing
from cantine import services
from cantine.models import Period, PsuEffortRate, PsuResourceLimit, TariffGrid
from cantine.tariffs.admin_comparison import GridComparisonAdminMixin
from cantine.tariffs.errors import clean_grid
from portal.audit import client_ip
from portal.versions import NewVersionOnSaveAdmin, grid_json_field

GRID_KINDS = {
    "brackets": _("tranches de quotient familial"),
    "effort_rate": _("taux d'effort"),
    "psu": _("barème PSU de la CNAF"),
}


def checked_grid(data):
    """The grid JSON if the pricing engine accepts it, else its French messages, each naming its field."""
    clean_grid(data)
    return data


class TariffGridForm(forms.ModelForm):
    """The grid as JSON (the import/export format), checked by the pricing engine with its French messages."""

    data = grid_json_field(
        example='{"kind": "brackets", "qf_formula": "rfr/12/parts", "unit": "meal", '
        '"brackets": [{"up_to": "622", "price": "1.00"}, {"up_to": null, "price": "3.50"}]}'
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
class TariffGridAdmin(NewVersionOnSaveAdmin, GridComparisonAdminMixin, admin.ModelAdmin):
    form = TariffGridForm
    list_display = ["period", "version", "label", "kind_label", "is_active", "used_by", "cantine_a_1_euro"]
    list_filter = ["period__service", "period", "is_active"]
    list_select_related = ["period__service"]
    readonly_fields = ["version", "is_active", "created_at", "created_by", "check_cantine_a_1_euro", "links"]
    actions = ["activate"]
    change_list_template = "admin/cantine/tariffgrid/change_list.html"

    @admin.display(description=_("type de grille"))
    def kind_label(self, obj):
        return GRID_KINDS.get(obj.kind, obj.kind)

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

    def save_version(self, request, obj, form, change):
        """Through the service: a version a quote uses becomes a new version instead of changing."""
        saved = services.tariff_grid_save(
            period=obj.period,
            data=obj.data,
            label=obj.label,
            agent=request.user,
            grid=TariffGrid.objects.get(pk=obj.pk) if change else None,
            ip=client_ip(request),
        )
        obj.pk, obj.version = saved.pk, saved.version
        return saved, {}

    def has_delete_permission(self, request, obj=None):
        return super().has_delete_permission(request, obj) and (obj is None or not obj.in_use)

    @admin.action(description=_("Mettre en vigueur pour sa période"), permissions=["change"])
    def activate(self, request, queryset):
        for grid in queryset.order_by("version"):
            services.tariff_grid_activate(grid=grid, agent=request.user, ip=client_ip(request))
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
                ip=client_ip(request),
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
