"""The holder's identity pivot: from FranceConnect's certified civil status, else from the holder's page."""

from datetime import date

import pytest
from django.utils import timezone

from api_particulier.identity import household_pivot, pivot_missing
from franceconnect.models import FranceConnectIdentity
from tests.factories import HouseholdFactory

pytestmark = pytest.mark.django_db


def _holder(household, **fields):
    holder = household.adults.get(role="holder")
    for name, value in fields.items():
        setattr(holder, name, value)
    holder.save()
    return holder


def test_a_local_holder_without_birth_details_is_told_what_is_missing():
    household = HouseholdFactory()
    assert household_pivot(household) is None
    assert set(pivot_missing(household)) == {"sexe", "date_naissance", "code_cog_insee_pays_naissance"}


def test_a_local_holder_born_in_france_gives_the_commune_code_and_a_usage_name():
    household = HouseholdFactory()
    _holder(
        household,
        first_names="Claire Anne",
        last_name="Martin",
        birth_name="Durand",
        sex="F",
        birth_date=date(1985, 3, 2),
        birth_country="99100",
        birth_commune="75056",
    )
    pivot = household_pivot(household)
    assert pivot.nom_naissance == "Durand" and pivot.nom_usage == "Martin"
    assert pivot.prenoms == ("Claire", "Anne") and pivot.sexe == "F"
    assert pivot.code_cog_insee_commune_naissance == "75056"
    assert pivot_missing(household) == []


def test_born_in_france_without_a_commune_is_incomplete():
    household = HouseholdFactory()
    _holder(household, sex="M", birth_date=date(1980, 1, 1), birth_country="99100")
    assert household_pivot(household) is None
    assert pivot_missing(household) == ["commune_naissance"]


def test_born_abroad_needs_no_commune():
    household = HouseholdFactory()
    _holder(household, sex="M", birth_date=date(1980, 1, 1), birth_country="99350", birth_commune="75056")
    pivot = household_pivot(household)
    assert pivot.code_cog_insee_pays_naissance == "99350" and pivot.code_cog_insee_commune_naissance == ""


def test_a_franceconnect_account_uses_its_certified_civil_status():
    household = HouseholdFactory()
    FranceConnectIdentity.objects.create(
        user=household.owner,
        sub="sub-1",
        given_name="Angela Claire Louise",
        family_name="DUBOIS",
        birthdate="1962-08-24",
        gender="female",
        birthplace="75107",
        birthcountry="99100",
        acr="eidas1",
        last_login_at=timezone.now(),
    )
    pivot = household_pivot(household)
    assert pivot.nom_naissance == "DUBOIS" and pivot.sexe == "F"
    assert pivot.date_naissance == date(1962, 8, 24) and pivot.code_cog_insee_commune_naissance == "75107"


def test_a_partial_franceconnect_birth_date_cannot_be_sent():
    household = HouseholdFactory()
    FranceConnectIdentity.objects.create(
        user=household.owner,
        sub="sub-2",
        given_name="Paul",
        family_name="FLEURET",
        birthdate="1990-00-00",
        gender="male",
        birthplace="",
        birthcountry="99350",
        acr="eidas1",
        last_login_at=timezone.now(),
    )
    assert household_pivot(household) is None
    assert pivot_missing(household) == ["holder"]
