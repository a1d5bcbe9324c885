"""The income pages and the mails in French: figures grouped and with their unit (« 31 245 € », « 2,5 »,
« 45 semaines »), names with their elision and article (« d'Inès », « pour l'année scolaire 2026-2027 », « à la
crèche Les Petits Pas »)."""

import html

import pytest
from django.urls import reverse

from cantine.models import DossierMessage
from portal import formats
from tests.cantine.backoffice import with_income
from tests.cantine.test_creche_contract_pdf import family_contract

pytestmark = pytest.mark.django_db


def income_page(client, dossier) -> str:
    return html.unescape(client.get(reverse("impot:income", args=[dossier.pk])).content.decode())


class TestIncomePage:
    def test_the_figures_obtained_are_written_the_french_way(self, family_client, dossier):
        with_income(dossier, rfr=31245, parts="2.5")
        page = income_page(family_client, dossier)
        assert "Revenu fiscal de référence" in page
        assert "31\xa0245\xa0€" in page and "31245" not in page
        assert "2,5" in page and "2,50" not in page

    def test_the_income_year_is_a_year_not_a_grouped_number(self, family_client, dossier):
        with_income(dossier, rfr=31245, parts="2.5")
        dossier.refresh_from_db()
        year = dossier.tax_data.year
        page = income_page(family_client, dossier)
        assert f"{year} —" in page and formats.number(year) not in page

    @pytest.mark.parametrize(("first_names", "of_child"), [("Inès", "d'Inès"), ("Léa", "de Léa")])
    def test_the_consent_text_elides_the_name_and_puts_the_article(
        self, family_client, dossier, first_names, of_child
    ):
        dossier.child.first_names = first_names
        dossier.child.save()
        dossier.period.label = "Année scolaire 2026-2027"
        dossier.period.save()
        page = income_page(family_client, dossier)
        assert f"» {of_child} pour l'année scolaire 2026-2027" in page
        assert "de Inès" not in page and "pour Année" not in page


class TestMails:
    def body(self, contract, kind) -> str:
        return DossierMessage.objects.get(dossier=contract.dossier, kind=kind).body

    def test_the_place_offered_names_the_creche_with_its_article(self):
        body = self.body(family_contract(), DossierMessage.Kind.PLACE_OFFERED)
        assert "une place à la crèche Les Petits Pas pour votre demande" in body
        assert "crèche Crèche" not in body

    def test_the_contract_drawn_writes_its_figures_the_french_way(self):
        contract = family_contract()
        body = self.body(contract, DossierMessage.Kind.CONTRACT_DRAWN)
        assert "22,33 h par semaine, 45 semaines par an, 11 mois facturés" in body
        assert f"{formats.euros(contract.hourly_rate)} de l'heure" in body
        assert f"soit {formats.euros(contract.monthly_fee)} par mois" in body
        assert "45,0" not in body and "€ €" not in body
