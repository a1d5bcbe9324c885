"""The card an agent or the commune's rule issues, a refusal, the renewal reminders and the purge on schedule."""

import calendar
import secrets
from datetime import date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from portal.audit import audit_record
from portal.models import AuditEntry
from portal.resilience import enqueue_on_commit
from stationnement.models import (
    Application,
    ApplicationDocument,
    Card,
    IncomeFigures,
    Zone,
)
from stationnement.selectors import cards_to_remind
from stationnement.services.income import ADDRESS_FIELDS
from stationnement.services.quotes import application_quote
from stationnement.tasks import CARD_ISSUED, REFUSED, REMINDER, parking_mail_send

DURATION_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def card_end(starts_on: date, duration: str) -> date:
    """The last day of a card starting `starts_on` (at most three years, CGCT L2333-87)."""
    months = DURATION_MONTHS[duration]
    year, month = divmod(starts_on.month - 1 + months, 12)
    following = starts_on.replace(year=starts_on.year + year, month=month + 1, day=1)
    day = min(starts_on.day, calendar.monthrange(following.year, following.month)[1])
    return following.replace(day=day) - timedelta(days=1)


@transaction.atomic
def card_issue(
    *, application: Application, agent=None, zone: Zone | None = None, today: date | None = None
) -> Card:
    """The card: a number, a verification code for its QR code, the zone (the agent's, when the address did not
    settle it), the dates, the amount. The card it replaces ends the day before."""
    today = today or timezone.localdate()
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status != Application.Status.SUBMITTED:
        raise ValidationError(_("Seule une demande envoyée peut donner une carte."), code="not_submitted")
    if zone is not None:
        application.zone = zone
    if application.zone_id is None:
        raise ValidationError(_("Indiquez la zone de la carte avant de la délivrer."), code="no_zone")
    if application.amount is None:
        application_quote(application, today)
    # Numbered after the last number of the year the card starts in (not by counting the cards issued this calendar
    # year: a card issued on another day than `today`, or one erased, gave a number already taken).
    prefix = f"SR-{today.year}-"
    last = (
        Card.objects.select_for_update()
        .filter(number__startswith=prefix)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    sequence = int(last.removeprefix(prefix)) + 1 if last else 1
    card = Card.objects.create(
        number=f"{prefix}{sequence:05d}",
        token=secrets.token_urlsafe(18),
        application=application,
        household=application.household,
        plates=[application.plate],
        zone=application.zone,
        starts_on=today,
        ends_on=card_end(today, application.duration),
        amount=application.amount,
    )
    if application.replaces_id:
        Card.objects.filter(pk=application.replaces_id, ended_on__isnull=True).update(
            ended_on=today - timedelta(days=1)
        )
    application.status, application.decided_at, application.decided_by = (
        Application.Status.ACCEPTED,
        timezone.now(),
        agent,
    )
    application.save()
    if agent is not None:
        audit_record(
            actor=agent, action=AuditEntry.Action.DECIDED, application=application.pk, status="accepted"
        )
    enqueue_on_commit(parking_mail_send, CARD_ISSUED, application.pk)
    return card


@transaction.atomic
def application_refuse(*, agent, application: Application, reason: str) -> Application:
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": _("Le motif est obligatoire : le demandeur le lira.")})
    application = Application.objects.select_for_update().get(pk=application.pk)
    if application.status != Application.Status.SUBMITTED:
        raise ValidationError(_("Seule une demande envoyée peut être refusée."), code="not_submitted")
    application.status, application.refusal_reason = Application.Status.REFUSED, reason
    application.decided_at, application.decided_by = timezone.now(), agent
    application.save()
    audit_record(actor=agent, action=AuditEntry.Action.DECIDED, application=application.pk, status="refused")
    enqueue_on_commit(parking_mail_send, REFUSED, application.pk)
    return application


@transaction.atomic
def card_reminders_send(*, today: date | None = None) -> int:
    """Queue the « Renouveler » mail of every card that ends within PARKING_REMINDER_DAYS, once per card: the card
    is marked reminded in the same statement that claims it, so a second run, or two at once, remind nobody twice.
    A card already renewed (a newer application sent or issued) is not reminded. Returns how many were queued."""
    today = today or timezone.localdate()
    reminded = 0
    for card in cards_to_remind(today=today, days=settings.PARKING_REMINDER_DAYS).iterator():
        if Card.objects.filter(pk=card.pk, reminded_at__isnull=True).update(reminded_at=timezone.now()):
            enqueue_on_commit(parking_mail_send, REMINDER, card.application_id)
            reminded += 1
    return reminded


RETENTION_AFTER_END = timedelta(days=92)
DRAFTS_KEPT = timedelta(days=90)


@transaction.atomic
def parking_data_purge(*, today: date | None = None) -> dict[str, int]:
    """What the démarche no longer needs: the proofs once the application is decided, the DGFiP address and the
    social tariff's figures three months after the card ended (or after a refusal), drafts untouched for 90 days.
    A second run erases nothing."""
    today = today or timezone.localdate()
    decided = Application.objects.exclude(status__in=(Application.Status.DRAFT, Application.Status.SUBMITTED))
    documents = ApplicationDocument.objects.filter(application__in=decided)
    files = [document.file.name for document in documents]
    documents_count, _details = documents.delete()
    cutoff = today - RETENTION_AFTER_END
    ended = Q(card__ends_on__lt=cutoff) | Q(card__ended_on__lt=cutoff)
    closed = Q(
        status__in=(Application.Status.REFUSED, Application.Status.CANCELLED), decided_at__date__lt=cutoff
    )
    over = decided.filter(ended | closed)
    addresses = over.exclude(address="").update(address="")  # "" is stored in clear
    # The social tariff's figures go with the address, and the explanation that quoted them (the card keeps its
    # amount, the enforcement its dates).
    figures = IncomeFigures.objects.filter(application__in=over)
    quoted = list(figures.values_list("application_id", flat=True))
    income, _details = figures.delete()
    Application.objects.filter(pk__in=quoted).update(explanation=[], consent_fields=list(ADDRESS_FIELDS))
    stale = Application.objects.filter(
        status=Application.Status.DRAFT, updated_at__date__lt=today - DRAFTS_KEPT
    )
    stale_files = [
        document.file.name for document in ApplicationDocument.objects.filter(application__in=stale)
    ]
    drafts, _details = stale.delete()
    storage = ApplicationDocument._meta.get_field("file").storage
    transaction.on_commit(lambda: [storage.delete(name) for name in files + stale_files])
    return {
        "parking_documents": documents_count,
        "parking_addresses": addresses,
        "parking_income": income,
        "parking_drafts": drafts,
    }
