"""The portal's design in Chromium: the footer pages pass axe on a desktop and a phone, a 147-character name never
makes a page scroll sideways, and the keyboard focus stays visible."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from cantine.models import Dossier
from tests.factories import PASSWORD, AdultFactory, ChildFactory, DossierFactory, HouseholdFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# 147 letters without a space nor a hyphen, where a browser could break the line: the recette's longest name.
LONG_WORD = "Wolfeschlegelsteinhausenbergerdorffwelchevoralternwarengewissenhaftschaferswessenschafewarenwohlgepflegeundsorgfaltigkeitbeschutzenvonangreifendurc"
assert len(LONG_WORD) == 147

PUBLIC_PAGES = [
    ("portal:home", "Vos démarches enfance en ligne"),
    ("portal:legal_notice", "Mentions légales"),
    ("portal:accessibility", "Déclaration d'accessibilité"),
    ("portal:sitemap", "Plan du site"),
    ("portal:login", "Se connecter"),
    ("portal:signup", "Créer un compte"),
    ("cantine:estimate", "Estimer mon tarif"),
]


def no_sideways_scroll(page):
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("window.innerWidth")
    assert width <= viewport, f"{page.url} : {width} px de large pour un écran de {viewport} px"


def test_public_and_footer_pages_pass_axe(page, live_server, assert_accessible):
    for name, heading in PUBLIC_PAGES:
        page.goto(live_server.url + reverse(name))
        expect(page.get_by_role("heading", level=1)).to_contain_text(heading)
        expect(page.locator(".site-header")).to_have_css(
            "background-color", "rgb(11, 93, 75)"
        )  # theme.css served
        footer = page.get_by_role("navigation", name="Pied de page")
        expect(footer.get_by_role("link", name="Mentions légales")).to_be_visible()
        expect(footer.get_by_role("link", name="Accessibilité : partiellement conforme")).to_be_visible()
        assert_accessible(page)
        no_sideways_scroll(page)


@pytest.mark.viewports("desktop")
def test_the_commune_colours_reach_the_page(page, live_server, settings):
    settings.COMMUNE_PRIMARY_COLOR = "#1f4e8c"
    page.goto(live_server.url + "/")
    expect(page.locator(".site-header")).to_have_css("background-color", "rgb(31, 78, 140)")
    expect(page.get_by_role("main").get_by_role("link", name="Se connecter")).to_have_css(
        "background-color", "rgb(31, 78, 140)"
    )


def test_a_147_character_name_never_scrolls_sideways(page, live_server, assert_accessible):
    household = HouseholdFactory(holder=None)
    AdultFactory(household=household, role="holder", first_names=LONG_WORD, last_name=LONG_WORD)
    child = ChildFactory(household=household, first_names=LONG_WORD, last_name=LONG_WORD)
    dossier = DossierFactory(child=child)

    page.goto(live_server.url + reverse("portal:login"))
    page.get_by_label("Adresse électronique").fill(household.owner.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(live_server.url + reverse("portal:dashboard"))

    for url in (
        reverse("portal:dashboard"),
        reverse("portal:child_edit", args=[child.pk]),
        reverse("cantine:dossier_detail", args=[dossier.pk]),
        reverse("cantine:enrol_start"),
    ):
        page.goto(live_server.url + url)
        expect(page.get_by_text(LONG_WORD[:40]).first).to_be_visible()
        no_sideways_scroll(page)
        assert_accessible(page)


@pytest.mark.viewports("desktop")
def test_the_keyboard_focus_is_always_visible_in_the_footer(page, live_server):
    page.goto(live_server.url + reverse("portal:accessibility"))
    link = page.get_by_role("navigation", name="Pied de page").get_by_role("link", name="Plan du site")
    for _ in range(80):  # Tab through the page, as a keyboard user does, to the footer's link
        page.keyboard.press("Tab")
        if link.evaluate("element => element === document.activeElement"):
            break
    expect(link).to_be_focused()
    assert link.evaluate("element => element.matches(':focus-visible')")
    assert link.evaluate("element => getComputedStyle(element).outlineStyle") == "solid"
    page.keyboard.press("Enter")
    expect(page).to_have_url(live_server.url + reverse("portal:sitemap"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Plan du site")


def test_cancelling_goes_through_a_confirmation_page(page, live_server, assert_accessible, make_dossier):
    household = HouseholdFactory()
    dossier = make_dossier(
        Dossier.Status.SUBMITTED, child=ChildFactory(household=household, first_names="Inès")
    )
    page.goto(live_server.url + reverse("portal:login"))
    page.get_by_label("Adresse électronique").fill(household.owner.email)
    page.get_by_label("Mot de passe").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    page.goto(live_server.url + reverse("cantine:dossier_detail", args=[dossier.pk]))
    expect(page.get_by_role("heading", name="Et ensuite ?")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Annuler cette demande").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Annuler la demande")
    expect(page.get_by_text("Ce qui va se passer")).to_be_visible()
    expect(page.get_by_text("d'Inès sera annulée")).to_be_visible()
    assert_accessible(page)
    dossier.refresh_from_db()
    assert dossier.status == Dossier.Status.SUBMITTED

    page.get_by_role("button", name="Oui, annuler cette demande").click()
    expect(page.get_by_role("status")).to_contain_text("est annulée")
    assert_accessible(page)
    dossier.refresh_from_db()
    assert dossier.status == Dossier.Status.CANCELLED
