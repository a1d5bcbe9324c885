"""Agents: entering a notice's figures re-quotes the dossier at once, and the dossier page links to its notices
(issue 16, « Journeys »). Measured before: the figures were stored, the tariff stayed the highest until someone
clicked « Recalculer », and the dossier page named no notice."""

from decimal import Decimal

import pytest
from django.urls import reverse

from cantine.income import services as income_services
from cantine.models import Dossier, DossierMessage
from impot_client.models import TaxNotice
from portal.models import AuditEntry
from tests.cantine.admin.test_review import with_notice
from tests.cantine.backoffice import submitted, with_grid
from tests.factories import DossierFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path


def test_the_figures_typed_set_the_tariff_at_once_and_the_agent_is_back_on_the_dossier(client, agent):
    dossier = submitted(with_notice(with_grid(DossierFactory(income_declined=False))))
    assert Dossier.objects.get(pk=dossier.pk).quote.amount == Decimal("4.61")  # no figures yet: the highest
    notice = TaxNotice.objects.get(dossier=dossier)
    client.force_login(agent)
    change = reverse("admin:cantine_dossier_change", args=[dossier.pk])
    page = client.get(change).content.decode()
    assert reverse("admin:impot_client_taxnotice_change", args=[notice.pk]) in page

    response = client.post(
        reverse("admin:impot_client_taxnotice_enter", args=[notice.pk]),
        {"year": "2025", "rfr": "28000", "nb_parts": "2.5", "nb_pac": "1"},
    )
    assert response.status_code == 302 and response["Location"] == change
    quote = Dossier.objects.get(pk=dossier.pk).quote
    assert (quote.income_source, quote.amount) == ("notice", Decimal("2.28"))
    assert dossier.messages.filter(kind=DossierMessage.Kind.TARIFF_CHANGED).exists()
    assert AuditEntry.objects.filter(action=AuditEntry.Action.RECOMPUTED_TARIFF, dossier=dossier).exists()


def test_a_draft_is_not_quoted_before_it_is_sent(agent):
    dossier = with_notice(with_grid(DossierFactory(income_declined=False)))
    notice = TaxNotice.objects.get(dossier=dossier)
    income_services.tax_data_enter_from_notice(
        agent=agent, notice=notice, year=2025, rfr=28000, nb_parts="2.5"
    )
    assert not hasattr(Dossier.objects.get(pk=dossier.pk), "quote")
