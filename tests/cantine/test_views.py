import html
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from cantine.models import Dossier
from tests.factories import ChildFactory, CrecheServiceFactory, PeriodFactory

pytestmark = pytest.mark.django_db
Status = Dossier.Status
TODAY = timezone.localdate()


def test_canteen_journey_from_start_to_submitted(family_client, household):
    period = PeriodFactory()
    school = period.service.establishments.get()
    child = ChildFactory(household=household, school=school, class_level="CE1")

    response = family_client.get(
        reverse("cantine:enrol_start"), {"child": child.pk, "service": period.service.pk}
    )
    assert response.url == reverse("cantine:enrol_period", args=[period.service.slug]) + f"?child={child.pk}"

    response = family_client.post(response.url, {"period": period.pk})
    dossier = Dossier.objects.get()
    assert response.url == reverse("cantine:dossier_edit_details", args=[dossier.pk])

    page = family_client.get(response.url).content.decode()
    assert f'value="{school.pk}" selected' in page  # the child's school is proposed

    response = family_client.post(
        response.url, {"establishment": school.pk, "days": ["mon", "tue", "thu", "fri"]}
    )
    assert response.url == reverse("impot:income", args=[dossier.pk])
    review = reverse("cantine:dossier_review", args=[dossier.pk])
    assert "Il manque encore : vos revenus" in family_client.get(review).content.decode()

    shown = family_client.get(response.url).context["shown"]
    response = family_client.post(reverse("impot:decline", args=[dossier.pk]), {"shown": shown})
    assert response.url == review
    assert "Envoyer ma demande" in family_client.get(review).content.decode()

    response = family_client.post(review)
    assert response.url == reverse("cantine:dossier_detail", args=[dossier.pk])
    page = family_client.get(response.url).content.decode()
    assert "Envoyée" in page and "Lundi, Mardi, Jeudi, Vendredi" in page
    dossier.refresh_from_db()
    assert dossier.status == Status.SUBMITTED


def creche_draft(family_client, household):
    """A crèche draft for a baby of `household`, opened through the enrolment pages."""
    service = CrecheServiceFactory()
    period = PeriodFactory(service=service)
    baby = ChildFactory(household=household, birth_date=TODAY - timedelta(days=200))
    family_client.post(
        reverse("cantine:enrol_period", args=[service.slug]) + f"?child={baby.pk}", {"period": period.pk}
    )
    return Dossier.objects.get()


def test_creche_details_form_keeps_what_was_typed_on_error(family_client, household):
    dossier = creche_draft(family_client, household)
    service = dossier.service
    past = (TODAY - timedelta(days=3)).isoformat()
    first = service.establishments.first()
    response = family_client.post(
        reverse("cantine:dossier_edit_details", args=[dossier.pk]),
        {"start_date": past, "mon_start": "08:30", "mon_end": "17:00", "choice_1": first.pk},
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "La date d&#x27;entrée souhaitée ne peut pas être dans le passé." in html
    assert f'value="{past}"' in html and 'value="08:30"' in html and f'value="{first.pk}" selected' in html
    dossier.refresh_from_db()
    assert dossier.status == Status.DRAFT and dossier.creche_start_date is None


def test_half_filled_day_is_pointed_out(family_client, household):
    dossier = creche_draft(family_client, household)
    service = dossier.service
    response = family_client.post(
        reverse("cantine:dossier_edit_details", args=[dossier.pk]),
        {
            "start_date": (TODAY + timedelta(days=20)).isoformat(),
            "mon_start": "08:30",
            "choice_1": service.establishments.first().pk,
        },
    )
    assert "Lundi : indiquez l&#x27;arrivée et le départ." in response.content.decode()


def test_closed_period_message_on_the_form(family_client, household):
    period = PeriodFactory(
        enrolment_opens_on=TODAY - timedelta(days=20), enrolment_closes_on=TODAY - timedelta(days=1)
    )
    child = ChildFactory(household=household)
    response = family_client.post(
        reverse("cantine:enrol_period", args=[period.service.slug]) + f"?child={child.pk}",
        {"period": period.pk},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "sont closes depuis le" in page and "pas ouverte aux inscriptions" in page
    assert f'value="{period.pk}"' not in page  # not offered (issue 16): only said closed
    assert not Dossier.objects.exists()


def test_duplicate_message_on_the_form(family_client, household, make_dossier):
    dossier = make_dossier(Status.SUBMITTED, child=ChildFactory(household=household))
    response = family_client.post(
        reverse("cantine:enrol_period", args=[dossier.service.slug]) + f"?child={dossier.child.pk}",
        {"period": dossier.period.pk},
    )
    assert "Une demande existe déjà" in response.content.decode()
    assert Dossier.objects.count() == 1


def test_enrol_start_without_children_asks_to_add_one(family_client):
    response = family_client.get(reverse("cantine:enrol_start"))
    assert response.url == reverse("portal:child_add")


def test_enrol_start_requires_a_choice(family_client, household):
    ChildFactory(household=household)
    PeriodFactory()
    response = family_client.get(reverse("cantine:enrol_start"), {"child": ""})
    assert "Choisissez un service." in response.content.decode()


@pytest.mark.parametrize("child", ["", "abc", "999999"])
def test_enrol_period_with_a_bad_child_is_404(family_client, child):
    period = PeriodFactory()
    url = reverse("cantine:enrol_period", args=[period.service.slug]) + f"?child={child}"
    assert family_client.get(url).status_code == 404


def test_family_cancels_a_submitted_dossier(family_client, household, make_dossier):
    dossier = make_dossier(Status.SUBMITTED, child=ChildFactory(household=household))
    response = family_client.post(reverse("cantine:dossier_cancel", args=[dossier.pk]), follow=True)
    assert "est annulée" in response.content.decode()
    dossier.refresh_from_db()
    assert dossier.status == Status.CANCELLED


def test_cancelling_asks_for_confirmation_first_and_says_what_happens(family_client, household, make_dossier):
    dossier = make_dossier(Status.SUBMITTED, child=ChildFactory(household=household, first_names="Inès"))
    detail = family_client.get(reverse("cantine:dossier_detail", args=[dossier.pk])).content.decode()
    url = reverse("cantine:dossier_cancel", args=[dossier.pk])
    assert f'href="{url}"' in detail  # a link to the confirmation page, not a one-click form
    page = html.unescape(family_client.get(url).content.decode())
    assert "Ce qui va se passer" in page and "d'Inès sera annulée" in page and "définitive" in page
    assert 'method="post"' in page and "Non, garder ma demande" in page
    dossier.refresh_from_db()
    assert dossier.status == Status.SUBMITTED  # reading the page changes nothing


def test_the_cancel_page_of_an_accepted_dossier_goes_back_to_it(family_client, household, make_dossier):
    dossier = make_dossier(Status.ACCEPTED, child=ChildFactory(household=household))
    response = family_client.get(reverse("cantine:dossier_cancel", args=[dossier.pk]))
    assert response.url == reverse("cantine:dossier_detail", args=[dossier.pk])


def test_cancelling_an_accepted_dossier_is_refused_with_a_message(family_client, household, make_dossier):
    dossier = make_dossier(Status.ACCEPTED, child=ChildFactory(household=household))
    response = family_client.post(reverse("cantine:dossier_cancel", args=[dossier.pk]), follow=True)
    assert "ne peut pas passer" in response.content.decode()
    dossier.refresh_from_db()
    assert dossier.status == Status.ACCEPTED


def test_submitted_dossier_cannot_be_edited(family_client, household, make_dossier):
    dossier = make_dossier(Status.SUBMITTED, child=ChildFactory(household=household))
    response = family_client.post(reverse("cantine:dossier_edit_details", args=[dossier.pk]), {"days": ["mon"]})
    assert response.url == reverse("cantine:dossier_detail", args=[dossier.pk])
    dossier.refresh_from_db()
    assert dossier.canteen_days == ["mon", "tue", "thu", "fri"]


def test_document_request_is_shown_and_the_family_can_resend(family_client, household, make_dossier):
    dossier = make_dossier(Status.AWAITING_DOCUMENTS, child=ChildFactory(household=household))
    page = family_client.get(reverse("cantine:dossier_detail", args=[dossier.pk])).content.decode()
    assert "Merci de joindre un justificatif de domicile." in page
    family_client.post(reverse("cantine:dossier_review", args=[dossier.pk]))
    dossier.refresh_from_db()
    assert dossier.status == Status.SUBMITTED


FAMILY_URLS = [
    ("get", "cantine:dossier_detail"),
    ("get", "cantine:dossier_edit_details"),
    ("post", "cantine:dossier_edit_details"),
    ("get", "cantine:dossier_review"),
    ("post", "cantine:dossier_review"),
    ("get", "cantine:dossier_cancel"),
    ("post", "cantine:dossier_cancel"),
]


@pytest.mark.parametrize(("method", "name"), FAMILY_URLS)
def test_another_familys_dossier_is_404(family_client, make_dossier, method, name):
    foreign = make_dossier(Status.DRAFT)
    response = getattr(family_client, method)(reverse(name, args=[foreign.pk]))
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.status == Status.DRAFT


@pytest.mark.parametrize("method", ["get", "post"])
def test_another_familys_child_is_404(family_client, method):
    foreign = ChildFactory(first_names="Intrus")
    response = getattr(family_client, method)(
        reverse("portal:child_edit", args=[foreign.pk]), {"first_names": "X"}
    )
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.first_names == "Intrus"


def test_unknown_or_withdrawn_service_is_404(family_client, household):
    child = ChildFactory(household=household)
    withdrawn = PeriodFactory(service__is_active=False).service
    for slug in ("service-inconnu", withdrawn.slug):
        url = reverse("cantine:enrol_period", args=[slug]) + f"?child={child.pk}"
        assert family_client.get(url).status_code == 404
    assert not Dossier.objects.exists()


def test_enrolling_another_familys_child_is_404(family_client):
    period = PeriodFactory()
    foreign = ChildFactory()
    url = reverse("cantine:enrol_period", args=[period.service.slug]) + f"?child={foreign.pk}"
    assert family_client.post(url, {"period": period.pk}).status_code == 404
    assert not Dossier.objects.exists()


@pytest.mark.parametrize(("method", "name"), FAMILY_URLS)
def test_anonymous_visitors_are_sent_to_sign_in(client, make_dossier, method, name):
    dossier = make_dossier(Status.DRAFT)
    response = getattr(client, method)(reverse(name, args=[dossier.pk]))
    assert response.status_code == 302 and response.url.startswith(reverse("portal:login"))
