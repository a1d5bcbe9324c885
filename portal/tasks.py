"""The core's work outside the request, run by the task worker (`python manage.py db_worker`): the retention purge
and the mail that warns an inactive account before it is erased.

django-tasks queues and runs tasks but has no scheduler: something outside must enqueue `purge_expired_task` every
day, or simply run `manage.py purge_expired` from cron or a systemd timer (see docs/registre-des-traitements.md)."""

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from portal.mail import MAX_ATTEMPTS, RETRY_DELAYS

logger = logging.getLogger(__name__)


@task()
def purge_expired_task() -> dict[str, int]:
    """The daily retention purge, for a scheduler that enqueues tasks rather than running commands."""
    from portal.services import purge_expired

    counts = purge_expired()
    logger.info("portal: retention purge %s", counts)  # counts by kind, nothing personal
    return counts


@task()
def inactivity_warning_send(user_id: int, attempt: int = 1) -> str:
    """Tell the holder the account will be erased for inactivity unless they sign in; retried like other mails."""
    from portal.models import User

    user = User.objects.filter(pk=user_id, is_active=True, inactivity_warned_at__isnull=False).first()
    if user is None:  # signed in since, or erased
        return "cancelled"
    context = {
        "commune_name": settings.COMMUNE_NAME,
        "login_url": settings.SITE_URL.rstrip("/") + reverse("portal:login"),
        "days": settings.RETENTION_INACTIVE_WARNING_DAYS,
        "years": settings.RETENTION_INACTIVE_ACCOUNT_YEARS,
    }
    subject = render_to_string("portal/emails/inactivity_warning_subject.txt", context).strip()
    try:
        send_mail(subject, render_to_string("portal/emails/inactivity_warning_body.txt", context), None, [user.email])
    except Exception as error:  # a mail outage: try again later, then give up (the erasure still waits its delay)
        logger.warning("portal: inactivity warning %s not sent (attempt %s): %r", user_id, attempt, error)
        if attempt >= MAX_ATTEMPTS:
            return "failed"
        inactivity_warning_send.using(run_after=timezone.now() + RETRY_DELAYS[attempt - 1]).enqueue(
            user_id, attempt + 1
        )
        return "retrying"
    return "sent"
