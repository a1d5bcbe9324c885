import itertools

import pytest

from cantine import workflow
from cantine.models import Dossier
from cantine.workflow import Actor, TransitionRefused

Status = Dossier.Status

ALLOWED = {
    (Status.DRAFT, Status.SUBMITTED, Actor.FAMILY),
    (Status.DRAFT, Status.CANCELLED, Actor.FAMILY),
    (Status.SUBMITTED, Status.CANCELLED, Actor.FAMILY),
    (Status.SUBMITTED, Status.UNDER_REVIEW, Actor.AGENT),
    (Status.UNDER_REVIEW, Status.ACCEPTED, Actor.AGENT),
    (Status.UNDER_REVIEW, Status.REJECTED, Actor.AGENT),
    (Status.UNDER_REVIEW, Status.AWAITING_DOCUMENTS, Actor.AGENT),
    (Status.AWAITING_DOCUMENTS, Status.SUBMITTED, Actor.FAMILY),
}
EVERY_MOVE = list(itertools.product(Status.values, Status.values, Actor.values))


@pytest.mark.parametrize(("current", "target", "actor"), sorted(ALLOWED))
def test_allowed_transitions(current, target, actor):
    workflow.check_transition(current, target, actor, note="Motif.")


@pytest.mark.parametrize(("current", "target", "actor"), [move for move in EVERY_MOVE if move not in ALLOWED])
def test_every_other_transition_is_refused(current, target, actor):
    with pytest.raises(TransitionRefused):
        workflow.check_transition(current, target, actor, note="Motif.")


def test_refusal_says_in_french_who_may_do_it():
    with pytest.raises(TransitionRefused) as error:
        workflow.check_transition(Status.UNDER_REVIEW, Status.ACCEPTED, Actor.FAMILY)
    assert error.value.messages == ["Seul un agent peut faire passer une demande à « Acceptée »."]


@pytest.mark.parametrize("target", [Status.REJECTED, Status.AWAITING_DOCUMENTS])
def test_rejection_and_document_request_need_a_message(target):
    with pytest.raises(TransitionRefused, match="message"):
        workflow.check_transition(Status.UNDER_REVIEW, target, Actor.AGENT, note="   ")


def test_closed_statuses_have_no_way_out():
    for closed in (Status.ACCEPTED, Status.REJECTED, Status.CANCELLED):
        assert workflow.allowed_targets(closed, Actor.FAMILY) == []
        assert workflow.allowed_targets(closed, Actor.AGENT) == []
