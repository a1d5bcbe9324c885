"""Validation where the family is (issue 16, « Journeys »), each measured before: a 2-year-old in CM2 and a
6-month-old in a school canteen were accepted, crèche hours 00:00–23:59 too, a 7-year-old's crèche application was
refused only at step 3 (after the family had filled in its details), and a period not yet open was offered at
step 2 then refused."""

from datetime import date, timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from cantine.models import Dossier
from tests.factories import (
    ChildFactory,
    CrecheServiceFactory,
    DossierFactory,
    EstablishmentFactory,
    PeriodFactory,
)

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()


def years_ago(years, days=0):
    return TODAY.replace(year=TODAY.year - years) - timedelta(days=days)


def period_page(client, period, child, post=None):
    url = reverse("cantine:enrol_period", args=[period.service.slug]) + f"?child={child.pk}"
    response = client.post(url, post) if post is not None else client.get(url)
    return response, unescape(response.content.decode())


def test_a_two_year_old_is_not_in_cm2(family_client, household):
    school = EstablishmentFactory()
    response = family_client.post(
        reverse("portal:child_add"),
        {
            "first_names": "Léa",
            "last_name": "Martin",
            "birth_date": years_ago(2).isoformat(),
            "school": school.pk,
            "class_level": "CM2",
            "diet": "standard",
        },
    )
    assert response.status_code == 200 and household.children.count() == 0
    assert "n'est pas en CM2" in unescape(response.content.decode())


def test_a_ten_year_old_in_cm2_and_a_child_a_year_ahead_are_accepted(family_client, household):
    school = EstablishmentFactory()
    school_year = TODAY.year if TODAY.month >= 9 else TODAY.year - 1
    for born, level in ((school_year - 10, "CM2"), (school_year - 5, "CP")):
        data = {"first_names": "Léa", "last_name": "Martin", "birth_date": f"{born}-03-14"}
        family_client.post(
            reverse("portal:child_add"),
            {**data, "school": school.pk, "class_level": level, "diet": "standard"},
        )
    assert household.children.count() == 2


def test_a_six_month_old_is_refused_a_school_canteen_at_step_2(family_client, household):
    baby = ChildFactory(
        household=household, birth_date=TODAY - timedelta(days=182), school=None, class_level=""
    )
    period = PeriodFactory()
    response, page = period_page(family_client, period, baby, {"period": period.pk})
    assert response.status_code == 200 and not Dossier.objects.filter(child=baby).exists()
    assert "accueille les enfants scolarisés" in page


def test_a_seven_year_old_is_refused_the_creche_at_step_2_not_3(family_client, household):
    child = ChildFactory(household=household, birth_date=years_ago(7))
    period = PeriodFactory(service=CrecheServiceFactory())
    response, page = period_page(family_client, period, child, {"period": period.pk})
    assert response.status_code == 200 and not Dossier.objects.filter(child=child).exists()
    assert "aura 7 ans" in page and "moins de 3 ans" in page


def test_creche_hours_from_midnight_to_midnight_are_refused(family_client, household):
    period = PeriodFactory(service=CrecheServiceFactory())
    baby = ChildFactory(household=household, birth_date=TODAY - timedelta(days=300))
    dossier = DossierFactory(child=baby, period=period, establishment=None, canteen_days=[])
    start = max(period.starts_on, TODAY + timedelta(days=30))
    response = family_client.post(
        reverse("cantine:dossier_edit_details", args=[dossier.pk]),
        {
            "start_date": start.isoformat(),
            "mon_start": "00:00",
            "mon_end": "23:59",
            "choice_1": period.service.establishments.first().pk,
        },
    )
    page = unescape(response.content.decode())
    assert response.status_code == 200 and "accueille les enfants de 07:30 à 18:30" in page
    dossier.refresh_from_db()
    assert dossier.creche_schedule == {}


def test_a_period_not_open_yet_is_not_offered_and_says_when_it_opens(family_client, household):
    child = ChildFactory(household=household)
    opens = TODAY + timedelta(days=20)
    later = PeriodFactory(
        label="Année scolaire suivante",
        starts_on=date(TODAY.year + 1, 9, 1),
        ends_on=date(TODAY.year + 2, 8, 31),
        enrolment_opens_on=opens,
        enrolment_closes_on=opens + timedelta(days=60),
    )
    _response, page = period_page(family_client, later, child)
    assert f'value="{later.pk}"' not in page
    assert f"Les inscriptions pour Année scolaire suivante ouvriront le {opens:%d/%m/%Y}" in page
    response, _page = period_page(family_client, later, child, {"period": later.pk})
    assert response.status_code == 200 and not Dossier.objects.filter(child=child).exists()
