"""Creating forms create once (issue 16, « Journeys »): measured before, three quick clicks on « Ajouter un enfant »
created three children. Each form below is posted three times with the token its page served; one thing exists."""

import re
import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cantine.models import Dossier
from impot_client.models import TaxNotice
from portal import services as portal_services
from portal.models import Adult, FormSubmission
from portal.submissions import FIELD
from stationnement.models import Application as ParkingApplication
from tests import documents
from tests.factories import ChildFactory, DossierFactory, HouseholdFactory, PeriodFactory

pytestmark = pytest.mark.django_db

TOKEN = re.compile(r'name="submission_token" value="([A-Za-z0-9_-]+)"')


def token_of(response) -> str:
    found = TOKEN.findall(response.content.decode())
    assert len(found) >= 1, "the page serves no one-time token"
    return found[0]


CHILD = {"first_names": "Léa", "last_name": "Martin", "birth_date": "2019-03-14", "diet": "standard"}


def post_three_times(client, url, data, page=None):
    token = token_of(client.get(page or url))
    return [client.post(url, {**data, FIELD: token}) for _ in range(3)]


class TestTheMechanism:
    def test_three_clicks_on_ajouter_un_enfant_add_one_child(self, family_client, household):
        responses = post_three_times(family_client, reverse("portal:child_add"), CHILD)
        assert household.children.count() == 1
        assert [r.status_code for r in responses] == [302, 302, 302]
        assert {r["Location"] for r in responses} == {reverse("portal:dashboard") + "#enfants"}

    def test_the_replay_says_it_was_taken_once(self, family_client, household):
        post_three_times(family_client, reverse("portal:child_add"), CHILD)
        page = family_client.get(reverse("portal:dashboard")).content.decode()
        assert "pris en compte qu&#x27;une fois" in page or "pris en compte qu'une fois" in page

    def test_each_page_serves_a_new_token_so_a_second_child_is_a_second_form(self, family_client, household):
        url = reverse("portal:child_add")
        for first_names in ("Léa", "Hugo"):
            family_client.post(
                url, {**CHILD, "first_names": first_names, FIELD: token_of(family_client.get(url))}
            )
        assert sorted(household.children.values_list("first_names", flat=True)) == ["Hugo", "Léa"]

    def test_a_form_shown_again_with_its_errors_keeps_its_token_usable(self, family_client, household):
        url = reverse("portal:child_add")
        token = token_of(family_client.get(url))
        refused = family_client.post(url, {**CHILD, "birth_date": "2999-01-01", FIELD: token})
        assert refused.status_code == 200 and household.children.count() == 0
        assert family_client.post(url, {**CHILD, FIELD: token}).status_code == 302
        assert household.children.count() == 1

    def test_another_accounts_token_is_not_its_result(self, client, household):
        other = HouseholdFactory()
        url = reverse("portal:child_add")
        client.force_login(household.owner)
        token = token_of(client.get(url))
        client.post(url, {**CHILD, FIELD: token})
        client.force_login(other.owner)
        client.post(url, {**CHILD, FIELD: token})
        assert (household.children.count(), other.children.count()) == (1, 1)

    def test_a_post_without_a_token_still_works(self, family_client, household):
        assert family_client.post(reverse("portal:child_add"), CHILD).status_code == 302
        assert household.children.count() == 1
        assert not FormSubmission.objects.exists()

    def test_used_tokens_are_purged_after_a_week(self, family_client, household):
        post_three_times(family_client, reverse("portal:child_add"), CHILD)
        today = timezone.localdate()
        assert portal_services.purge_expired(today=today)["form_submissions"] == 0
        assert (
            portal_services.purge_expired(today=today + timezone.timedelta(days=8))["form_submissions"] == 1
        )


class TestEveryCreatingForm:
    def test_the_second_parent(self, family_client, household):
        url = reverse("portal:adult_edit", args=["second_parent"])
        post_three_times(
            family_client,
            url,
            {
                "first_names": "Karim",
                "last_name": "Martin",
                "birth_date": "1985-02-01",
                "email": "k@example.org",
            },
        )
        assert household.adults.filter(role=Adult.Role.SECOND_PARENT).count() == 1

    def test_the_enrolment(self, family_client, household):
        child = ChildFactory(household=household)
        period = PeriodFactory()
        url = reverse("cantine:enrol_period", args=[period.service.slug]) + f"?child={child.pk}"
        responses = post_three_times(family_client, url, {"period": period.pk})
        dossier = Dossier.objects.get(child=child)
        assert {r["Location"] for r in responses} == {
            reverse("cantine:dossier_edit_details", args=[dossier.pk])
        }

    def test_the_renewal(self, family_client, household, make_dossier):
        dossier = make_dossier(Dossier.Status.ACCEPTED, child__household=household)
        PeriodFactory(
            service=dossier.service,
            starts_on=dossier.period.starts_on.replace(year=dossier.period.starts_on.year + 1),
            ends_on=dossier.period.ends_on.replace(year=dossier.period.ends_on.year + 1),
        )
        responses = post_three_times(
            family_client,
            reverse("cantine:dossier_renew", args=[dossier.pk]),
            {},
            page=reverse("cantine:dossier_detail", args=[dossier.pk]),
        )
        assert Dossier.objects.filter(child=dossier.child).count() == 2
        assert len({r["Location"] for r in responses}) == 1

    def test_the_tax_notice(self, family_client, household, settings, tmp_path):
        settings.PRIVATE_MEDIA_ROOT = tmp_path
        dossier = DossierFactory(child__household=household, income_declined=False)
        url = reverse("impot:notice_upload", args=[dossier.pk])
        token = token_of(family_client.get(url))
        for _ in range(3):
            family_client.post(url, {"file": SimpleUploadedFile("avis.pdf", documents.pdf()), FIELD: token})
        assert TaxNotice.objects.filter(dossier=dossier).count() == 1

    def test_the_parking_application(self, family_client, household):
        post_three_times(
            family_client, reverse("stationnement:start"), {}, page=reverse("stationnement:begin")
        )
        assert ParkingApplication.objects.filter(household=household).count() == 1


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="concurrent writers need PostgreSQL")
def test_three_clicks_at_the_same_moment_add_one_child(monkeypatch):
    """The three requests arrive together: each waits in the creation, so without the token's unique constraint
    each would add its child; the two later ones wait for the first and are sent to its result."""
    household = HouseholdFactory()
    creating = portal_services.child_create

    def slow_create(**fields):
        child = creating(**fields)
        time.sleep(0.5)
        return child

    monkeypatch.setattr(portal_services, "child_create", slow_create)
    url = reverse("portal:child_add")
    browser = Client()
    browser.force_login(household.owner)
    token = token_of(browser.get(url))
    barrier = threading.Barrier(3)
    answers = []

    def click():
        client = Client()
        client.force_login(household.owner)
        try:
            barrier.wait()
            answers.append(client.post(url, {**CHILD, FIELD: token}).status_code)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=click) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert answers == [302, 302, 302]
    assert household.children.count() == 1
