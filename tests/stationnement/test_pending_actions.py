"""A parking draft to finish is among the pending actions at the top of the dashboard (issue 16, « Journeys »)."""

import pytest
from django.urls import reverse

from stationnement import services

pytestmark = pytest.mark.django_db


def test_a_draft_application_comes_first_on_the_dashboard(family_client, household):
    application = services.application_start(user=household.owner, household=household, replaces=None)
    page = family_client.get(reverse("portal:dashboard")).content.decode()
    block = page[page.index('id="titre-a-faire"') : page.index('id="titre-demandes"')]
    assert "carte de stationnement résident n&#x27;est pas encore envoyée" in block
    assert reverse("stationnement:vehicle", args=[application.pk]) in block
