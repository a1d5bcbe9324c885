"""« Comparer un projet de grille » in the admin: the draft's form and the page, mixed into TariffGridAdmin. The
comparison itself runs in the task worker (a cantine.models.Job: over 30 000 dossiers it outlasts a request); the
page shows a finished one's aggregates again (`?traitement=<job>`)."""

import json

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cantine.models import Dossier, Job, TariffGrid
from cantine.services.jobs import job_start
from cantine.tariffs.council import (
    CRECHE_MONTHS_BILLED,
    CRECHE_WEEKS_PER_YEAR,
    CURRENT_STATUSES,
    SCHOOL_MONTHS_BILLED,
    SCHOOL_WEEKS_PER_YEAR,
    Comparison,
)
from cantine.tariffs.errors import clean_grid
from cantine.tariffs.formats import unit_label


class DraftGridForm(forms.Form):
    draft = forms.CharField(
        label=gettext_lazy("Projet de grille (JSON)"),
        strip=False,
        widget=forms.Textarea(
            attrs={"rows": 18, "cols": 80, "spellcheck": "false", "class": "vLargeTextField"}
        ),
        help_text=gettext_lazy(
            "Le même format que l'export d'une grille. Rien n'est enregistré : modifiez les prix ou les tranches, puis comparez."
        ),
        error_messages={"required": gettext_lazy("Collez le projet de grille (JSON).")},
    )

    def __init__(self, *args, grid: TariffGrid, **kwargs):
        super().__init__(*args, **kwargs)
        self.grid = grid

    def clean_draft(self):
        text = self.cleaned_data["draft"]
        try:
            data = json.loads(text)
        except ValueError as error:
            raise ValidationError(
                _("Ce texte n'est pas du JSON valide (ligne %(line)s, colonne %(column)s).")
                % {"line": getattr(error, "lineno", "?"), "column": getattr(error, "colno", "?")}
            ) from error
        draft = clean_grid(data)
        self.draft_data = data  # what the job is given: JSON, parsed again there
        if (draft.kind == "psu") != (self.grid.kind == "psu"):
            raise ValidationError(
                _(
                    "Le projet doit être du même genre que la grille comparée : le barème PSU pour une crèche, une grille au quotient familial (brackets ou effort_rate) sinon."
                )
            )
        current_unit = self.grid.data.get("unit", "hour" if self.grid.kind == "psu" else "meal")
        if draft.unit != current_unit:
            raise ValidationError(
                _(
                    "Le projet doit garder l'unité de la grille comparée (« %(unit)s ») : sinon les tarifs ne se comparent pas."
                )
                % {"unit": current_unit}
            )
        return draft


class GridComparisonAdminMixin:
    """Mixed into TariffGridAdmin: « Comparer un projet de grille » on a grid, for staff who may view it."""

    compare_template = "admin/cantine/tariffgrid/compare.html"

    def get_urls(self):
        return [
            path(
                "<int:pk>/comparer/",
                self.admin_site.admin_view(self.compare_view),
                name="cantine_tariffgrid_compare",
            ),
            *super().get_urls(),
        ]

    def compare_view(self, request, pk):
        grid = get_object_or_404(TariffGrid.objects.select_related("period__service"), pk=pk)
        if not self.has_view_permission(request, grid):
            raise PermissionDenied
        job = self._finished_comparison(request, grid)
        draft = job.params["draft"] if job is not None else grid.data
        form = DraftGridForm(
            request.POST or None,
            grid=grid,
            initial={"draft": json.dumps(draft, indent=2, ensure_ascii=False)},
        )
        if request.method == "POST" and form.is_valid():
            job = job_start(
                kind=Job.Kind.COMPARISON,
                agent=request.user,
                params={"grid": grid.pk, "draft": form.draft_data},
            )
            self.message_user(
                request,
                _(
                    "La comparaison est lancée : son résultat s'affichera ici une fois calculé, et sera à télécharger."
                ),
            )
            return redirect(reverse("admin:cantine_job_change", args=[job.pk]))
        comparison = Comparison.from_data(job.result) if job is not None else None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Comparer un projet de grille"),
            "subtitle": str(grid),
            "grid": grid,
            "form": form,
            "comparison": comparison,
            "job": job,
            "unit": unit_label(grid.data.get("unit", "hour" if grid.kind == "psu" else "meal")),
            "statuses": [Dossier.Status(status).label for status in CURRENT_STATUSES],
            "constants": {
                "school_weeks": SCHOOL_WEEKS_PER_YEAR,
                "school_months": SCHOOL_MONTHS_BILLED,
                "creche_weeks": CRECHE_WEEKS_PER_YEAR,
                "creche_months": CRECHE_MONTHS_BILLED,
            },
            "opts": self.model._meta,
        }
        return TemplateResponse(request, self.compare_template, context)

    def _finished_comparison(self, request, grid) -> Job | None:
        """The comparison job `?traitement=` names, of this grid, finished, started by this agent (any, for a
        superuser); None without the parameter. Anyone else's, or a job still running: not found."""
        number = request.GET.get("traitement")
        if number is None:
            return None
        if not number.isdigit():
            raise Http404("not a job number")
        jobs = Job.objects.filter(kind=Job.Kind.COMPARISON, status=Job.Status.DONE, params__grid=grid.pk)
        if not request.user.is_superuser:
            jobs = jobs.filter(created_by=request.user)
        return get_object_or_404(jobs, pk=number)
