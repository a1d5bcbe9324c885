"""Mails to residents about their parking card: issued (by an agent or automatically), application refused with its
reason, card about to end. Queued once the decision is committed (`enqueue_on_commit`), sent by the task worker with
the retries of every mail (portal.mail). A mail is written when it goes out, from the application as it stands
then: a decision no longer true, or a card renewed meanwhile, sends nothing. The mail carries the card's number,
zone and dates, the refusal's reason, and a link to the application's page; nothing else of the resident."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string
from django.urls import reverse
from django_tasks import task

from portal.mail import send_or_retry
from stationnement.models import Application
from stationnement.selectors import card_renewed

CARD_ISSUED = "card_issued"
REFUSED = "refused"
REMINDER = "reminder"


def application_url(application: Application) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("stationnement:detail", args=[application.pk])


def _still_true(kind: str, application: Application) -> bool:
    card = getattr(application, "card", None)
    if kind == REFUSED:
        return application.status == Application.Status.REFUSED
    if kind == CARD_ISSUED:
        return application.status == Application.Status.ACCEPTED and card is not None
    return kind == REMINDER and card is not None and not card_renewed(card)


def parking_mail(kind: str, application: Application) -> EmailMessage:
    """The mail of `kind` (stationnement/emails/<kind>_subject.txt and _body.txt) for the household's owner."""
    url = application_url(application)
    context = {
        "commune_name": settings.COMMUNE_NAME,
        "application": application,
        "card": getattr(application, "card", None),
        "application_url": url,
        "renew_url": f"{url}#renouveler",
    }
    subject = render_to_string(f"stationnement/emails/{kind}_subject.txt", context).strip()
    body = render_to_string(f"stationnement/emails/{kind}_body.txt", context)
    return EmailMessage(subject, body, to=[application.household.owner.email])


@task()
def parking_mail_send(kind: str, application_id: int, attempt: int = 1) -> str:
    application = (
        Application.objects.select_related("household__owner", "card__zone").filter(pk=application_id).first()
    )
    if application is None or not _still_true(kind, application):  # purged, or no longer so
        return "cancelled"
    email = parking_mail(kind, application)
    return send_or_retry(
        parking_mail_send,
        kind,
        application_id,
        attempt=attempt,
        send=email.send,
        what=f"stationnement: {kind} mail for application {application_id}",
    )


@task()
def parking_reminders_task() -> int:
    """The daily reminders, for a scheduler that enqueues tasks rather than running `manage.py parking_reminders`."""
    from stationnement.services import card_reminders_send

    return card_reminders_send()
