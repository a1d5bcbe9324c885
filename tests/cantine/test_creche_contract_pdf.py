"""The crèche contract PDF: names as typed (a Unicode font), French figures, both parents, the weekly schedule, the
dates, the rate and its explanation, who accepted and confirmed it; frozen when the family confirms it, and
emptied of the household's income and names by the retention and erasure hooks."""

import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from cantine import contracts, services
from cantine.models import CrecheContract, TariffGrid
from cantine.services import rights as rights_services
from impot_client.models import TaxData
from portal import formats
from portal.models import Adult
from tests.cantine.backoffice import submitted, with_income
from tests.cantine.grids import COLLECTIVE as PSU
from tests.cantine.test_creche_places import BABY, START, offer, setting
from tests.documents import pdf_text
from tests.factories import AdultFactory, creche_dossier

pytestmark = pytest.mark.django_db

RESOURCES = 41_250  # the household's annual resources, which the explanation quotes


def family_contract(*, confirmed=False):
    """Łucja Nguyễn's crèche contract: two parents, three days a week, the CAF's resources, the place taken."""
    period, creche, session = setting()
    creche.name, creche.address = "Crèche Les Petits Pas", "12 rue des Lilas, 00000 Beauval"
    creche.save()
    dossier = creche_dossier(period=period, start=START, birth_date=BABY, siblings=1)
    child, household = dossier.child, dossier.child.household
    child.first_names, child.last_name = "Łucja", "Nguyễn"
    child.save()
    household.adults.filter(role=Adult.Role.HOLDER).update(
        first_names="Agnieszka", last_name="Nguyễn-Kowalska"
    )
    household.address = "3 allée des Œillets, 00000 Beauval"
    household.save()
    AdultFactory(
        household=household, role=Adult.Role.SECOND_PARENT, first_names="Minh Đức", last_name="Nguyễn"
    )
    dossier.creche_schedule = {
        "mon": ["08:30", "17:30"],
        "tue": ["08:30", "17:30"],
        "thu": ["08:00", "12:20"],
    }
    dossier.save(update_fields=["creche_schedule"])
    submitted(with_income(dossier, rfr=RESOURCES, nb_pac=2))
    contract = services.place_offer_accept(offer=offer(dossier, session, creche), user=household.owner)
    if confirmed:
        contract = services.creche_contract_confirm(contract=contract, user=household.owner)
    return contract


def downloaded(client, contract) -> bytes:
    client.force_login(contract.dossier.child.household.owner)
    response = client.get(reverse("cantine:creche_contract_pdf", args=[contract.dossier.pk]))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return response.content


class TestWhatItPrints:
    def test_names_as_typed_figures_the_french_way_both_parents_and_the_schedule(self, client):
        contract = family_contract()
        text = pdf_text(downloaded(client, contract))
        assert "?" not in text
        for printed in (
            "Łucja Nguyễn",
            "Agnieszka Nguyễn-Kowalska",
            "Minh Đức Nguyễn",
            "3 allée des Œillets",
            "Crèche Les Petits Pas, 12 rue des Lilas",
            "Lundi de 8 h 30 à 17 h 30 (9 h)",
            "Mardi de 8 h 30 à 17 h 30 (9 h)",
            "Jeudi de 8 h à 12 h 20 (4 h 20)",
            "22,33 h",
            "Semaines d'accueil par an 45",
            "Mois facturés 11",
        ):
            assert printed in text, printed
        assert "Mercredi" not in text and "Vendredi" not in text
        assert formats.euros(contract.hourly_rate).replace("\xa0", " ") in text
        assert formats.euros(contract.monthly_fee).replace("\xa0", " ") in text
        assert "45,0" not in text and "11,0" not in text  # no « 45,0 semaines »

    def test_the_start_and_end_dates(self, client):
        contract = family_contract()
        text = pdf_text(downloaded(client, contract))
        start, end = contract.start_date, contract.dossier.period.ends_on
        assert f"Date d'entrée {formats_day(start)}" in text
        assert f"Date de fin {formats_day(end)}" in text

    def test_the_rate_and_the_tariff_engine_explanation(self, client):
        contract = family_contract()
        text = pdf_text(downloaded(client, contract))
        assert contract.explanation and "Mensualisation" in " ".join(contract.explanation)
        for line in contract.explanation:
            assert " ".join(line.split()) in text
        assert "41 250" in text  # the resources the rate came from, in French

    def test_who_accepted_and_confirmed_it_and_when(self, client):
        contract = family_contract()
        owner = contract.dossier.child.household.owner
        before = pdf_text(downloaded(client, contract))
        assert f"acceptée en ligne le {formats_day(timezone.localdate())}" in before
        assert f"par Agnieszka Nguyễn-Kowalska ({owner.email})" in before
        assert "À confirmer en ligne" in before and "Contrat confirmé" not in before
        client.post(reverse("cantine:creche_contract_confirm", args=[contract.dossier.pk]))
        contract.refresh_from_db()
        assert contract.confirmed_by == owner and contract.accepted_by == owner
        after = pdf_text(downloaded(client, contract))
        assert f"Contrat confirmé en ligne le {formats_day(timezone.localdate())} à" in after
        assert "À confirmer" not in after

    def test_a_147_character_name_wraps_inside_the_page(self, client):
        contract = family_contract()
        child = contract.dossier.child
        child.last_name = "Nguyễn-" + "Wolfeschlegelsteinhausenbergerdorff" * 4
        child.save()
        reader = PdfReader(io.BytesIO(downloaded(client, contract)))
        assert len(reader.pages) <= 2
        assert "Wolfeschlegelsteinhausenbergerdorff" in reader.pages[0].extract_text()


def formats_day(day) -> str:
    return contracts._day(day)


def test_my_data_lists_the_contract_and_links_its_pdf(client):
    contract = family_contract(confirmed=True)
    client.force_login(contract.dossier.child.household.owner)
    page = client.get(reverse("portal:my_data")).content.decode()
    assert reverse("cantine:creche_contract_pdf", args=[contract.dossier.pk]) in page
    assert "Contrat confirmé le" in page and formats.euros(contract.monthly_fee) in page


class TestFrozenWhenConfirmed:
    def test_confirming_stores_what_it_prints_encrypted(self):
        contract = family_contract(confirmed=True)
        assert contract.document["sections"][0]["rows"][0] == ["Enfant", "Łucja Nguyễn"]
        with connection.cursor() as cursor:
            cursor.execute("SELECT document FROM cantine_crechecontract WHERE id = %s", [contract.pk])
            (column,) = cursor.fetchone()
        assert column.startswith("gAAAAA") and "Nguyễn" not in column and "Łucja" not in column
        assert "41250" not in column and "41 250" not in column

    def test_renaming_the_child_or_a_new_grid_changes_nothing(self, client):
        contract = family_contract(confirmed=True)
        frozen = pdf_text(downloaded(client, contract))
        dossier = contract.dossier
        child = dossier.child
        child.first_names, child.last_name = "Lucie", "Dupont"
        child.save()
        dossier.child.household.adults.filter(role=Adult.Role.SECOND_PARENT).update(first_names="Paul")
        dossier.creche_schedule = {"fri": ["07:00", "19:00"]}
        dossier.save(update_fields=["creche_schedule"])
        TariffGrid.objects.filter(period=dossier.period).update(is_active=False)
        doubled = {**PSU, "label": "Barème révisé"}
        TariffGrid.objects.create(
            period=dossier.period, version=2, label="Révisé", data=doubled, is_active=True
        )
        contract.offer.establishment.name = "Crèche renommée"
        contract.offer.establishment.save()
        assert pdf_text(downloaded(client, CrecheContract.objects.get(pk=contract.pk))) == frozen
        assert "Łucja Nguyễn" in frozen and "Lucie" not in frozen

    def test_until_confirmed_it_follows_the_live_data(self, client):
        contract = family_contract()
        child = contract.dossier.child
        child.first_names = "Lucie"
        child.save()
        assert "Lucie Nguyễn" in pdf_text(downloaded(client, CrecheContract.objects.get(pk=contract.pk)))

    def test_confirming_twice_keeps_the_first_document(self):
        contract = family_contract(confirmed=True)
        first = contract.document
        child = contract.dossier.child
        child.first_names = "Lucie"
        child.save()
        again = services.creche_contract_confirm(contract=contract, user=child.household.owner)
        assert again.document == first and again.confirmed_at == contract.confirmed_at


class TestErased:
    def test_withdrawing_the_income_erases_it_from_the_frozen_contract(self, client):
        contract = family_contract(confirmed=True)
        assert "41 250" in pdf_text(downloaded(client, contract))
        services.dossier_income_erase(dossier=contract.dossier, reason=services.IncomeErasure.WITHDRAWN)
        contract.refresh_from_db()
        text = pdf_text(downloaded(client, contract))
        assert "41 250" not in text and "41250" not in text and "effacé" in text
        assert "Łucja Nguyễn" in text and "Mensualisation" in text  # the rest as confirmed
        assert formats.euros(contract.monthly_fee).replace("\xa0", " ") in text

    def test_the_retention_purge_erases_the_income_from_it(self, client):
        contract = family_contract(confirmed=True)
        period = contract.dossier.period
        after_retention = period.ends_on + timedelta(days=400)
        call_command("purge_expired", date=after_retention.isoformat(), stdout=io.StringIO())
        assert not TaxData.objects.filter(dossier=contract.dossier).exists()
        contract.refresh_from_db()
        calculation = next(s for s in contract.document["sections"] if s.get("key") == contracts.CALCULATION)
        assert "41 250" not in " ".join(calculation["lines"]).replace("\xa0", " ")
        assert contract.document["sections"][0]["rows"][0] == ["Enfant", "Łucja Nguyễn"]

    def test_erasing_the_account_erases_the_frozen_contract_and_keeps_the_billed_terms(self):
        contract = family_contract(confirmed=True)
        household = contract.dossier.child.household
        counts = rights_services.household_erase(household)
        contract.refresh_from_db()
        assert counts["contract_documents"] == 1 and contract.document is None
        assert contract.monthly_fee > Decimal(0) and contract.confirmed_at is not None
