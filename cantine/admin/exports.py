"""The « Exporter pour la facturation » page of the dossier admin, mixed into DossierAdmin."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpResponse, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from cantine.exports import FORMATS, csv_chunks, dossiers_export, dossiers_export_audit, export_rows
from cantine.models import Period
from portal.audit import client_ip


class BillingExportForm(forms.Form):
    period = forms.ModelChoiceField(
        label=_("Service et période"),
        queryset=Period.objects.select_related("service").order_by("service__name", "-starts_on"),
        help_text=_("Seules les demandes acceptées sont exportées."),
    )
    file_format = forms.ChoiceField(
        label=_("Format"),
        choices=[
            ("csv", _("CSV (UTF-8, séparateur « ; », décimales avec un point)")),
            ("xlsx", _("Excel (XLSX)")),
        ],
        widget=forms.RadioSelect,
        initial="csv",
    )


class BillingExportAdminMixin:
    def get_urls(self):
        export = self.admin_site.admin_view(self.billing_export_view)
        return [path("exporter/", export, name="cantine_dossier_export"), *super().get_urls()]

    def billing_export_view(self, request):
        """Who may export is a permission of its own (« Responsable »); the export is audited."""
        if not request.user.has_perm("cantine.export_dossiers"):
            raise PermissionDenied
        form = BillingExportForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            period, file_format = form.cleaned_data["period"], form.cleaned_data["file_format"]
            export = {
                "agent": request.user,
                "service": period.service,
                "period": period,
                "file_format": file_format,
            }
            if file_format == "csv":  # streamed as it is written: flat memory, the first bytes at once
                with transaction.atomic():
                    dossiers_export_audit(**export, ip=client_ip(request))
                rows = export_rows(service=period.service, period=period)
                response = StreamingHttpResponse(csv_chunks(rows), content_type=FORMATS["csv"][1])
            else:
                content, content_type = dossiers_export(**export, ip=client_ip(request))
                response = HttpResponse(content, content_type=content_type)
            filename = f"facturation-{period.service.slug}-{period.starts_on:%Y}.{file_format}"
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            return response
        context = {
            **self.admin_site.each_context(request),
            "title": _("Exporter pour la facturation"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/cantine/dossier/export.html", context)
