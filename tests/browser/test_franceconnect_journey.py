"""A family signs in with FranceConnect (the simulator), sees its certified identity, signs out through FranceConnect;
the simulator's other pages (no identity chosen, cancel, an unknown service). On a computer and a phone, axe on each.
The DGFiP and API Particulier simulators answer JSON only: their answers show on the portal's pages (the income and
parking journeys)."""

import re

import pytest
from playwright.sync_api import expect

from tests.franceconnect.live import use_sandbox

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_franceconnect_sign_in_and_sign_out(page, live_server, settings, assert_accessible):
    use_sandbox(settings, live_server.url)

    page.goto(live_server.url + "/compte/connexion/")
    button = page.get_by_role("button", name="S’identifier avec FranceConnect")
    expect(button).to_be_visible()
    what_is_it = page.get_by_role("link", name="Qu’est-ce que FranceConnect ?")
    expect(what_is_it).to_have_attribute("target", "_blank")
    assert_accessible(page)
    button.click()

    # The simulator's page: pick the public test identity.
    expect(page).to_have_url(re.compile(r"/sandbox/franceconnect/api/v2/authorize\?"))
    assert_accessible(page)
    page.get_by_role("radio", name=re.compile("Angela Claire Louise DUBOIS")).check()
    page.get_by_role("button", name="Continuer avec cette identité").click()

    expect(page).to_have_url(live_server.url + "/espace/")
    identity = page.get_by_role("region", name="Mon identité")
    expect(identity).to_contain_text("Certifiée par FranceConnect")
    expect(identity).to_contain_text("Angela Claire Louise")
    expect(identity).to_contain_text("Paris 7e Arrondissement (Paris)")
    expect(identity).not_to_contain_text("99100")
    assert_accessible(page)

    page.get_by_role("button", name="Se déconnecter").click()
    expect(page).to_have_url(live_server.url + "/")
    expect(page.get_by_role("status")).to_contain_text("déconnecté(e) du portail et de FranceConnect")
    assert_accessible(page)


def test_the_simulators_pages_cancel_and_errors(page, live_server, settings, assert_accessible):
    use_sandbox(settings, live_server.url)

    # Continuing without an identity (the browser's own check set aside): the simulator's error state.
    page.goto(live_server.url + "/compte/connexion/")
    page.get_by_role("button", name="S’identifier avec FranceConnect").click()
    expect(page).to_have_url(re.compile(r"/sandbox/franceconnect/api/v2/authorize\?"))
    page.locator("form").evaluate("form => form.noValidate = true")
    page.get_by_role("button", name="Continuer avec cette identité").click()
    expect(page.get_by_role("alert")).to_have_text("Choisissez une identité de test pour continuer.")
    assert_accessible(page)

    # Cancelling goes back to the portal, which says nothing was recorded.
    page.get_by_role("button", name="Annuler et revenir au service").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Connexion annulée")
    expect(page.get_by_role("main")).to_contain_text("Rien n'a été enregistré.")
    assert_accessible(page)

    # A service the simulator does not know is refused on its own error page.
    page.goto(live_server.url + "/sandbox/franceconnect/api/v2/authorize?client_id=inconnu&redirect_uri=x")
    expect(page.get_by_role("heading", level=1)).to_have_text("Demande refusée")
    expect(page.get_by_role("main")).to_contain_text("client_id")
    assert_accessible(page)
