"""Families see the waiting list's published criteria and their own points (issue 16, « Journeys »): measured
before, the crèche dossier page gave a position only, never what the commune counts nor the family's points."""

import pytest
from django.urls import reverse

from cantine import selectors
from cantine.models import WaitingListCriterion
from tests.cantine.test_creche_places import setting, waiting

pytestmark = pytest.mark.django_db


def criteria(**points):
    WaitingListCriterion.objects.all().delete()
    for code, value in points.items():
        WaitingListCriterion.objects.create(code=code, points=value)


def test_the_page_lists_each_criterion_its_points_and_the_familys_total_and_position(client):
    criteria(single_parent=30, parents_working=20, disability=50)
    period, _creche, _session = setting()
    first = waiting(period)  # nothing declared: 0 points
    mine = waiting(period)
    mine.creche_single_parent = True
    mine.creche_parents_working = True
    mine.save()
    client.force_login(mine.child.household.owner)
    page = client.get(reverse("cantine:dossier_detail", args=[mine.pk])).content.decode()
    section = page[page.index('id="titre-criteres"') :]
    for label, value in (("Parent isolé", "30"), ("Parent(s) en activité ou en formation", "20")):
        assert label in section and f'<td data-label="Points">{value}</td>' in section
    assert "Enfant en situation de handicap" in section and "non" in section
    assert "Votre demande compte 50 points." in section
    assert "position 1 sur 2" in page
    assert first.pk != mine.pk


def test_the_points_are_those_the_list_ranks_by(db):
    criteria(single_parent=30, parents_working=20)
    period, _creche, _session = setting()
    dossier = waiting(period)
    dossier.creche_parents_working = True
    dossier.save()
    [candidate] = selectors.waiting_list(service=period.service, period=period)
    assert selectors.waiting_list_points(dossier).total == candidate.score == 20


def test_an_inactive_criterion_is_not_published(client):
    criteria(single_parent=30, disability=50)
    WaitingListCriterion.objects.filter(code="disability").update(is_active=False)
    period, _creche, _session = setting()
    dossier = waiting(period)
    client.force_login(dossier.child.household.owner)
    page = client.get(reverse("cantine:dossier_detail", args=[dossier.pk])).content.decode()
    assert "Parent isolé" in page and "Enfant en situation de handicap" not in page
