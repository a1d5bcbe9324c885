"""The review step shows the tariff and how it is reached before « Envoyer » (issue 16, « Journeys »): measured
before, the family sent its dossier without having seen its tariff. Computed from the facts known, never stored
before sending; or the page says plainly why it is not known yet."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cantine.income import services as income_services
from cantine.models import DossierQuote, TariffGrid
from tests import documents
from tests.cantine.backoffice import with_grid, with_income
from tests.cantine.grids import COLLECTIVE
from tests.factories import CrecheServiceFactory, DossierFactory, PeriodFactory, creche_dossier

pytestmark = pytest.mark.django_db


def review(client, dossier) -> str:
    response = client.get(reverse("cantine:dossier_review", args=[dossier.pk]))
    assert response.status_code == 200
    return response.content.decode()


def tariff_section(page: str) -> str:
    start = page.index('id="titre-tarif"')
    return page[start : page.index("</section>", start)]


def test_declined_income_shows_the_highest_price_and_its_explanation_before_the_send_button(
    family_client, household
):
    dossier = with_grid(DossierFactory(child__household=household))
    page = review(family_client, dossier)
    section = tariff_section(page)
    assert "4,61\u00a0€" in section or "4,61 €" in section
    assert '<ol class="explanation">' in section
    assert page.index('id="titre-tarif"') < page.index("Envoyer ma demande")
    assert not DossierQuote.objects.filter(dossier=dossier).exists()  # shown, not stored


def test_dgfip_figures_give_their_bracket(family_client, household):
    dossier = with_income(with_grid(DossierFactory(child__household=household, income_declined=False)))
    section = tariff_section(review(family_client, dossier))
    assert "2,28" in section and "4,61" not in section


def test_without_a_grid_in_force_it_says_why(family_client, household):
    dossier = DossierFactory(child__household=household)
    section = tariff_section(review(family_client, dossier))
    assert "pas encore en vigueur" in section and "€" not in section


def test_a_notice_waiting_for_an_agent_gives_no_amount_and_says_why(
    family_client, household, settings, tmp_path
):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    dossier = with_grid(DossierFactory(child__household=household, income_declined=False))
    income_services.tax_notice_upload(
        user=household.owner, dossier=dossier, uploaded=SimpleUploadedFile("avis.pdf", documents.pdf())
    )
    section = tariff_section(review(family_client, dossier))
    assert "lira votre avis" in section and "€" not in section


def test_before_the_income_step_it_asks_for_it(family_client, household):
    dossier = with_grid(DossierFactory(child__household=household, income_declined=False))
    section = tariff_section(review(family_client, dossier))
    assert "indiquez-les d&#x27;abord" in section or "indiquez-les d'abord" in section


def test_a_creche_application_shows_its_hourly_rate(family_client, household):
    period = PeriodFactory(service=CrecheServiceFactory())
    TariffGrid.objects.create(period=period, version=1, label="Barème", data=COLLECTIVE, is_active=True)
    start = timezone.localdate() + timedelta(days=30)
    dossier = with_income(
        creche_dossier(
            period=period, start=start, household=household, birth_date=start - timedelta(days=300)
        )
    )
    section = tariff_section(review(family_client, dossier))
    assert "heure" in section and "€" in section and '<ol class="explanation">' in section
