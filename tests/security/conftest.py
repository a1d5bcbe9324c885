"""Two victim households holding one of everything (a canteen family: sent dossier with DGFiP figures, a draft with
a tax notice, messages; a crèche family: a place accepted and its contract), and the actors who must never reach
them: anonymous, another family, an agent of another service."""

from types import SimpleNamespace

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from cantine import roles
from cantine import services as cantine_services
from cantine.income import services as income_services
from tests.cantine.backoffice import staff, submitted, under_review, with_grid, with_income
from tests.cantine.income.test_services import PDF
from tests.cantine.test_creche_places import BABY, START, offer, setting
from tests.factories import AdultFactory, DossierFactory, HouseholdFactory, creche_dossier
from tests.impot_client.conftest import private_media  # noqa: F401 - fixture
from tests.security.urls import owned_objects

CANTEEN_MARKER = "Zephyrinvictime"
CRECHE_MARKER = "Gontranvictime"


def _household(marker):
    household = HouseholdFactory(address=f"12 rue {marker}")
    holder = household.adults.get(role="holder")
    holder.last_name = f"{marker}parent"
    holder.save()
    AdultFactory(household=household, role="second_parent", first_names=f"{marker}second")
    return household


@pytest.fixture
def victims(db, private_media, migrations_data):  # noqa: F811
    canteen_home = _household(CANTEEN_MARKER)
    sent = DossierFactory(child__household=canteen_home, child__first_names=CANTEEN_MARKER, income_declined=False)
    sent = under_review(submitted(with_income(with_grid(sent))))
    cantine_services.dossier_request_documents(dossier=sent, agent=staff(), message=f"Pièce pour {CANTEEN_MARKER}")
    draft = DossierFactory(child=sent.child, period__service=sent.service, income_declined=False)
    income_services.tax_notice_upload(
        user=canteen_home.owner, dossier=draft, uploaded=SimpleUploadedFile("a.pdf", PDF)
    )
    creche_home = _household(CRECHE_MARKER)
    period, creche, session = setting()
    dossier = creche_dossier(period=period, start=START, birth_date=BABY, household=creche_home)
    dossier.child.first_names = CRECHE_MARKER
    dossier.child.save()
    submitted(with_income(dossier, rfr=40000, parts="3"))
    cantine_services.place_offer_accept(offer=offer(dossier, session, creche), user=creche_home.owner)
    return [
        SimpleNamespace(
            household=home,
            marker=marker,
            owned=owned_objects(home.owner, home),
            other_service_agent=staff(group=group),
        )
        for home, marker, group in (
            (canteen_home, CANTEEN_MARKER, roles.CRECHE_AGENTS),
            (creche_home, CRECHE_MARKER, roles.CANTEEN_AGENTS),
        )
    ]


@pytest.fixture
def other_family(db):
    household = HouseholdFactory()
    DossierFactory(child__household=household)
    return household.owner
