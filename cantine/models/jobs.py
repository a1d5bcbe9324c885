"""Long work an agent starts from the admin (the billing export, a re-quote of many dossiers, the council's comparison
of a draft grid), run by the task worker and never inside a request: its progress, and the file it produced, kept
under PRIVATE_MEDIA_ROOT (no URL serves it: the job's page, after an access check) and erased with the job after
JOB_RETENTION."""

import uuid
from datetime import timedelta

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from impot_client.models import PrivateStorage

# A job and its file are erased this long after they were started (`manage.py purge_jobs`, daily).
JOB_RETENTION = timedelta(days=7)


def _job_path(job, filename):
    """A random name: never a name the file's content could be guessed from."""
    return f"jobs/{uuid.uuid4().hex}"


class Job(models.Model):
    class Kind(models.TextChoices):
        EXPORT = "export", _("Export pour la facturation")
        REQUOTE = "requote", _("Recalcul des tarifs")
        COMPARISON = "comparison", _("Comparaison d'un projet de grille")

    class Status(models.TextChoices):
        QUEUED = "queued", _("en attente")
        RUNNING = "running", _("en cours")
        DONE = "done", _("terminé")
        FAILED = "failed", _("échec")

    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("état"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    params = models.JSONField(_("paramètres"), default=dict)
    created_by = models.ForeignKey(
        "portal.User", on_delete=models.CASCADE, related_name="+", verbose_name=_("lancé par")
    )
    created_at = models.DateTimeField(_("lancé le"), default=timezone.now)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    done = models.PositiveIntegerField(_("traités"), default=0)
    total = models.PositiveIntegerField(_("à traiter"), default=0)
    summary = models.CharField(_("résultat"), max_length=250, blank=True)
    file = models.FileField(_("fichier"), storage=PrivateStorage(), upload_to=_job_path, blank=True)
    filename = models.CharField(_("nom du fichier"), max_length=100, blank=True)
    content_type = models.CharField(_("type du fichier"), max_length=100, blank=True)
    # What the page showing a finished job reads back (the comparison's aggregates: never a dossier).
    result = models.JSONField(_("résultat détaillé"), default=dict, blank=True)

    class Meta:
        verbose_name = _("traitement")
        verbose_name_plural = _("traitements")
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["created_by", "created_at"])]

    def __str__(self):
        return f"{self.get_kind_display()} — {timezone.localtime(self.created_at):%d/%m/%Y %H:%M}"

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(self.done * 100 / self.total) if self.total else 0

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
