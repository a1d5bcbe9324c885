"""Resident parking on « Mes données », in the account's erasure and in the daily purge."""

from datetime import date

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from portal import services as portal_services
from portal.selectors import account_erasure_refusals
from stationnement.models import Application, Card
from tests.stationnement.test_services import TODAY, application, checked, household  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db


@pytest.fixture
def card(zones, grid, application, settings):  # noqa: F811
    settings.PARKING_AUTO_ISSUE = True
    from stationnement import services

    return services.application_submit(user=application.applicant, application=checked(application), today=TODAY).card


def test_my_data_shows_the_application_and_its_card(client, card):
    client.force_login(card.household.owner)
    page = client.get(reverse("portal:my_data")).content.decode()
    assert "Stationnement résidentiel" in page and card.number in page and "AB-123-CD" in page


def test_a_valid_card_keeps_the_account(card):
    reasons = account_erasure_refusals(card.household)
    assert any(card.number in reason for reason in reasons)
    with pytest.raises(ValidationError):
        portal_services.account_erase(user=card.household.owner)


def test_once_the_card_is_over_the_account_is_erased_with_it(card):
    Card.objects.filter(pk=card.pk).update(starts_on=date(2020, 1, 1), ends_on=date(2020, 12, 31))
    owner = card.household.owner
    counts = portal_services.account_erase(user=owner)
    assert counts["parking_cards"] == 1 and counts["parking_applications"] == 1
    assert not Application.objects.exists() and not Card.objects.exists()


def test_purge_expired_runs_the_parking_purge(card):
    counts = portal_services.purge_expired(today=TODAY)
    assert {"parking_documents", "parking_addresses", "parking_drafts"} <= set(counts)
