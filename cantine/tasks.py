"""Work done outside the request, by the task worker (`python manage.py db_worker`, see the README)."""

import logging

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_tasks import task

from cantine.models import DossierMessage
from portal.mail import MAX_ATTEMPTS, RETRY_DELAYS

logger = logging.getLogger(__name__)

EmailStatus = DossierMessage.EmailStatus


def dossier_url(dossier) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("cantine:dossier_detail", args=[dossier.pk])


def message_email(message: DossierMessage) -> EmailMultiAlternatives:
    """The message as the family reads it on its dossier page, in plain text and HTML, with a link to that page."""
    context = {
        "message": message,
        "commune_name": settings.COMMUNE_NAME,
        "dossier_url": dossier_url(message.dossier),
    }
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=render_to_string("cantine/emails/message.txt", context),
        to=[message.recipient],
    )
    email.attach_alternative(render_to_string("cantine/emails/message.html", context), "text/html")
    return email


@task()
def dossier_message_send(message_id: int) -> str:
    """Email one message. A failure is recorded on the message and tried again later, MAX_ATTEMPTS times in all,
    then the message is marked failed for agents to see and resend."""
    message = DossierMessage.objects.select_related("dossier").get(pk=message_id)
    if message.email_status != EmailStatus.PENDING:  # sent, or given up on, by an earlier run
        return message.email_status
    message.attempts += 1
    try:
        message_email(message).send()
    except Exception as error:  # whatever stopped the mail, agents must see it on the message
        logger.warning("cantine: message %s not sent (attempt %s): %r", message.pk, message.attempts, error)
        message.last_error = f"{type(error).__name__}: {error}"
        message.email_status = EmailStatus.FAILED if message.attempts >= MAX_ATTEMPTS else EmailStatus.PENDING
    else:
        message.email_status, message.sent_at, message.last_error = EmailStatus.SENT, timezone.now(), ""
    message.save(update_fields=["attempts", "email_status", "sent_at", "last_error"])
    if message.email_status == EmailStatus.PENDING:
        run_after = timezone.now() + RETRY_DELAYS[message.attempts - 1]
        dossier_message_send.using(run_after=run_after).enqueue(message.pk)
    return message.email_status


@task()
def dossier_messages_send(message_ids: list[int]) -> int:
    """Many messages written at once (cantine.notifications.dossiers_notify): each emailed as dossier_message_send
    emails one, a failed one tried again on its own. Returns how many were sent."""
    return sum(dossier_message_send.call(message_id) == EmailStatus.SENT for message_id in message_ids)


@task()
def job_run(job_id: int) -> str:
    """One of the admin's long jobs (cantine.services.jobs): an export, a re-quote of many dossiers."""
    from cantine.models import Job
    from cantine.services.jobs import job_execute

    return job_execute(job=Job.objects.select_related("created_by").get(pk=job_id)).status
