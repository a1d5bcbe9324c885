"""The admin's long jobs (exports, re-quotes, grid comparisons): each agent sees the ones they started, their
progress while the task worker runs them, and downloads the file once done (the file is served only here, after the
access check); a comparison's page shows its result again."""

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from cantine.models import Job

# What a job's file needs, on top of having started it.
KIND_PERMISSIONS = {
    Job.Kind.EXPORT: "cantine.export_dossiers",
    Job.Kind.REQUOTE: "cantine.change_dossier",
    Job.Kind.COMPARISON: "cantine.view_tariffgrid",
}


def may_see(user, job) -> bool:
    return (job.created_by_id == user.pk or user.is_superuser) and user.has_perm(KIND_PERMISSIONS[job.kind])


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ["__str__", "status", "progress", "summary", "download"]
    list_filter = ["kind", "status"]
    fields = ["kind", "created_at", "status", "progress", "summary", "finished_at", "download", "result_page"]
    readonly_fields = fields
    change_form_template = "admin/cantine/job/change_form.html"

    def get_queryset(self, request):
        jobs = super().get_queryset(request).select_related("created_by")
        return jobs if request.user.is_superuser else jobs.filter(created_by=request.user)

    def has_view_permission(self, request, obj=None):
        return (
            request.user.is_active and request.user.is_staff and (obj is None or may_see(request.user, obj))
        )

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_staff

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("avancement"))
    def progress(self, obj):
        return format_html(
            '<progress max="100" value="{}" aria-label="{}">{} %</progress> {} / {}',
            obj.percent,
            _("avancement"),
            obj.percent,
            obj.done,
            obj.total or "?",
        )

    @admin.display(description=_("fichier"))
    def download(self, obj):
        if obj.status != Job.Status.DONE or not obj.file:
            return "—"
        url = reverse("admin:cantine_job_download", args=[obj.pk])
        return format_html('<a href="{}">{} {}</a>', url, _("Télécharger"), obj.filename)

    @admin.display(description=_("résultat"))
    def result_page(self, obj):
        if obj.kind != Job.Kind.COMPARISON or obj.status != Job.Status.DONE:
            return "—"
        url = reverse("admin:cantine_tariffgrid_compare", args=[obj.params["grid"]])
        return format_html('<a href="{}?traitement={}">{}</a>', url, obj.pk, _("Voir la comparaison"))

    def get_urls(self):
        download = self.admin_site.admin_view(self.download_view)
        return [path("<int:pk>/fichier/", download, name="cantine_job_download"), *super().get_urls()]

    def download_view(self, request, pk):
        job = get_object_or_404(self.get_queryset(request), pk=pk)
        if not may_see(request.user, job):
            raise PermissionDenied
        if job.status != Job.Status.DONE or not job.file:
            raise Http404("no file yet")
        return FileResponse(
            job.file.open("rb"), as_attachment=True, filename=job.filename, content_type=job.content_type
        )
