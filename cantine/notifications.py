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


def _wording(*, dossier, kind: str, **context) -> tuple[str, str]:
    """The subject and body from cantine/emails/<kind>_subject.txt and _body.txt."""
    context = {"dossier": dossier, "commune_name": settings.COMMUNE_NAME, **context}
    return (
        render_to_string(f"cantine/emails/{kind}_subject.txt", context).strip(),
        render_to_string(f"cantine/emails/{kind}_body.txt", context).strip(),
    )


def _message(*, dossier: Dossier, kind: str, wording: tuple[str, str] | None = None, **context) -> DossierMessage:
    """The message for the household's owner (unsaved), worded for it unless `wording` is given."""
    subject, body = wording or _wording(dossier=dossier, kind=kind, **context)
    recipient = getattr(dossier, OWNER_EMAIL, None) or dossier.child.household.owner.email
    return DossierMessage(dossier=dossier, kind=kind, recipient=recipient, subject=subject, body=body)


# The annotation a batch of dossiers may carry with the owner's address (the re-quote's): the household and the account
# are not read for each message.
OWNER_EMAIL = "owner_email"


def dossier_notify(*, dossier: Dossier, kind: str, **context) -> DossierMessage:
    """Write the message for the household's owner; it is emailed once the action is committed."""
    message = _message(dossier=dossier, kind=kind, **context)
    message.save()
    _send_on_commit(message)
    return message


def tariff_changed(quote) -> dict:
    """The context of the « tarif modifié » message: what it says of the quote, as plain values, so that the
    families of a re-quote billed the same share its wording (dossiers_notify)."""
    return {
        "amount": quote.final_amount,
        "unit": quote.unit_label,
        "justification": quote.override_justification if quote.is_overridden else None,
    }


# Messages emailed per task when many are written at once.
MESSAGES_PER_TASK = 500


def dossiers_notify(*, kind: str, notices) -> list[DossierMessage]:
    """dossier_notify for many dossiers at once (a re-quote after a grid change tells tens of thousands of
    families): `notices` is (dossier, context) pairs; the messages are written by bulk_create and emailed by one
    task per MESSAGES_PER_TASK once committed, each message with its own attempts. Notices with the same context
    share one wording, the reference put in for each dossier (_shared_wording): rendering the two templates took a
    quarter of a re-quote."""
    shared = {}
    messages = []
    for dossier, context in notices:
        try:
            key = frozenset(context.items())
            if key not in shared:
                shared[key] = _shared_wording(kind, context)
            wording = shared[key]
        except TypeError:  # a value that cannot be compared (an unsaved object): worded for this dossier alone
            wording = None
        if wording is not None:
            wording = tuple(text.replace(REFERENCE_MARK, dossier.reference) for text in wording)
        messages.append(_message(dossier=dossier, kind=kind, wording=wording, **context))
    messages = DossierMessage.objects.bulk_create(messages, batch_size=1000)
    for start in range(0, len(messages), MESSAGES_PER_TASK):
        enqueue_on_commit(
            dossier_messages_send, [message.pk for message in messages[start : start + MESSAGES_PER_TASK]]
        )
    return messages


# Stands for the dossier's reference in a shared wording: a private-use character, in no template's text.
REFERENCE_MARK = "\ue000"


class _ReadsTheDossier(Exception):
    """The templates read more of the dossier than its reference: not an AttributeError, which the template engine
    would render as an empty string."""


class _OnlyTheReference:
    """The dossier as a shared wording sees it."""

    reference = REFERENCE_MARK

    def __getattr__(self, name):
        raise _ReadsTheDossier(name)


def _shared_wording(kind: str, context: dict) -> tuple[str, str] | None:
    """The wording of every dossier with this context, REFERENCE_MARK in place of the reference; None when the
    templates read more of the dossier, each dossier then worded on its own."""
    try:
        return _wording(dossier=_OnlyTheReference(), kind=kind, **context)
    except _ReadsTheDossier:
        return None


@transaction.atomic
def dossier_message_resend(*, message: DossierMessage) -> bool:
    """An agent's « Renvoyer » on a failed message: it gets a fresh round of attempts. False if it had not failed."""
    resent = DossierMessage.objects.filter(pk=message.pk, email_status=EmailStatus.FAILED).update(
        email_status=EmailStatus.PENDING, attempts=0
    )
    if resent:
        _send_on_commit(message)
    return bool(resent)
