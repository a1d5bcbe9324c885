"""A local family enrols Léa at the canteen and declines to give its income, with the keyboard only (Tab, Shift+Tab,
the arrows in a group of radio buttons, Space, Enter; no click), on a computer and a phone. After every key that moves
the focus, the focused element must show it: an outline or a box shadow in its computed style."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from cantine.management.commands.seed_demo import DEMO_FAMILY
from cantine.models import Dossier
from portal.models import Consent
from tests.browser.test_family_journey import open_school_year_label

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
MOST_TAB_STOPS = 80  # more stops than any page of the journey has

FOCUS_SHOWN = """() => {
    const element = document.activeElement;
    if (!element || element === document.body) return {shown: false, element: "body"};
    const style = getComputedStyle(element);
    const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
    const shadow = style.boxShadow !== "none" && style.boxShadow !== "";
    return {shown: outline || shadow, element: element.outerHTML.slice(0, 160)};
}"""


def assert_focus_shown(page):
    focus = page.evaluate(FOCUS_SHOWN)
    assert focus["shown"], f"{page.url} : le focus n'est pas visible sur {focus['element']}"


def press(page, key):
    page.keyboard.press(key)
    assert_focus_shown(page)


def follow(page, key):
    """A key that opens the next page (Enter on a link, Enter or Space on a button), then that page loaded."""
    with page.expect_navigation():
        page.keyboard.press(key)


def tab_to(page, target, backwards=False):
    """Tab (or Shift+Tab) from stop to stop, the focus visible on each, until `target` has it (it may already:
    the sign-in page puts the focus in its first field)."""
    if target.evaluate("element => element === document.activeElement"):
        return
    for _ in range(MOST_TAB_STOPS):
        press(page, "Shift+Tab" if backwards else "Tab")
        if target.evaluate("element => element === document.activeElement"):
            return
    raise AssertionError(f"{page.url} : {target} jamais atteint au clavier")


def choose(page, group, option):
    """Into a group of radio buttons with Tab, to `option` with the down arrow, checked with Space."""
    for _ in range(MOST_TAB_STOPS):
        press(page, "Tab")
        if group.evaluate("element => element.contains(document.activeElement)"):
            break
    for _ in range(10):
        if option.evaluate("element => element === document.activeElement"):
            break
        press(page, "ArrowDown")
    press(page, "Space")
    expect(option).to_be_checked()


def test_a_family_enrols_and_declines_with_the_keyboard_only(page, live_server, assert_accessible):
    call_command("seed_demo", force=True, stdout=StringIO())
    email, password = DEMO_FAMILY

    # Home: the skip link first, then the main content's « Se connecter ».
    page.goto(live_server.url + "/")
    assert_accessible(page)
    press(page, "Tab")
    expect(page.get_by_role("link", name="Aller au contenu")).to_be_focused()
    press(page, "Enter")
    expect(page.get_by_role("main")).to_be_focused()
    tab_to(page, page.get_by_role("main").get_by_role("link", name="Se connecter"))
    follow(page, "Enter")

    # Sign-in, typed; Enter sends the form.
    expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter")
    assert_accessible(page)
    tab_to(page, page.get_by_label("Adresse électronique"))
    page.keyboard.type(email)
    press(page, "Tab")
    expect(page.get_by_label("Mot de passe")).to_be_focused()
    page.keyboard.type(password)
    follow(page, "Enter")

    # Dashboard → « Inscrire un enfant ».
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon espace famille")
    assert_accessible(page)
    tab_to(page, page.get_by_role("main").get_by_role("link", name="Inscrire un enfant"))
    follow(page, "Enter")

    # Step 1: the child and the service.
    expect(page.get_by_text("Étape 1 sur 5")).to_be_visible()
    assert_accessible(page)
    children = page.get_by_role("group", name="Enfant")
    choose(page, children, children.get_by_role("radio", name="Léa Martin"))
    services = page.get_by_role("group", name="Service")
    choose(page, services, services.get_by_role("radio", name="Restauration scolaire"))
    tab_to(page, page.get_by_role("button", name="Continuer"))
    follow(page, "Enter")

    # Step 2: the open school year.
    expect(page.get_by_text("Étape 2 sur 5")).to_be_visible()
    assert_accessible(page)
    periods = page.get_by_role("group", name="Période")
    label = open_school_year_label(timezone.localdate())
    choose(page, periods, periods.get_by_role("radio", name=re.compile("^" + re.escape(label))))
    tab_to(page, page.get_by_role("button", name="Commencer la demande"))
    follow(page, "Enter")

    # Step 3: Léa's school is preselected; Monday and Tuesday with Space. Shift+Tab goes back a stop.
    expect(page.get_by_text("Étape 3 sur 5")).to_be_visible()
    days = page.get_by_role("group", name="Jours de repas")
    monday, tuesday = days.get_by_role("checkbox", name="Lundi"), days.get_by_role("checkbox", name="Mardi")
    tab_to(page, tuesday)
    tab_to(page, monday, backwards=True)
    press(page, "Space")
    tab_to(page, tuesday)
    press(page, "Space")
    expect(monday).to_be_checked()
    expect(tuesday).to_be_checked()
    assert_accessible(page)
    tab_to(page, page.get_by_role("button", name="Continuer"))
    follow(page, "Enter")

    # Step 4: neither the CAF nor DGFiP; the highest price then applies.
    expect(page.get_by_role("heading", level=1)).to_have_text("Vos revenus pour le calcul du tarif")
    assert_accessible(page)
    tab_to(page, page.get_by_role("button", name="Ne pas interroger la CAF ni la MSA"))
    follow(page, "Enter")
    expect(page.get_by_text("Direction générale des Finances publiques", exact=False)).to_be_visible()
    assert_accessible(page)
    tab_to(page, page.get_by_role("button", name="Je ne communique pas mes revenus"))
    follow(page, "Space")

    # Step 5: the review, then « Envoyer » with Enter.
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifier et envoyer la demande")
    expect(page.get_by_role("status")).to_contain_text("le tarif le plus élevé s'appliquera")
    assert_accessible(page)
    tab_to(page, page.get_by_role("button", name="Envoyer ma demande"))
    follow(page, "Enter")

    dossier = Dossier.objects.get(child__first_names="Léa")
    expect(page).to_have_url(
        re.compile(re.escape(live_server.url + reverse("cantine:dossier_detail", args=[dossier.pk])))
    )
    expect(page.get_by_role("status")).to_contain_text(f"Votre demande {dossier.reference} est envoyée.")
    expect(page.locator(".tariff")).to_have_text("4,20 € par repas")  # the demo grid's highest price
    assert_accessible(page)
    assert dossier.status == Dossier.Status.SUBMITTED
    assert dossier.consents.filter(source=Consent.Source.DGFIP, decision=Consent.Decision.REFUSED).exists()
    assert dossier.canteen_days == ["mon", "tue"]
