from datetime import date
from decimal import Decimal

import pytest

from cantine.income.services import consent_record
from impot_client.situation import Declarant, TaxSituation
from tests.factories import AdultFactory, DossierFactory


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    """Uploaded notices go to a temporary directory, never the project's var/."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path


@pytest.fixture
def holder(household):
    """The account holder, with the full civil status a declarant check needs."""
    adult = household.adults.get(role="holder")
    adult.first_names, adult.birth_date = "Claire Marie", date(1988, 4, 12)
    adult.save()
    return adult


@pytest.fixture
def dossier(household):
    """A canteen draft of `household` whose income question is still open."""
    return DossierFactory(child__household=household, income_declined=False)


def grant(dossier, mode="numero_fiscal"):
    """The family clicks « J'autorise » for `dossier`."""
    return consent_record(
        user=dossier.child.household.owner,
        dossier=dossier,
        decision="granted",
        mode=mode,
        shown_text_hash="a" * 64,
    )


def situation_for(*adults, rfr=38500, nb_parts="2.5", nb_pac=1, year=2025):
    """What DGFiP would answer for a household whose declarants are `adults`."""
    return TaxSituation(
        year=year,
        rfr=rfr,
        nb_parts=Decimal(nb_parts),
        sit_fam="M",
        nb_pac=nb_pac,
        single_parent=False,
        declarants=tuple(
            Declarant(
                birth_name=adult.last_name.upper(),
                usage_name="",
                first_names=adult.first_names.upper(),
                birth_date=adult.birth_date,
            )
            for adult in adults
        ),
        correlation_id="6f1c2b0e-2f7c-4d55-9a57-1f1f0e0a0b0c",
    )


@pytest.fixture
def stranger():
    return AdultFactory.build(first_names="Gaston", last_name="Lagaffe", birth_date=date(1957, 2, 28))
