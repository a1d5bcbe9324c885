"""The resident parking démarche against the simulators over real HTTP, as `make run` serves it: a FranceConnect
resident gets a card at once (DGFiP's address, the ANTS's vehicle), a resident outside every zone is sent to the
alternatives, a local account sends its proofs for an agent; the card's public check shows no personal data."""

import re
from datetime import date

import pytest
from django.urls import reverse

from franceconnect.models import FranceConnectIdentity
from portal.models import Adult, Household, User
from stationnement.models import Application, Card
from tests.documents import PDF
from tests.factories import PASSWORD, HouseholdFactory
from tests.franceconnect.test_end_to_end import csrf_token, pick_identity, sandbox  # noqa: F401 - fixture
from tests.stationnement.conftest import grid, zones  # noqa: F401 - fixtures

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("zones", "grid")]


@pytest.fixture(autouse=True)
def simulators(sandbox, live_server, settings):  # noqa: F811
    settings.API_PARTICULIER_SANDBOX = True
    settings.API_PARTICULIER_URL = f"{live_server.url}/sandbox/api-particulier"
    settings.API_PARTICULIER_TOKEN = "jeton-de-test"
    settings.API_PARTICULIER_RECIPIENT = "21000000000013"
    settings.PARKING_AUTO_ISSUE = True
    settings.IMPOT_RETRY_BACKOFF = 0


def post_form(browser, page, url, **data):
    return browser.post(
        url, data={"csrfmiddlewaretoken": csrf_token(page.text), **data}, headers={"Referer": str(page.url)}
    )


def hidden(text, name):
    return re.search(rf'name="{name}" value="([^"]+)"', text).group(1)


def start(browser, plate):
    begin = browser.get(reverse("stationnement:begin"))
    vehicle = post_form(browser, begin, reverse("stationnement:start"))
    assert "Votre véhicule" in vehicle.text
    application = Application.objects.latest("pk")
    domicile = post_form(browser, vehicle, str(vehicle.url), plate=plate, duration="year")
    assert domicile.url.path == reverse("stationnement:domicile", args=[application.pk])
    return application, domicile


def authorise_through_franceconnect(browser, application, domicile, identity):
    assert (
        "votre adresse déclarée aux impôts" in domicile.text and "revenus" in domicile.text
    )  # « ni vos revenus »
    franceconnect = post_form(
        browser,
        domicile,
        reverse("stationnement:authorize", args=[application.pk]),
        shown=hidden(domicile.text, "shown"),
    )
    assert "dgfip_aft" in str(franceconnect.url) and "dgfip_rfr" not in str(franceconnect.url)
    return post_form(browser, franceconnect, str(franceconnect.url), identity=identity)


def test_a_franceconnect_resident_gets_a_card_at_once(sandbox):  # noqa: F811
    pick_identity(sandbox, "test")
    application, domicile = start(sandbox, "ab 123 cd")
    review = authorise_through_franceconnect(sandbox, application, domicile, "test")
    assert review.url.path == reverse("stationnement:review", args=[application.pk])
    assert "Carte résident pour un an" in review.text and "Euro 6d" in review.text
    detail = post_form(sandbox, review, str(review.url))
    assert "Votre carte résident est délivrée" in detail.text
    card = Card.objects.get()
    assert (card.zone.code, card.plates, str(card.amount)) == ("A", ["AB-123-CD"], "135.00")
    pdf = sandbox.get(reverse("stationnement:card_pdf", args=[application.pk]))
    assert pdf.headers["content-type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    check = sandbox.get(reverse("stationnement:verify", args=[card.token]))
    assert "Valide" in check.text and card.zone.code in check.text
    identity = FranceConnectIdentity.objects.get()
    for personal in (identity.family_name, identity.given_name.split()[0], "AB-123-CD", card.number):
        assert personal.lower() not in check.text.lower()


def test_another_persons_car_asks_for_its_carte_grise(sandbox):  # noqa: F811
    pick_identity(sandbox, "test")
    application, domicile = start(sandbox, "MN-345-PQ")
    documents = authorise_through_franceconnect(sandbox, application, domicile, "test")
    assert documents.url.path == reverse("stationnement:documents", args=[application.pk])
    assert "pas à votre nom selon l&#x27;ANTS" in documents.text
    application.refresh_from_db()
    assert application.zone.code == "A" and application.vehicle_problem == "not_holder"


def test_a_resident_outside_every_zone_is_offered_the_alternatives(sandbox):  # noqa: F811
    pick_identity(sandbox, "avec_nom_dusage")
    application, domicile = start(sandbox, "JK-012-LM")
    documents = authorise_through_franceconnect(sandbox, application, domicile, "avec_nom_dusage")
    assert documents.url.path == reverse("stationnement:documents", args=[application.pk])
    assert (
        "voie hors des zones résidentielles" in documents.text
        and "justificatif de domicile" in documents.text
    )
    application.refresh_from_db()
    assert application.status == Application.Status.DRAFT and application.zone is None


def test_a_local_account_sends_its_carte_grise_for_an_agent(sandbox):  # noqa: F811
    sign_in_local(sandbox)
    application, domicile = start(sandbox, "AA-111-BB")
    documents = post_form(
        sandbox,
        domicile,
        reverse("stationnement:authorize", args=[application.pk]),
        shown=hidden(domicile.text, "shown"),
        numero_fiscal="3999990000025",
    )
    assert documents.url.path == reverse("stationnement:documents", args=[application.pk])
    application.refresh_from_db()
    assert (
        application.zone.code == "A" and application.domicile_problem == ""
    )  # 12 RUE DES TILLEULS, a declarant
    page = sandbox.post(
        str(documents.url),
        data={"csrfmiddlewaretoken": csrf_token(documents.text), "kind": "registration"},
        files={"file": ("carte-grise.pdf", PDF, "application/pdf")},
        headers={"Referer": str(documents.url)},
    )
    assert "Tout ce qu'il faut est là" in page.text
    review = sandbox.get(reverse("stationnement:review", args=[application.pk]))
    detail = post_form(sandbox, review, str(review.url))
    assert "un agent la vérifie" in detail.text
    application.refresh_from_db()
    assert application.status == Application.Status.SUBMITTED and not Card.objects.exists()
    assert User.objects.filter(pk=application.applicant_id).exists() and Household.objects.count() == 1


def test_an_unknown_card_reads_unknown(sandbox):  # noqa: F811
    assert "Inconnue" in sandbox.get(reverse("stationnement:verify", args=["nimporte-quoi"])).text


def sign_in_local(browser):
    household = HouseholdFactory(owner__email="claire.martin@example.org")
    Adult.objects.filter(household=household).update(first_names="Claire", last_name="Martin", birth_date=date(1988, 4, 12))
    login = browser.get(reverse("portal:login"))
    post_form(browser, login, reverse("portal:login"), username="claire.martin@example.org", password=PASSWORD)


@pytest.mark.parametrize(
    ("numero_fiscal", "message"),
    [("3999990000108", "ne répond pas"), ("3999990000082", "numéro fiscal")],
    ids=["dgfip-down", "no-declaration"],
)
def test_dgfip_failing_keeps_the_draft_and_offers_the_proof(sandbox, numero_fiscal, message):  # noqa: F811
    sign_in_local(sandbox)
    application, domicile = start(sandbox, "AA-111-BB")
    page = post_form(
        sandbox,
        domicile,
        reverse("stationnement:authorize", args=[application.pk]),
        shown=hidden(domicile.text, "shown"),
        numero_fiscal=numero_fiscal,
    )
    assert page.status_code == 200 and "Votre adresse n'a pas pu être obtenue" in page.text
    assert message in page.text and "Envoyer un justificatif de domicile" in page.text
    application.refresh_from_db()
    assert application.status == Application.Status.DRAFT and application.domicile_source == ""


def test_the_ants_failing_asks_for_the_carte_grise(sandbox):  # noqa: F811
    pick_identity(sandbox, "test")
    application, domicile = start(sandbox, "ZZ-999-ZZ")  # the simulator's « same request in progress » (409)
    documents = authorise_through_franceconnect(sandbox, application, domicile, "test")
    assert documents.url.path == reverse("stationnement:documents", args=[application.pk])
    assert "Le véhicule n&#x27;a pas pu être vérifié" in documents.text and "carte grise" in documents.text
    application.refresh_from_db()
    assert application.zone.code == "A" and application.vehicle_source == ""
