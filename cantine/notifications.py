"""What the family is told about its dossier. Services call these inside their transaction: the message is
stored with the action, and emailed by the task worker only once the action is committed, so a rolled-back
action tells nobody and a mail outage never fails nor slows the action."""

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string

from cantine.models import Dossier, DossierMessage
from cantine.tasks import dossier_message_send, dossier_messages_send
from portal.resilience import enqueue_on_commit

Kind = DossierMessage.Kind
EmailStatus = DossierMessage.EmailStatus

# The agents' decisions the family is told about (starting the review is not one).
DECISION_KINDS = {
    Dossier.Status.ACCEPTED: Kind.ACCEPTED,
    Dossier.Status.REJECTED: Kind.REJECTED,
    Dossier.Status.AWAITING_DOCUMENTS: Kind.DOCUMENTS_REQUESTED,
}


def _send_on_commit(message: DossierMessage) -> None:
    enqueue_on_commit(dossier_message_send, message.pk)


def _message(*, dossier: Dossier, kind: str, **context) -> DossierMessage:
    """The message from cantine/emails/<kind>_subject.txt and _body.txt, for the household's owner (unsaved)."""
    context = {"dossier": dossier, "commune_name": settings.COMMUNE_NAME, **context}
    return DossierMessage(
        dossier=dossier,
        kind=kind,
        recipient=dossier.child.household.owner.email,
        subject=render_to_string(f"cantine/emails/{kind}_subject.txt", context).strip(),
        body=render_to_string(f"cantine/emails/{kind}_body.txt", context).strip(),
    )


def dossier_notify(*, dossier: Dossier, kind: str, **context) -> DossierMessage:
    """Write the message for the household's owner; it is emailed once the action is committed."""
    message = _message(dossier=dossier, kind=kind, **context)
    message.save()
    _send_on_commit(message)
    return message


# Messages emailed per task when many are written at once.
MESSAGES_PER_TASK = 500


def dossiers_notify(*, kind: str, notices) -> list[DossierMessage]:
    """dossier_notify for many dossiers at once (a re-quote after a grid change tells tens of thousands of
    families): `notices` is (dossier, context) pairs; the messages are written by bulk_create and emailed by one
    task per MESSAGES_PER_TASK once committed, each message with its own attempts."""
    messages = DossierMessage.objects.bulk_create(
        [_message(dossier=dossier, kind=kind, **context) for dossier, context in notices], batch_size=1000
    )
    for start in range(0, len(messages), MESSAGES_PER_TASK):
        enqueue_on_commit(
            dossier_messages_send, [message.pk for message in messages[start : start + MESSAGES_PER_TASK]]
        )
    return messages


@transaction.atomic
def dossier_message_resend(*, message: DossierMessage) -> bool:
    """An agent's « Renvoyer » on a failed message: it gets a fresh round of attempts. False if it had not failed."""
    resent = DossierMessage.objects.filter(pk=message.pk, email_status=EmailStatus.FAILED).update(
        email_status=EmailStatus.PENDING, attempts=0
    )
    if resent:
        _send_on_commit(message)
    return bool(resent)
