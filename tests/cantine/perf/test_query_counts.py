"""Each page costs a fixed number of queries: measured with a little data, then again with more children, dossiers,
candidates on the waiting list or rows in the list, and held equal (and under a ceiling)."""

from datetime import date, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cantine import selectors
from cantine.models import CommitteeSession, Dossier, DossierStatusChange, PlaceOffer
from impot_client import services as impot_services
from portal.models import Adult
from tests.cantine.backoffice import grid_for, submitted, with_income
from tests.cantine.grids import COLLECTIVE as PSU
from tests.cantine.grids import PARIS
from tests.factories import (
    ChildFactory,
    CrecheServiceFactory,
    DossierFactory,
    HouseholdFactory,
    PeriodFactory,
    UserFactory,
    creche_dossier,
)
from tests.impot_client.conftest import grant, situation_for

pytestmark = pytest.mark.django_db


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    # Savepoints are the transactions' bookkeeping (their names differ per call), not reads.
    return sum(1 for query in captured if "SAVEPOINT" not in query["sql"])


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path


@pytest.fixture
def canteen():
    period = PeriodFactory()
    grid_for(period, PARIS)
    return period


@pytest.fixture
def creche():
    period = PeriodFactory(service=CrecheServiceFactory())
    grid_for(period, PSU)
    return period


def more_of_the_commune(canteen, creche, n):
    """Other families: canteen dossiers in every state, crèche candidates, one with a place accepted."""
    for index in range(n):
        dossier = (
            with_income(DossierFactory(period=canteen, income_declined=False))
            if index % 2
            else DossierFactory(period=canteen)
        )
        submitted(dossier)
        creche_dossier(period=creche, start=creche.starts_on, income_declined=True)
    for dossier in Dossier.objects.filter(period=creche, status="draft"):
        submitted(dossier)
    Dossier.objects.filter(period=creche).update(submitted_at=timezone.now() - timedelta(days=3))


def test_family_pages_do_not_grow_with_children_dossiers_or_the_waiting_list(client, canteen, creche):
    household = HouseholdFactory()
    client.force_login(household.owner)
    first = submitted(DossierFactory(child=ChildFactory(household=household), period=canteen))
    baby = creche_dossier(period=creche, start=creche.starts_on, household=household, income_declined=True)
    submitted(baby)
    pages = {
        "dashboard": reverse("portal:dashboard"),
        "canteen": reverse("cantine:dossier_detail", args=[first.pk]),
        "creche": reverse("cantine:dossier_detail", args=[baby.pk]),
        "enrol": reverse("cantine:enrol_period", args=[canteen.service.slug]) + f"?child={first.child_id}",
        "estimate": reverse("cantine:estimate") + f"?period={canteen.pk}&rfr=30000&parts=2%2C5&rank=1",
    }
    before = {name: queries(client, url) for name, url in pages.items()}
    for _n in range(3):  # from two children to five, each with a dossier
        submitted(DossierFactory(child=ChildFactory(household=household), period=canteen))
    assert household.children.count() == 5
    more_of_the_commune(canteen, creche, 6)
    after = {name: queries(client, url) for name, url in pages.items()}
    assert after == before
    assert max(after.values()) <= 20, after
    assert selectors.queue_place(baby).total == 7


def test_the_queue_place_is_the_waiting_lists_order(creche, canteen, django_assert_max_num_queries):
    more_of_the_commune(canteen, creche, 5)
    candidates = list(Dossier.objects.filter(period=creche).order_by("pk"))
    household = candidates[0].child.household
    ChildFactory(household=candidates[1].child.household, has_disability=True)
    Dossier.objects.filter(pk=candidates[1].pk).update(creche_single_parent=True)
    Dossier.objects.filter(pk=candidates[2].pk).update(creche_parents_working=True)
    Dossier.objects.filter(pk=candidates[3].pk).update(submitted_at=timezone.now() - timedelta(days=30))
    sibling = creche_dossier(period=creche, start=creche.starts_on, household=household, income_declined=True)
    submitted(sibling)
    PlaceOffer.objects.create(
        session=CommitteeSession.objects.create(
            period=creche, held_on=date.today(), decision_date=date.today() + timedelta(days=3)
        ),
        dossier=candidates[0],
        establishment=creche.service.establishments.first(),
        age_group="babies",
        start_date=creche.starts_on,
        deadline=date.today() + timedelta(days=10),
        weeks_per_year=45,
        months_billed=11,
        status=PlaceOffer.Status.ACCEPTED,
        decided_by=UserFactory(is_staff=True),
    )
    ranked = [c.dossier.pk for c in selectors.waiting_list(service=creche.service, period=creche)]
    assert candidates[0].pk not in ranked and ranked.index(sibling.pk) < ranked.index(candidates[4].pk)
    for position, pk in enumerate(ranked, start=1):
        dossier = Dossier.objects.select_related("service", "period").get(pk=pk)
        with django_assert_max_num_queries(4):
            place = selectors.queue_place(dossier)
        assert (place.position, place.total) == (position, len(ranked))
    assert selectors.queue_place(candidates[0]) is None


def with_mismatch(period):
    """A dossier flagged « identité à vérifier »: figures by numéro fiscal whose declarants are others."""
    mismatch = DossierFactory(period=period, income_declined=False)
    impot_services._tax_data_store(
        consent=grant(mismatch),
        situation=situation_for(mismatch.child.household.adults.get(), rfr=1000),
        numero_fiscal="3999990000074",
    )


def test_agents_list_and_dossier_page_do_not_grow_with_rows(client, canteen, creche):
    agent = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(agent)
    more_of_the_commune(canteen, creche, 2)
    with_mismatch(canteen)
    dossier = Dossier.objects.filter(period=canteen).exclude(status="draft").first()
    lists = [
        reverse("admin:cantine_dossier_changelist"),
        reverse("admin:cantine_dossier_changelist") + "?signalement=identite",
        reverse("admin:cantine_dossier_changelist")
        + f"?service__id__exact={canteen.service_id}&status__exact=submitted",
        reverse("admin:cantine_dossier_changelist") + "?q=Martin",
        reverse("admin:cantine_dossierstatuschange_changelist"),
        reverse("admin:portal_household_changelist"),
    ]
    page = reverse("admin:cantine_dossier_change", args=[dossier.pk])
    queries(client, page)  # fills the process's content-type cache (the admin's log links), once
    before = [queries(client, url) for url in lists] + [queries(client, page)]
    more_of_the_commune(canteen, creche, 8)
    household = dossier.child.household
    for _n in range(3):
        ChildFactory(household=household)
    Adult.objects.create(
        household=household, role=Adult.Role.SECOND_PARENT, first_names="Karim", last_name="M"
    )
    with_mismatch(canteen)
    DossierStatusChange.objects.bulk_create(
        DossierStatusChange(
            dossier=dossier, from_status="submitted", to_status="submitted", actor=UserFactory(is_staff=True)
        )
        for _n in range(5)
    )
    after = [queries(client, url) for url in lists] + [queries(client, page)]
    assert after == before
    assert max(after) <= 40, after
    # The dossier page: three more children, a second parent and five more history rows by five agents cost
    # no query more; and its count has a fixed ceiling.
    assert after[-1] <= 22, after[-1]
