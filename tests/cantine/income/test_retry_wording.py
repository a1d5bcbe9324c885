"""Wording in context (issue 16, « Journeys »): each numéro-fiscal retry showed to agents as a withdrawn consent,
and a dossier sent while figures wait for an agent said both « avant de calculer votre tarif » and « Votre tarif »."""

# ruff: noqa: F811 - the `dgfip` fixture, imported from test_views, is every test's argument

import pytest
from django.urls import reverse

from cantine.income.selectors import income_status
from impot_client.situation import NoDeclaration
from portal.models import Consent
from tests.cantine.backoffice import submitted, with_grid
from tests.cantine.income.test_numero_fiscal_safety import authorise
from tests.cantine.income.test_views import dgfip  # noqa: F401 - `dgfip` is a fixture
from tests.impot_client.conftest import situation_for

pytestmark = pytest.mark.django_db


def test_a_second_number_after_a_failed_one_is_one_consent_never_withdrawn(
    family_client, client, agent, dossier, holder, dgfip
):
    dgfip.answer = NoDeclaration()
    authorise(family_client, dossier, number="3999990000082")
    dgfip.answer = situation_for(holder)
    authorise(family_client, dossier)
    consents = Consent.objects.filter(dossier=dossier)
    assert consents.count() == 1 and consents.get().withdrawn_at is None
    client.force_login(agent)
    page = client.get(reverse("admin:cantine_dossier_change", args=[dossier.pk])).content.decode()
    assert "retiré le" not in page


def test_a_sent_dossier_waiting_for_an_agent_calls_its_tariff_provisional_not_to_be_computed(
    family_client, dossier, holder, dgfip
):
    with_grid(dossier)
    dgfip.answer = situation_for(holder)
    authorise(family_client, dossier)
    submitted(dossier)
    assert income_status(dossier).needs_agent
    page = family_client.get(reverse("cantine:dossier_detail", args=[dossier.pk])).content.decode()
    assert "Tarif provisoire" in page
    assert "avant de calculer votre tarif" not in page
