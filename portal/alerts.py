"""Operational alerts: what only the commune's side can fix (DGFiP refusing access, a wrong gateway address, the
quota exhausted for minutes). Each one is kept for the admin index and mailed to ALERT_EMAILS through the task
queue, at most once per kind per MAIL_INTERVAL however often it recurs. Callers pass texts without personal data:
they are mailed and shown to every agent."""

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.core.checks import Tags, register
from django.core.checks import Warning as CheckWarning
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django_tasks import task

from portal.mail import MAX_ATTEMPTS, RETRY_DELAYS
from portal.models import OperationalAlert
from portal.resilience import cache_get, cache_set, enqueue_on_commit

logger = logging.getLogger(__name__)

MAIL_INTERVAL = timedelta(hours=1)
# A condition is lasting while it recurs with gaps shorter than this (the quota's window is one minute).
LASTING_GAP = timedelta(minutes=2)


@register(Tags.security, deploy=True)
def alert_recipients_check(app_configs, **kwargs):
    """Families read « les agents sont prévenus »: in production someone must be. Registered at every start,
    since portal.admin, which the admin's autodiscovery loads, imports this module."""
    if settings.ALERT_EMAILS:
        return []
    hint = 'ADMINS="Nom <adresse>" ou ALERT_EMAILS=adresse,... : voir .env.example.'
    message = "Ni ALERT_EMAILS ni ADMINS : les alertes d'exploitation ne sont envoyées à personne."
    return [CheckWarning(message, hint=hint, id="portal.W001")]


def now() -> float:
    """Seconds since the epoch, as every worker sees them; tests patch it to let minutes pass."""
    return time.time()


@transaction.atomic
def alert_raise(*, kind: str, message: str) -> OperationalAlert:
    """Record one occurrence of `kind`; the first one, and the first one after MAIL_INTERVAL, is mailed once
    the transaction commits."""
    seen_at = timezone.now()
    alert, created = OperationalAlert.objects.select_for_update().get_or_create(
        kind=kind,
        resolved_at=None,
        defaults={"message": message, "first_seen": seen_at, "last_seen": seen_at},
    )
    if not created:
        OperationalAlert.objects.filter(pk=alert.pk).update(
            message=message, last_seen=seen_at, occurrences=F("occurrences") + 1
        )
    if alert.mailed_at is None or seen_at - alert.mailed_at >= MAIL_INTERVAL:
        OperationalAlert.objects.filter(pk=alert.pk).update(mailed_at=seen_at)
        enqueue_on_commit(alert_mail_send, alert.pk)
    alert.refresh_from_db()
    return alert


def alert_raise_if_lasting(*, kind: str, message: str, after: timedelta) -> OperationalAlert | None:
    """Raise the alert once `kind` has recurred for longer than `after` with no gap over LASTING_GAP. The start
    of the streak is kept in the shared cache, so every worker's occurrences count towards it."""
    key = f"portal:alert-streak:{kind}"
    current, gap = now(), LASTING_GAP.total_seconds()
    started, last = cache_get(key, (current, current))  # the cache down: each occurrence starts a streak
    if current - last > gap:  # the condition had stopped: this occurrence starts a new streak
        started = current
    cache_set(key, (started, current), timeout=gap)
    if current - started < after.total_seconds():
        return None
    return alert_raise(kind=kind, message=message)


def alert_resolve(*, alert: OperationalAlert) -> bool:
    """An agent fixed the cause: the alert leaves the admin index, and a new occurrence opens a new alert."""
    return bool(
        OperationalAlert.objects.filter(pk=alert.pk, resolved_at=None).update(resolved_at=timezone.now())
    )


def alert_email_text(alert: OperationalAlert) -> tuple[str, str]:
    """Subject and body: the alert's first line, then its text, its dates and where to follow it."""
    subject = _("[%(site)s] Alerte : %(title)s") % {
        "site": settings.COMMUNE_NAME,
        "title": alert.message.splitlines()[0],
    }
    body = _(
        "%(message)s\n\n"
        "Première occurrence : %(first_seen)s\n"
        "Dernière occurrence : %(last_seen)s\n"
        "Occurrences : %(occurrences)d\n\n"
        "Les alertes ouvertes sont affichées sur l'accueil de l'espace agents : %(admin_url)s\n"
        "Un nouveau courriel partira si l'alerte se répète dans plus d'une heure."
    ) % {
        "message": alert.message,
        "first_seen": timezone.localtime(alert.first_seen).strftime("%d/%m/%Y %H:%M:%S"),
        "last_seen": timezone.localtime(alert.last_seen).strftime("%d/%m/%Y %H:%M:%S"),
        "occurrences": alert.occurrences,
        "admin_url": settings.SITE_URL.rstrip("/") + reverse("admin:index"),
    }
    return subject, body


@task()
def alert_mail_send(alert_id: int, attempt: int = 1) -> str:
    """Mail the alert to ALERT_EMAILS; a failed attempt is tried again later, MAX_ATTEMPTS times in all."""
    if not settings.ALERT_EMAILS:
        logger.warning("portal: alert %s not mailed: ALERT_EMAILS and ADMINS are empty", alert_id)
        return "no_recipient"
    alert = OperationalAlert.objects.get(pk=alert_id)
    subject, body = alert_email_text(alert)
    try:
        send_mail(subject, body, None, settings.ALERT_EMAILS)
    except Exception as error:  # whatever stopped the mail, the alert stays on the admin index
        logger.warning("portal: alert %s not mailed (attempt %s): %r", alert_id, attempt, error)
        if attempt >= MAX_ATTEMPTS:
            return "failed"
        run_after = timezone.now() + RETRY_DELAYS[attempt - 1]
        alert_mail_send.using(run_after=run_after).enqueue(alert_id, attempt + 1)
        return "retrying"
    return "sent"
