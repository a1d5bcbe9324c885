"""A local account's holder gives the civil status the CAF is asked with: the commune picker, by keyboard, in
real Chromium, each state checked by axe (the picker itself needs no JavaScript: the server proposes)."""

import re

import pytest
from django.test import Client
from playwright.sync_api import expect

from portal.models import Adult
from tests.factories import HouseholdFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def signed_in_as(page, live_server, user):
    client = Client()
    client.force_login(user)
    page.context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )


def test_the_holder_picks_a_birth_commune_among_homonyms(page, live_server, assert_accessible):
    household = HouseholdFactory()
    holder = household.adults.get(role=Adult.Role.HOLDER)
    holder.last_name, holder.birth_date = "Martin", "1988-04-12"
    holder.save()
    signed_in_as(page, live_server, household.owner)

    page.goto(live_server.url + "/espace/foyer/holder/")  # the English path of before moves to the French one
    expect(page).to_have_url(live_server.url + "/espace/foyer/titulaire/")
    expect(page.get_by_role("group", name="Votre état civil")).to_contain_text(
        "pour interroger la CAF ou la MSA sans vous demander d'attestation"
    )
    assert_accessible(page)

    page.get_by_label("Féminin").check()
    page.get_by_label("Pays de naissance").select_option(label="France")
    page.get_by_label("Commune de naissance").fill("saint denis")
    page.get_by_label("Commune de naissance").press("Enter")

    expect(page.get_by_role("alert")).to_contain_text("Plusieurs communes correspondent")
    expect(page.get_by_label("Commune de naissance")).to_have_value("saint denis")
    choices = page.get_by_role("group", name=re.compile("Choisissez votre commune de naissance"))
    expect(choices.get_by_role("radio")).to_have_count(4)
    assert_accessible(page)
    page.get_by_role("alert").get_by_role("link").click()  # the summary leads to the list
    choices.get_by_label("Saint-Denis (La Réunion, 974)").check()
    page.get_by_role("button", name="Enregistrer").click()

    expect(page).to_have_url(re.compile(re.escape(live_server.url + "/espace/") + "(#.*)?$"))  # the link's #
    expect(page.get_by_role("region", name="Mon foyer")).to_contain_text("Saint-Denis (La Réunion), France")
    assert_accessible(page)
    holder.refresh_from_db()
    assert (holder.sex, holder.birth_country, holder.birth_commune) == ("F", "99100", "97411")


def test_with_javascript_the_browser_suggests_the_communes(page, live_server, assert_accessible):
    household = HouseholdFactory()
    holder = household.adults.get(role=Adult.Role.HOLDER)
    holder.last_name, holder.birth_date = "Martin", "1988-04-12"
    holder.save()
    signed_in_as(page, live_server, household.owner)

    page.goto(live_server.url + "/espace/foyer/titulaire/")
    field = page.get_by_label("Commune de naissance")
    field.press_sequentially("Saint-Denis")
    suggestions = page.locator("datalist#id_commune_query_suggestions option")
    expect(suggestions.filter(has_text="Saint-Denis (La Réunion, 974)")).to_have_attribute(
        "value", "Saint-Denis 974"
    )
    assert_accessible(page)
    field.fill("Saint-Denis 974")  # what picking the suggestion types
    page.get_by_label("Pays de naissance").select_option(label="France")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("status")).to_contain_text("Les informations du foyer sont enregistrées.")
    holder.refresh_from_db()
    assert holder.birth_commune == "97411"
