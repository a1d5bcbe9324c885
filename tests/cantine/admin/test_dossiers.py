import pytest
from django.urls import reverse

from cantine.models import Dossier

pytestmark = pytest.mark.django_db
Status = Dossier.Status


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.mark.parametrize("model", ["dossier", "service", "period", "establishment", "dossierstatuschange"])
def test_changelists_open(agent_client, make_dossier, model):
    make_dossier(Status.SUBMITTED)
    assert agent_client.get(reverse(f"admin:cantine_{model}_changelist")).status_code == 200


@pytest.mark.parametrize("model", ["user", "household", "adult", "child"])
def test_family_changelists_open(agent_client, household, model):
    assert agent_client.get(reverse(f"admin:portal_{model}_changelist")).status_code == 200


def test_dossier_list_filters_by_status_and_searches_by_child(agent_client, make_dossier):
    submitted = make_dossier(Status.SUBMITTED)
    draft = make_dossier(Status.DRAFT)
    page = agent_client.get(
        reverse("admin:cantine_dossier_changelist"), {"status__exact": "submitted"}
    ).content.decode()
    assert submitted.reference in page and draft.reference not in page
    page = agent_client.get(
        reverse("admin:cantine_dossier_changelist"), {"q": draft.child.first_names}
    ).content.decode()
    assert draft.reference in page and submitted.reference not in page


def test_decide_view_records_the_decision_through_the_service(agent_client, agent, make_dossier):
    dossier = make_dossier(Status.UNDER_REVIEW)
    url = reverse("admin:cantine_dossier_decide", args=[dossier.pk])
    response = agent_client.post(url, {"to_status": Status.REJECTED, "note": "Hors secteur scolaire."})
    assert response.status_code == 302
    change = dossier.history.latest("at")
    assert (change.to_status, change.actor, change.note) == (Status.REJECTED, agent, "Hors secteur scolaire.")


def test_decide_view_shows_a_refusal_without_changing_anything(agent_client, make_dossier):
    dossier = make_dossier(Status.UNDER_REVIEW)
    url = reverse("admin:cantine_dossier_decide", args=[dossier.pk])
    response = agent_client.post(url, {"to_status": Status.AWAITING_DOCUMENTS, "note": ""})
    assert response.status_code == 200
    assert "Un message à la famille est obligatoire" in response.content.decode()
    dossier.refresh_from_db()
    assert dossier.status == Status.UNDER_REVIEW


def test_decide_view_offers_only_the_agents_moves(agent_client, make_dossier):
    dossier = make_dossier(Status.SUBMITTED)
    url = reverse("admin:cantine_dossier_decide", args=[dossier.pk])
    response = agent_client.post(url, {"to_status": Status.ACCEPTED})
    assert response.status_code == 200  # not a valid choice from "submitted"
    dossier.refresh_from_db()
    assert dossier.status == Status.SUBMITTED


def test_bulk_actions_go_through_the_workflow(agent_client, make_dossier):
    under_review = make_dossier(Status.UNDER_REVIEW)
    draft = make_dossier(Status.DRAFT)
    response = agent_client.post(
        reverse("admin:cantine_dossier_changelist"),
        {"action": "accept", "_selected_action": [under_review.pk, draft.pk]},
        follow=True,
    )
    under_review.refresh_from_db()
    draft.refresh_from_db()
    assert under_review.status == Status.ACCEPTED
    assert draft.status == Status.DRAFT
    assert draft.reference in response.content.decode()  # the refusal is reported


def test_families_cannot_open_the_admin(family_client):
    response = family_client.get(reverse("admin:cantine_dossier_changelist"))
    assert response.status_code == 302


def test_the_dossier_page_says_where_income_stands(agent_client, make_dossier):
    declined = make_dossier()  # the factory's family declined to share its income
    page = agent_client.get(reverse("admin:cantine_dossier_change", args=[declined.pk])).content.decode()
    assert "non communiqués (tarif le plus élevé)" in page
