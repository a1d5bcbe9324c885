"""Annual renewal: an accepted family re-enrols for the next period; its consent is asked again."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cantine.income.selectors import income_status
from cantine.models import Dossier, Period
from portal.models import Consent
from tests.factories import PeriodFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def accepted(make_dossier, household):
    dossier = make_dossier(Dossier.Status.ACCEPTED, child__household=household)
    next_year = PeriodFactory(
        service=dossier.service,
        label="Année suivante",
        starts_on=dossier.period.starts_on.replace(year=dossier.period.starts_on.year + 1),
        ends_on=dossier.period.ends_on.replace(year=dossier.period.ends_on.year + 1),
    )
    return dossier, next_year


def test_reinscrire_copies_the_choices_but_not_the_consent(family_client, accepted):
    dossier, next_year = accepted
    page = family_client.get(reverse("cantine:dossier_detail", args=[dossier.pk])).content.decode()
    assert "Réinscrire pour l&#x27;année suivante" in page  # « l'année », escaped
    response = family_client.post(reverse("cantine:dossier_renew", args=[dossier.pk]))
    renewed = Dossier.objects.get(period=next_year)
    assert response.url == reverse("cantine:dossier_edit_details", args=[renewed.pk])
    assert (renewed.status, renewed.establishment, renewed.canteen_days) == (
        Dossier.Status.DRAFT,
        dossier.establishment,
        dossier.canteen_days,
    )
    assert not Consent.objects.filter(dossier=renewed).exists()
    assert income_status(renewed).state == "missing"  # asked again, for that year's tax data


def test_only_once_and_only_while_enrolment_is_open(family_client, accepted):
    dossier, next_year = accepted
    family_client.post(reverse("cantine:dossier_renew", args=[dossier.pk]))
    page = family_client.get(reverse("cantine:dossier_detail", args=[dossier.pk])).content.decode()
    assert "Réinscrire" not in page
    response = family_client.post(reverse("cantine:dossier_renew", args=[dossier.pk]), follow=True)
    assert "Aucune réinscription n&#x27;est ouverte" in response.content.decode()
    assert Dossier.objects.filter(period=next_year).count() == 1


def test_not_before_the_next_period_opens(family_client, accepted):
    dossier, next_year = accepted
    Period.objects.filter(pk=next_year.pk).update(enrolment_opens_on=timezone.localdate() + timedelta(days=1))
    page = family_client.get(reverse("cantine:dossier_detail", args=[dossier.pk])).content.decode()
    assert "Réinscrire" not in page


def test_a_dossier_not_accepted_cannot_be_renewed(family_client, make_dossier, household):
    dossier = make_dossier(Dossier.Status.SUBMITTED, child__household=household)
    PeriodFactory(
        service=dossier.service,
        starts_on=dossier.period.starts_on.replace(year=dossier.period.starts_on.year + 1),
        ends_on=dossier.period.ends_on.replace(year=dossier.period.ends_on.year + 1),
    )
    response = family_client.post(reverse("cantine:dossier_renew", args=[dossier.pk]), follow=True)
    assert "Aucune réinscription" in response.content.decode()


def test_another_familys_dossier_is_not_found(client, accepted):
    dossier, _next_year = accepted
    from tests.factories import HouseholdFactory

    other = HouseholdFactory()
    client.force_login(other.owner)
    assert client.post(reverse("cantine:dossier_renew", args=[dossier.pk])).status_code == 404
