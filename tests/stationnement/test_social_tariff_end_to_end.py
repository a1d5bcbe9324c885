"""The social tariff against the simulators over real HTTP, as `make run` serves it: one FranceConnect round trip
with the address, the chosen income and the vehicle; a local account's numéro fiscal giving address and income in
one DGFiP answer, its figures never shown."""

from datetime import date

import pytest
from django.urls import reverse

from portal.models import Adult
from stationnement.models import Application, Card, IncomeFigures, ParkingGrid
from tests.documents import PDF
from tests.factories import PASSWORD, HouseholdFactory
from tests.franceconnect.test_end_to_end import csrf_token, pick_identity, sandbox  # noqa: F401 - fixture
from tests.stationnement.conftest import zones  # noqa: F401 - fixture
from tests.stationnement.test_end_to_end import hidden, post_form, simulators, start  # noqa: F401 - fixture
from tests.stationnement.test_social_tariff import SOCIAL_GRID

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("zones", "social_grid")]


@pytest.fixture
def social_grid(db):
    return ParkingGrid.objects.create(
        version=1, label="délibération sociale", data=SOCIAL_GRID, is_active=True
    )


def authorise(browser, application, domicile, identity, social):
    franceconnect = post_form(
        browser,
        domicile,
        reverse("stationnement:authorize", args=[application.pk]),
        shown=hidden(domicile.text, "shown"),
        social=social,
    )
    scopes = str(franceconnect.url)
    return scopes, post_form(browser, franceconnect, str(franceconnect.url), identity=identity)


@pytest.mark.parametrize(
    ("social", "asked", "not_asked", "line"),
    [
        (
            "caf",
            ["dgfip_aft", "cnaf_quotient_familial", "cnaf_allocataires", "cnaf_enfants", "identite_pivot"],
            ["dgfip_rfr", "dgfip_nbpart", "cnaf_adresse"],
            "Tarif social : quotient familial CAF de 715,00\u00a0€ ≤ 900,00\u00a0€, -50 % : 75,00\u00a0€.",
        ),
        (
            "dgfip",
            ["dgfip_aft", "dgfip_rfr", "dgfip_nbpart", "identite_pivot"],
            ["cnaf_"],
            "Tarif social : quotient familial fiscal de 893,75\u00a0€ ≤ 900,00\u00a0€, -50 % : 75,00\u00a0€.",
        ),
    ],
    ids=["caf", "dgfip"],
)
def test_one_franceconnect_round_trip_gives_address_income_and_vehicle(
    sandbox,  # noqa: F811
    social,
    asked,
    not_asked,
    line,
):
    pick_identity(sandbox, "test")
    application, domicile = start(sandbox, "AB-123-CD")
    assert "Le tarif social (facultatif)" in domicile.text
    scopes, review = authorise(sandbox, application, domicile, "test", social)
    for scope in asked:
        assert scope in scopes
    for scope in not_asked:
        assert scope not in scopes
    assert review.url.path == reverse("stationnement:review", args=[application.pk])
    assert line.replace("'", "&#x27;") in review.text
    post_form(sandbox, review, str(review.url))
    card = Card.objects.get()
    assert str(card.amount) == "67.50"  # 150 € - 50 %, then Euro 6d - 10 %
    assert IncomeFigures.objects.get().certified


def test_declining_the_social_tariff_asks_for_the_address_only(sandbox):  # noqa: F811
    pick_identity(sandbox, "test")
    application, domicile = start(sandbox, "AB-123-CD")
    scopes, review = authorise(sandbox, application, domicile, "test", "")
    assert "dgfip_aft" in scopes and "dgfip_rfr" not in scopes and "cnaf_" not in scopes
    assert "le tarif social ne s&#x27;applique pas (plein tarif)" in review.text
    post_form(sandbox, review, str(review.url))
    assert str(Card.objects.get().amount) == "135.00" and not IncomeFigures.objects.exists()


def test_a_local_account_gets_address_and_income_from_one_numero_fiscal_answer(sandbox, settings):  # noqa: F811
    settings.IMPOT_NUMERO_FISCAL_NEEDS_AGENT = True
    household = HouseholdFactory(owner__email="angela.dubois@example.org")
    Adult.objects.filter(household=household).update(
        first_names="Angela", last_name="Dubois", birth_date=date(1962, 8, 24)
    )
    login = sandbox.get(reverse("portal:login"))
    post_form(
        sandbox, login, reverse("portal:login"), username="angela.dubois@example.org", password=PASSWORD
    )
    application, domicile = start(sandbox, "AB-123-CD")
    documents = post_form(
        sandbox,
        domicile,
        reverse("stationnement:authorize", args=[application.pk]),
        shown=hidden(domicile.text, "shown"),
        numero_fiscal="3999990000017",
        social="dgfip",
    )
    assert documents.url.path == reverse("stationnement:documents", args=[application.pk])  # the carte grise
    income = IncomeFigures.objects.get()
    assert (income.rfr, income.certified, income.identity_mismatch) == (21450, False, False)
    application.refresh_from_db()
    assert application.zone.code == "A" and application.status == Application.Status.DRAFT
    sandbox.post(
        str(documents.url),
        data={"csrfmiddlewaretoken": csrf_token(documents.text), "kind": "registration"},
        files={"file": ("carte-grise.pdf", PDF, "application/pdf")},
        headers={"Referer": str(documents.url)},
    )
    review = sandbox.get(reverse("stationnement:review", args=[application.pk]))
    assert (
        "d&#x27;après les revenus transmis, votre quotient familial fiscal est au plus 900,00\u00a0€"
        in review.text
    )
    assert "21\u00a0450" not in review.text and "893,75" not in review.text
    detail = post_form(sandbox, review, str(review.url))
    assert "un agent la vérifie" in detail.text and not Card.objects.exists()


def test_dgfip_down_with_the_social_tariff_asked_keeps_the_draft(sandbox):  # noqa: F811
    HouseholdFactory(owner__email="angela.dubois@example.org")
    login = sandbox.get(reverse("portal:login"))
    post_form(
        sandbox, login, reverse("portal:login"), username="angela.dubois@example.org", password=PASSWORD
    )
    application, domicile = start(sandbox, "AB-123-CD")
    page = post_form(
        sandbox,
        domicile,
        reverse("stationnement:authorize", args=[application.pk]),
        shown=hidden(domicile.text, "shown"),
        numero_fiscal="3999990000108",  # the simulator's DGFiP server error, retried once
        social="dgfip",
    )
    assert page.status_code == 200 and "Votre adresse n'a pas pu être obtenue" in page.text
    assert "ne répond pas" in page.text and "Envoyer un justificatif de domicile" in page.text
    application.refresh_from_db()
    assert application.status == Application.Status.DRAFT and not IncomeFigures.objects.exists()
