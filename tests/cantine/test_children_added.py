"""A child added after a crèche dossier was sent changes nothing until an agent checks it (issue 16, « Journeys »):
measured before, three quick clicks added three children and a recompute took the crèche rate from 2,64 to
1,75 €/h. The children counted stay those of the day it was sent; the dossier is flagged; the agent counts them."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from cantine import services
from cantine.models import Dossier
from cantine.services.quotes import quotes_recompute
from portal.models import AuditEntry
from tests.cantine.test_creche_places import setting, waiting
from tests.factories import creche_dossier

pytestmark = pytest.mark.django_db
CHILD = {"first_names": "Nina", "last_name": "Martin", "birth_date": "2024-05-02", "diet": "standard"}


@pytest.fixture
def sent(client):
    """A crèche application sent (income declined: the ceiling's rate, which falls with each child in charge)."""
    period, _creche, _session = setting()
    dossier = waiting(period)
    client.force_login(dossier.child.household.owner)
    client.post(reverse("portal:child_add"), CHILD)  # the family adds a child afterwards
    return dossier


def rate(dossier):
    return Dossier.objects.get(pk=dossier.pk).quote.amount


def test_a_recompute_keeps_the_rate_of_the_children_counted_at_sending(sent, agent):
    before = rate(sent)
    services.dossier_quote_compute(dossier=sent, agent=agent)
    assert rate(sent) == before
    quotes_recompute(dossier_ids=[sent.pk])  # the batch path reads the same facts
    assert rate(sent) == before


def test_the_agent_sees_the_flag_and_counts_the_child_then_the_rate_follows(sent, client, agent):
    before = rate(sent)
    client.force_login(agent)
    page = client.get(reverse("admin:cantine_dossier_change", args=[sent.pk])).content.decode()
    count_url = reverse("admin:cantine_dossier_count_children", args=[sent.pk])
    assert "enfant ajouté au foyer à compter" in page and count_url in page and "pas encore compté" in page
    listed = client.get(reverse("admin:cantine_dossier_changelist") + "?signalement=enfants").content.decode()
    assert sent.reference in listed

    refused = client.post(count_url, {"checked": ""})
    assert refused.status_code == 200 and rate(sent) == before
    assert client.post(count_url, {"checked": "on"}).status_code == 302
    assert rate(sent) < before  # one more child in charge: a lower effort rate
    entry = AuditEntry.objects.get(action=AuditEntry.Action.RECOMPUTED_TARIFF, dossier=sent)
    assert entry.actor == agent and len(entry.detail["children_counted"]) == 1
    page = client.get(reverse("admin:cantine_dossier_change", args=[sent.pk])).content.decode()
    assert count_url not in page


def test_a_child_added_before_sending_is_counted_when_it_is_sent(client, household):
    period, _creche, _session = setting()
    dossier = creche_dossier(period=period, start=period.starts_on, household=household, income_declined=True)
    client.force_login(household.owner)
    client.post(reverse("portal:child_add"), CHILD)
    dossier = services.dossier_submit(dossier=dossier, user=household.owner)
    with pytest.raises(ValidationError, match="Aucun enfant"):  # nothing to count: it was there when sent
        services.dossier_children_count(dossier=dossier, agent=household.owner)
