"""The tariff estimator and the council comparison in real Chromium: a family estimates its tariff with JavaScript switched off, and a
council agent compares a draft grid in the admin; every state checked by axe."""

import json
import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from cantine import services
from cantine.models import Job, PsuEffortRate, PsuResourceLimit
from pricing import SHIPPED
from tests.cantine.backoffice import grid_for, submitted, with_income
from tests.cantine.grids import COLLECTIVE as PSU
from tests.cantine.grids import PARIS
from tests.cantine.tariffs.test_council import DRAFT
from tests.factories import CrecheServiceFactory, DossierFactory, PeriodFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ESTIMATE = "/demarches/tarifs/estimer/"
NOTICE = "Ceci est une estimation ; le tarif appliqué est calculé sur votre demande avec les données transmises par la DGFiP."


@pytest.fixture
def bareme():
    """Transactional tests empty the tables between tests, the data migration's barème rows included."""
    if not PsuEffortRate.objects.exists():
        PsuEffortRate.objects.bulk_create(PsuEffortRate(**vars(rate)) for rate in SHIPPED.rates)
    if not PsuResourceLimit.objects.exists():
        PsuResourceLimit.objects.bulk_create(PsuResourceLimit(**vars(limit)) for limit in SHIPPED.limits)


@pytest.fixture
def tariffs(bareme):
    canteen = PeriodFactory(service__name="Restauration scolaire", label="Année scolaire 2026-2027")
    grid_for(canteen, PARIS)
    creche = PeriodFactory(service=CrecheServiceFactory(), label="Année 2026-2027")
    grid_for(creche, PSU)
    return canteen, creche


@pytest.fixture
def no_js_page(browser, context_options):
    """Like the harness's `page` (French, at the test's viewport), with JavaScript switched off."""
    context = browser.new_context(**context_options, java_script_enabled=False)
    page = context.new_page()
    yield page
    context.close()


def check_with_axe(page, url, assert_accessible):
    """axe is a script: on a page with JavaScript off it never answers. The same address is checked in the
    harness's JavaScript-enabled page (the service step: a GET, its address is its state)."""
    page.goto(url)
    assert_accessible(page)


def check_sent_with_axe(page, url, assert_accessible, fill, button="Estimer mon tarif"):
    """A page the figures' form answers (a POST, issue 16: incomes stay out of addresses) cannot be loaded by its
    address: the JavaScript-enabled page opens the service's form, types the same, sends it, and axe checks it."""
    page.goto(url)
    fill(page)
    page.get_by_role("button", name=button).click()
    assert_accessible(page)


def canteen_figures(rfr="28 000", parts="2,5"):
    def fill(p):
        p.get_by_label("Revenu fiscal de référence (€)").fill(rfr)
        p.get_by_label("Nombre de parts").fill(parts)

    return fill


def creche_figures(p):
    p.get_by_label("Date d'entrée souhaitée en crèche").fill("2025-10-06")
    p.get_by_label("Ou ressources mensuelles du foyer (€)").fill("3000")
    p.get_by_label("Nombre d'enfants à charge dans le foyer").fill("2")
    p.get_by_label("Heures réservées par semaine").fill("40")
    p.get_by_label("Semaines d'accueil par an").fill("45")
    p.get_by_label("Nombre de mois facturés").fill("11")


def test_a_family_estimates_its_tariff_with_javascript_off(
    no_js_page, page, live_server, tariffs, assert_accessible
):
    page_no_js = no_js_page
    # JavaScript is really off: a script cannot even change the title.
    page_no_js.goto(live_server.url + ESTIMATE)
    page_no_js.set_content("<title>a</title><script>document.title = 'b'</script>")
    assert page_no_js.title() == "a"

    # Step 1: the service, a group of radio buttons named by its legend.
    page_no_js.goto(live_server.url + ESTIMATE)
    expect(page_no_js.get_by_role("heading", level=1)).to_have_text("Estimer mon tarif")
    check_with_axe(page, page_no_js.url, assert_accessible)
    services = page_no_js.get_by_role("group", name="Service")
    services.get_by_role("radio", name=re.compile("^Restauration scolaire")).check()
    page_no_js.get_by_role("button", name="Continuer").click()

    # Step 2: the tax notice's figures, typed the French way, sent with the Enter key.
    expect(page_no_js.get_by_role("heading", name="Vos informations")).to_be_visible()
    canteen_form = page_no_js.url
    check_with_axe(page, canteen_form, assert_accessible)
    canteen_figures()(page_no_js)
    page_no_js.get_by_label("Nombre de parts").press("Enter")

    # The quote and why: reference case 9.
    result = page_no_js.get_by_role("region", name="Votre tarif estimé")
    expect(result).to_be_visible()
    expect(result.locator(".estimate-amount")).to_have_text(re.compile(r"2,28\s€\s+par repas"))
    steps = result.get_by_role("listitem")
    expect(steps.filter(has_text=re.compile("^Revenu fiscal de référence :"))).to_contain_text(
        "saisi par vous"
    )
    expect(steps.filter(has_text="Quotient familial")).to_contain_text("933,33")
    expect(steps.filter(has_text="Tranche 4 sur 6")).to_be_visible()
    expect(result.get_by_text(NOTICE)).to_be_visible()
    expect(page_no_js.get_by_label("Revenu fiscal de référence (€)")).to_have_value("28 000")
    assert "rfr" not in page_no_js.url and "parts" not in page_no_js.url  # sent by POST, not in the address
    check_sent_with_axe(page, canteen_form, assert_accessible, canteen_figures())
    expect(page.get_by_role("region", name="Votre tarif estimé")).to_contain_text("2,28")

    # A typo: the same page, HTTP 400, a French summary whose link leads to the field, the text kept.
    page_no_js.get_by_label("Revenu fiscal de référence (€)").fill("28 000 euros")
    with page_no_js.expect_response(lambda response: ESTIMATE in response.url) as answer:
        page_no_js.get_by_role("button", name="Estimer mon tarif").click()
    assert answer.value.status == 400
    summary = page_no_js.get_by_role("alert")
    expect(summary).to_contain_text("Votre saisie est à corriger")
    expect(summary).to_contain_text("Saisissez un nombre, par exemple 28 000.")
    expect(page_no_js.get_by_label("Revenu fiscal de référence (€)")).to_have_value("28 000 euros")
    expect(page_no_js.get_by_role("region", name="Votre tarif estimé")).to_have_count(0)
    summary.get_by_role("link", name=re.compile("Revenu fiscal de référence")).click()
    expect(page_no_js.get_by_label("Revenu fiscal de référence (€)")).to_be_focused()
    check_sent_with_axe(page, canteen_form, assert_accessible, canteen_figures(rfr="28 000 euros"))
    expect(page.get_by_role("alert")).to_be_visible()

    # Declining: the highest price of the grid.
    page_no_js.get_by_role("button", name="Je ne souhaite pas indiquer mes revenus").click()
    result = page_no_js.get_by_role("region", name="Votre tarif estimé")
    expect(result.locator(".estimate-amount")).to_have_text(re.compile(r"4,61\s€\s+par repas"))
    expect(result).to_contain_text("le tarif le plus élevé de la grille s'applique")
    check_sent_with_axe(
        page, canteen_form, assert_accessible, lambda p: None, button="Je ne souhaite pas indiquer mes revenus"
    )

    # The crèche: the CNAF barème, reference case 7.
    page_no_js.get_by_role("link", name="Changer de service").click()
    page_no_js.get_by_role("group", name="Service").get_by_role("radio", name=re.compile("^Crèche")).check()
    page_no_js.get_by_role("button", name="Continuer").click()
    creche_form = page_no_js.url
    creche_figures(page_no_js)
    page_no_js.get_by_role("button", name="Estimer mon tarif").click()
    result = page_no_js.get_by_role("region", name="Votre tarif estimé")
    expect(result.locator(".estimate-amount")).to_contain_text("1,55")
    expect(result.locator(".estimate-amount")).to_contain_text("253,64")
    expect(result.get_by_role("listitem").filter(has_text="Mensualisation")).to_be_visible()
    check_sent_with_axe(page, creche_form, assert_accessible, creche_figures)
    expect(page.get_by_role("region", name="Votre tarif estimé")).to_contain_text("253,64")

    # « Continuer » with no service chosen says so (issue 16: the page came back the same, silently).
    page_no_js.goto(live_server.url + ESTIMATE)
    page_no_js.get_by_role("button", name="Continuer").click()
    expect(page_no_js.get_by_role("alert")).to_contain_text("Choisissez un service.")


def signed_in_as(page, live_server, user):
    """The browser gets the session a test client opens for `user` (no need to type a password)."""
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_a_council_agent_compares_a_draft_grid(page, live_server, assert_accessible):
    period = PeriodFactory()
    grid = grid_for(period, PARIS)
    for rfr, parts in ((28000, "2.5"), (6000, "2.5"), (60000, "2")):
        submitted(with_income(DossierFactory(period=period, income_declined=False), rfr, parts))
    submitted(DossierFactory(period=period))  # declined: the highest price
    signed_in_as(
        page, live_server, UserFactory(email="conseil@mairie.example", is_staff=True, is_superuser=True)
    )

    page.goto(f"{live_server.url}/admin/cantine/tariffgrid/{grid.pk}/comparer/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Comparer un projet de grille")
    draft = page.get_by_label("Projet de grille (JSON)")
    expect(draft).to_have_value(re.compile('"up_to": "959"'))
    assert_accessible(page)

    # A draft that is not JSON: explained, the text kept.
    draft.fill('{"kind": "brackets",')
    page.get_by_role("button", name="Comparer").click()
    expect(page.get_by_role("alert")).to_contain_text("n'est pas du JSON valide")
    expect(page.get_by_label("Projet de grille (JSON)")).to_have_value('{"kind": "brackets",')
    assert_accessible(page)

    page.get_by_label("Projet de grille (JSON)").fill(json.dumps(DRAFT, indent=2))
    page.get_by_role("button", name="Comparer").click()
    # The request only queues the comparison: its job's page shows it waiting, then the worker runs it.
    expect(page.get_by_role("progressbar", name="avancement")).to_be_visible()
    assert_accessible(page)
    job = Job.objects.get(kind=Job.Kind.COMPARISON)
    services.job_execute(job=job)  # what the task worker runs
    page.get_by_role("link", name="Actualiser l'avancement").click()
    page.get_by_role("link", name="Voir la comparaison").click()
    expect(page.get_by_role("heading", name="Résultat de la comparaison")).to_be_visible()
    expect(page.get_by_text("167,47")).to_be_visible()
    expect(page.get_by_text("196,27")).to_be_visible()
    chart = page.get_by_role("img", name="Demandes par tranche : grille en vigueur et projet")
    expect(chart).to_be_visible()
    expect(page.get_by_role("img", name="Évolution du tarif par demande")).to_be_visible()
    table = page.get_by_role("table", name="Nombre de demandes par tranche, grille en vigueur et projet")
    expect(table).to_be_visible()
    expect(table.get_by_role("row", name=re.compile("QF de 548,01 à 959"))).to_contain_text("1")
    changes = page.get_by_role("table", name=re.compile("par évolution du tarif"))
    expect(changes.get_by_role("row", name=re.compile("Hausse de plus de 0,50"))).to_contain_text("2")
    assert_accessible(page)
