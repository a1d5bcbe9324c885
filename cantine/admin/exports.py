"""The « Exporter pour la facturation » page of the dossier admin, mixed into DossierAdmin."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from cantine import services
from cantine.models import Job, Period
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
        """Who may export is a permission of its own (« Responsable »); the export is audited. The file is written
        by the task worker (cantine.services.jobs), never inside the request: the agent follows its progress on the
        job's page and downloads it there."""
        if not request.user.has_perm("cantine.export_dossiers"):
            raise PermissionDenied
        form = BillingExportForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            period, file_format = form.cleaned_data["period"], form.cleaned_data["file_format"]
            job = services.job_start(
                kind=Job.Kind.EXPORT,
                agent=request.user,
                params={"period": period.pk, "file_format": file_format, "ip": client_ip(request)},
            )
            self.message_user(
                request, _("L'export est lancé : le fichier sera à télécharger ici une fois prêt.")
            )
            return redirect(reverse("admin:cantine_job_change", args=[job.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Exporter pour la facturation"),
            "form": form,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/cantine/dossier/export.html", context)
