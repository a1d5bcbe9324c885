"""The parking agents' pages: decide (issue with a zone, refuse with a reason), read the proofs; nobody else."""

from datetime import date

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from stationnement import services
from stationnement.models import Application, Card
from tests.documents import PDF
from tests.factories import HouseholdFactory, UserFactory

pytestmark = pytest.mark.django_db


def agent(group):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def sent(zones, grid, settings):
    """An application outside every zone, with its proofs, waiting for an agent."""
    settings.PARKING_AUTO_ISSUE = True
    household = HouseholdFactory()
    owner = household.owner
    application = services.application_start(user=owner, household=household)
    services.application_vehicle_set(
        user=owner, application=application, plate="AB-123-CD", duration="quarter", company_vehicle=False
    )
    for kind in ("proof_of_address", "registration"):
        services.document_upload(
            user=owner, application=application, kind=kind, uploaded=SimpleUploadedFile("x.pdf", PDF)
        )
    return services.application_submit(user=owner, application=application, today=date(2026, 12, 2))


def test_a_parking_agent_issues_the_card_in_the_zone_they_choose(client, sent, zones):
    client.force_login(agent("Agent stationnement"))
    url = reverse("admin:stationnement_application_decide", args=[sent.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Délivrer la carte" in page.content.decode()
    response = client.post(url, {"issue": "1", "zone": zones.zones.get(code="B").pk})
    assert response.status_code == 302
    card = Card.objects.get()
    assert card.zone.code == "B" and str(card.amount) == "40.00"


def test_a_refusal_keeps_its_reason(client, sent):
    client.force_login(agent("Agent stationnement"))
    client.post(
        reverse("admin:stationnement_application_decide", args=[sent.pk]),
        {"refuse": "1", "reason": "Hors zone."},
    )
    sent.refresh_from_db()
    assert sent.status == Application.Status.REFUSED and sent.refusal_reason == "Hors zone."


def test_the_proofs_open_for_parking_agents_only(client, sent):
    document = sent.documents.first()
    url = reverse("admin:stationnement_application_document", args=[sent.pk, document.pk])
    client.force_login(agent("Agent restauration scolaire"))
    assert client.get(url).status_code in (302, 403, 404)
    assert client.get(reverse("admin:stationnement_application_decide", args=[sent.pk])).status_code in (
        302,
        403,
        404,
    )
    client.force_login(agent("Agent stationnement"))
    response = client.get(url)
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == PDF


def test_the_zone_export_lists_valid_cards_without_names(client, sent, zones):
    services.card_issue(application=sent, zone=zones.zones.get(code="A"))
    client.force_login(agent("Agent stationnement"))
    changelist = reverse("admin:stationnement_card_changelist")
    card = Card.objects.get()
    response = client.post(changelist, {"action": "export_valid_cards", "_selected_action": [card.pk]})
    body = b"".join(response.streaming_content).decode()
    assert body.splitlines() == [
        "numero;immatriculations;zone;debut;fin",
        f"{card.number};AB-123-CD;A;{card.starts_on};{card.ends_on}",
    ]
    assert sent.household.owner.email not in body
