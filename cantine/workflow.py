"""The dossier status workflow, in one table. Every status change is checked here."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from cantine.models import Dossier

Status = Dossier.Status


class Actor(models.TextChoices):
    FAMILY = "family", _("la famille")
    AGENT = "agent", _("un agent")


TRANSITIONS = {
    (Status.DRAFT, Status.SUBMITTED): Actor.FAMILY,
    (Status.DRAFT, Status.CANCELLED): Actor.FAMILY,
    (Status.SUBMITTED, Status.CANCELLED): Actor.FAMILY,
    (Status.SUBMITTED, Status.UNDER_REVIEW): Actor.AGENT,
    (Status.UNDER_REVIEW, Status.ACCEPTED): Actor.AGENT,
    (Status.UNDER_REVIEW, Status.REJECTED): Actor.AGENT,
    (Status.UNDER_REVIEW, Status.AWAITING_DOCUMENTS): Actor.AGENT,
    (Status.AWAITING_DOCUMENTS, Status.SUBMITTED): Actor.FAMILY,
}

# The family must be told why: these transitions carry a message.
NOTE_REQUIRED = {Status.REJECTED, Status.AWAITING_DOCUMENTS}

# Statuses in which the family may still change what it asked for.
EDITABLE = {Status.DRAFT, Status.AWAITING_DOCUMENTS}

# Closed: nothing changes any more, its tariff included.
CLOSED = {Status.CANCELLED, Status.REJECTED}
# Statuses with no tariff to bill: a draft is quoted when the family sends it, a closed dossier is never billed.
NOT_BILLED = {Status.DRAFT, *CLOSED}


class TransitionRefused(ValidationError):
    pass


def allowed_targets(current, actor):
    return [target for (source, target), who in TRANSITIONS.items() if source == current and who == actor]


def check_transition(current, target, actor, note=""):
    """Raise TransitionRefused, with a French message, unless `actor` may move a dossier from current to target."""
    who = TRANSITIONS.get((current, target))
    if who is None:
        raise TransitionRefused(
            _("Une demande « %(current)s » ne peut pas passer à « %(target)s ».")
            % {"current": Status(current).label, "target": Status(target).label},
            code="forbidden_transition",
        )
    if who != actor:
        raise TransitionRefused(
            _("Seul %(who)s peut faire passer une demande à « %(target)s ».")
            % {"who": Actor(who).label, "target": Status(target).label},
            code="wrong_actor",
        )
    if target in NOTE_REQUIRED and not note.strip():
        raise TransitionRefused(
            _("Un message à la famille est obligatoire pour ce changement."), code="note_required"
        )
