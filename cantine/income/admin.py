"""The agents' admin of a dossier's income step: consents, tax figures and tax notices, each reached through the
dossiers the agent handles."""

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from cantine.income import services
from cantine.models import BenefitRefreshSchedule
from cantine.roles import VisibleDossiersAdminMixin, can_view_fiscal_data
from cantine.services import fiscal_data_view
from impot_client.models import TaxData, TaxNotice
from portal.admin import ReadOnlyAdmin
from portal.audit import client_ip
from portal.models import Consent


class DossierRowAdmin(VisibleDossiersAdminMixin, ReadOnlyAdmin):
    """Rows about a dossier: an agent reaches only those of the services they handle (cantine.roles)."""

    dossier_lookup = "dossier__"


@admin.register(Consent)
class ConsentAdmin(DossierRowAdmin):
    list_display = ["dossier", "decision", "mode", "given_at", "withdrawn_at"]
    list_filter = ["decision", "mode"]
    list_select_related = ["dossier__child", "dossier__service"]  # Dossier.__str__: one query for the page
    search_fields = ["dossier__child__last_name", "user__email"]


@admin.register(TaxData)
class TaxDataAdmin(DossierRowAdmin):
    """The amounts only on a record's page, for users with cantine.view_fiscal_data, each look audited. The list
    never shows them: it would show many households' income at once, unaudited."""

    list_display = ["dossier", "source", "year", "identity_mismatch", "confirmed_at", "obtained_at"]
    list_filter = ["source", "identity_mismatch", "year"]
    list_select_related = ["dossier__child", "dossier__service"]  # Dossier.__str__: one query for the page
    search_fields = ["dossier__child__last_name"]
    exclude = ["numero_fiscal", "declarant_keys"]

    def get_exclude(self, request, obj=None):
        if can_view_fiscal_data(request.user):
            return self.exclude
        return [*self.exclude, "rfr", "nb_parts", "nb_pac"]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        tax_data = self.get_object(request, unquote(object_id))
        if tax_data is not None and request.method == "GET" and self.has_view_permission(request, tax_data):
            fiscal_data_view(dossier=tax_data.dossier, agent=request.user, ip=client_ip(request))
        return super().change_view(request, object_id, form_url, extra_context)


class NoticeFiguresForm(forms.Form):
    year = forms.IntegerField(label=_("Année des revenus"), min_value=2000, max_value=2100)
    rfr = forms.IntegerField(label=_("Revenu fiscal de référence (€)"), min_value=0)
    nb_parts = forms.DecimalField(label=_("Nombre de parts"), min_value=1, max_value=30, decimal_places=2)
    nb_pac = forms.IntegerField(label=_("Personnes à charge"), min_value=0, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["year"].initial = timezone.localdate().year - 1


@admin.register(TaxNotice)
class TaxNoticeAdmin(DossierRowAdmin):
    list_display = ["__str__", "dossier", "status", "scan_status", "content_type", "uploaded_at"]
    list_filter = ["status", "scan_status"]
    list_select_related = ["dossier__child", "dossier__service"]  # Dossier.__str__: one query for the page
    search_fields = ["dossier__child__last_name"]
    exclude = ["file"]
    readonly_fields = ["download", "enter"]

    def get_readonly_fields(self, request, obj=None):
        """The file and the figures typed from it are fiscal data: no link to them without the permission."""
        return self.readonly_fields if can_view_fiscal_data(request.user) else []

    @admin.display(description=_("fichier"))
    def download(self, obj):
        if not obj.file:
            return _("effacé (l'avis a servi)")
        if obj.quarantined:
            return _("En quarantaine : l'antivirus ne l'a pas encore analysé.")
        return format_html(
            '<a href="{}">{}</a>', reverse("impot:notice_file", args=[obj.pk]), _("Télécharger")
        )

    @admin.display(description=_("montants"))
    def enter(self, obj):
        if obj.quarantined:
            return "—"
        url = reverse("admin:impot_client_taxnotice_enter", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Saisir les montants de cet avis"))

    def get_urls(self):
        enter = self.admin_site.admin_view(self.enter_view)
        return [path("<int:pk>/saisir/", enter, name="impot_client_taxnotice_enter"), *super().get_urls()]

    def enter_view(self, request, pk):
        """The agent reads the notice and types the figures; they are recorded as checked by them. Reading a
        notice is seeing a household's income: the fiscal-data permission, not only the view one."""
        notice = get_object_or_404(self.get_queryset(request).select_related("dossier"), pk=pk)
        if not (self.has_view_permission(request, notice) and can_view_fiscal_data(request.user)):
            raise PermissionDenied
        if notice.quarantined:  # not found clean by the antivirus yet: nobody at the commune opens it
            self.message_user(
                request, _("Cet avis est en quarantaine tant que l'antivirus ne l'a pas analysé."), messages.WARNING
            )
            return redirect(reverse("admin:impot_client_taxnotice_change", args=[notice.pk]))
        form = NoticeFiguresForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.tax_data_enter_from_notice(
                    agent=request.user, notice=notice, ip=client_ip(request), **form.cleaned_data
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                self.message_user(
                    request,
                    _("Montants enregistrés pour la demande %s : son tarif est recalculé.") % notice.dossier.reference,
                )
                return redirect(reverse("admin:cantine_dossier_change", args=[notice.dossier_id]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Saisir les montants de l'avis"),
            "notice": notice,
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/cantine/income/taxnotice_enter.html", context)


@admin.register(BenefitRefreshSchedule)
class BenefitRefreshScheduleAdmin(admin.ModelAdmin):
    """The commune chooses a date; `refresh_family_benefits`, run daily, asks the CAF and the MSA again then."""

    list_display = ["run_on", "label", "done_at", "refreshed", "failed"]
    readonly_fields = ["done_at", "refreshed", "failed"]
