"""Writes on the admin's long jobs (cantine.models.Job): started by an agent, queued for the task worker, run there
with their progress recorded, and erased with their file after JOB_RETENTION."""

import csv
import io
import logging
import tempfile
from functools import partial

from django.core.files import File
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _

import pricing
from cantine import exports
from cantine.models import JOB_RETENTION, Job, Period, TariffGrid
from cantine.services.quotes import quotes_recompute
from cantine.tariffs import council

logger = logging.getLogger(__name__)
PROGRESS_EVERY = 1000  # rows written between two progress updates


@transaction.atomic
def job_start(*, kind: str, agent, params: dict) -> Job:
    """Record the job and queue it for the worker once committed: the request returns at once."""
    from cantine.tasks import job_run

    job = Job.objects.create(kind=kind, created_by=agent, params=params)
    transaction.on_commit(partial(job_run.enqueue, job.pk), robust=True)
    return job


def _progress(job: Job, done: int, total: int) -> None:
    Job.objects.filter(pk=job.pk).update(done=done, total=total)


def job_execute(*, job: Job) -> Job:
    """Run a queued job (the worker calls this). A failure is recorded on the job for the agent to see."""
    if Job.objects.filter(pk=job.pk, status=Job.Status.QUEUED).update(status=Job.Status.RUNNING) != 1:
        return job  # already run, or running, elsewhere
    try:
        summary = {Job.Kind.EXPORT: _export, Job.Kind.REQUOTE: _requote, Job.Kind.COMPARISON: _comparison}[
            job.kind
        ](job)
    except Exception as error:  # whatever stopped it, the agent reads that it failed
        logger.warning("cantine: job %s (%s) failed: %s", job.pk, job.kind, type(error).__name__)
        job.status, job.summary = (
            Job.Status.FAILED,
            _("Le traitement a échoué : relancez-le ou prévenez le support."),
        )
    else:
        job.status, job.summary = Job.Status.DONE, summary
    job.finished_at = timezone.now()
    job.save(update_fields=["status", "summary", "finished_at", "file", "filename", "content_type", "result"])
    return job


def _export(job: Job) -> str:
    period = Period.objects.select_related("service").get(pk=job.params["period"])
    file_format = job.params["file_format"]
    with transaction.atomic():
        total = exports.dossiers_export_audit(
            agent=job.created_by,
            service=period.service,
            period=period,
            file_format=file_format,
            ip=job.params.get("ip"),
        )
    _progress(job, 0, total)

    def rows():
        for done, row in enumerate(exports.export_rows(service=period.service, period=period), start=1):
            if done % PROGRESS_EVERY == 0:
                _progress(job, done, total)
            yield row

    with tempfile.TemporaryFile() as out:
        exports.export_write(rows(), file_format, out)
        out.seek(0)
        job.filename = f"facturation-{period.service.slug}-{period.starts_on:%Y}.{file_format}"
        job.content_type = exports.FORMATS[file_format][1]
        job.file.save(job.filename, File(out), save=False)
    _progress(job, total, total)
    return _("%(rows)s demande(s) exportée(s).") % {"rows": total}


def _requote(job: Job) -> str:
    done = quotes_recompute(
        dossier_ids=job.params["dossier_ids"],
        agent=job.created_by,
        ip=job.params.get("ip"),
        progress=partial(_progress, job),
    )
    return _("%(done)s tarif(s) recalculé(s).") % {"done": done}


def _comparison(job: Job) -> str:
    """« Comparer un projet de grille »: the aggregates kept on the job for its page, and as a CSV to download (the
    same conventions as the billing export: UTF-8 with a BOM, « ; »)."""
    grid = TariffGrid.objects.select_related("period__service").get(pk=job.params["grid"])
    comparison = council.compare(
        grid, pricing.parse_grid(job.params["draft"]), progress=partial(_progress, job)
    )
    job.result = comparison.as_data()
    text = io.StringIO()
    writer = csv.writer(text, delimiter=";", lineterminator="\r\n")
    writer.writerow([_("Comparaison d'un projet de grille"), str(grid)])
    writer.writerows([exports.csv_text(cell) for cell in line] for line in comparison.csv_lines())
    job.filename = f"comparaison-{grid.period.service.slug}-{grid.period.starts_on:%Y}-v{grid.version}.csv"
    job.content_type = exports.FORMATS["csv"][1]
    job.file.save(job.filename, ContentFile(("\ufeff" + text.getvalue()).encode()), save=False)
    return _("%(dossiers)s demande(s) comparée(s) ; écart de recette mensuelle : %(change)s.") % {
        "dossiers": number_format(comparison.dossiers, force_grouping=True),
        "change": comparison.revenue_change_words,
    }


def jobs_purge(*, now=None) -> int:
    """Erase the jobs started more than JOB_RETENTION ago, and their files. Returns how many went."""
    old = Job.objects.filter(created_at__lt=(now or timezone.now()) - JOB_RETENTION)
    count = 0
    for job in old.iterator():
        if job.file:
            job.file.delete(save=False)
        job.delete()
        count += 1
    return count
