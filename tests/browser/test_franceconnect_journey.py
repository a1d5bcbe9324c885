"""A family signs in with FranceConnect (the simulator), sees its certified identity, signs out through FranceConnect."""

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
