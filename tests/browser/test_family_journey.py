"""A local family signs in and enrols Léa at the canteen with its numéro fiscal, in real Chromium (on a phone and on
a computer), each page checked by axe."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from cantine.management.commands.seed_demo import DEMO_FAMILY, school_year_start
from cantine.models import Dossier, Period
from tests.franceconnect.live import use_sandbox

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def open_school_year_label(today):
    """The current school year; from mid-June to August its enrolment is closed, so the next one."""
    year = school_year_start(today)
    current = Period.objects.get(
        service__slug="restauration-scolaire", label=f"Année scolaire {year}-{year + 1}"
    )
    if today > current.enrolment_closes_on:
        year += 1
    return f"Année scolaire {year}-{year + 1}"


def test_family_enrols_a_child_at_the_canteen(page, live_server, settings, assert_accessible, screenshot):
    use_sandbox(settings, live_server.url)  # the DGFiP simulator answers the income step
    call_command("seed_demo", force=True, stdout=StringIO())
    email, password = DEMO_FAMILY
    period_label = open_school_year_label(timezone.localdate())

    # Home page, by keyboard only: the skip link is the first stop and lands on the main content.
    page.goto(live_server.url + "/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Vos démarches enfance en ligne")
    expect(page.locator(".site-header")).to_have_css("background-color", "rgb(11, 93, 75)")  # CSS served
    assert_accessible(page)
    screenshot(page, "accueil")
    page.keyboard.press("Tab")
    skip_link = page.get_by_role("link", name="Aller au contenu")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()
    page.keyboard.press("Enter")
    expect(page.get_by_role("main")).to_be_focused()
    page.keyboard.press("Tab")
    sign_in = page.get_by_role("main").get_by_role("link", name="Se connecter")
    expect(sign_in).to_be_focused()
    page.keyboard.press("Enter")

    # Sign-in page: a wrong password first, so the error state is checked too.
    expect(page).to_have_url(live_server.url + "/compte/connexion/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter")
    assert_accessible(page)
    screenshot(page, "connexion")
    page.get_by_label("Adresse électronique").fill(email)
    page.get_by_label("Mot de passe").fill("pas-le-bon-mot-de-passe")
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("alert")).to_contain_text("Adresse électronique ou mot de passe incorrect.")
    assert_accessible(page)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_role("main").get_by_role("button", name="Se connecter").click()

    # Dashboard.
    expect(page).to_have_url(live_server.url + "/espace/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon espace famille")
    expect(page.get_by_text("Vous n'avez encore aucune demande.")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "espace-famille")
    page.get_by_role("main").get_by_role("link", name="Inscrire un enfant").click()

    # Step 1: child and service, each a group of radio buttons named by its legend.
    expect(page.get_by_role("heading", level=1)).to_have_text("Inscrire un enfant")
    expect(page.get_by_text("Étape 1 sur 5")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("group", name="Enfant").get_by_role("radio", name="Léa Martin").check()
    page.get_by_role("group", name="Service").get_by_role("radio", name="Restauration scolaire").check()
    page.get_by_role("button", name="Continuer").click()

    # Step 2: the period.
    expect(page.get_by_role("heading", level=1)).to_have_text("Restauration scolaire pour Léa")
    expect(page.get_by_text("Étape 2 sur 5")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("group", name="Période").get_by_role(
        "radio", name=re.compile("^" + re.escape(period_label))
    ).check()
    page.get_by_role("button", name="Commencer la demande").click()

    # Step 3: details. Léa's school is preselected; sending no day shows an accessible French error.
    expect(page.get_by_text("Étape 3 sur 5")).to_be_visible()
    school = page.get_by_label("École")
    expect(school.locator("option:checked")).to_have_text("École Jules-Ferry")
    assert_accessible(page)
    page.get_by_role("button", name="Continuer").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("Votre saisie est à corriger")
    expect(summary).to_contain_text("Cochez au moins un jour de repas.")
    expect(summary).to_be_focused()  # announced first by screen readers (portal/static/portal/site.js)
    assert_accessible(page)
    # The error summary's link leads to the field to correct.
    summary.get_by_role("link", name=re.compile("Jours de repas")).click()
    days = page.get_by_role("group", name="Jours de repas")
    expect(days.get_by_role("checkbox", name="Lundi")).to_be_focused()
    for day in ("Lundi", "Mardi", "Jeudi", "Vendredi"):
        days.get_by_role("checkbox", name=day).check()
    page.get_by_role("button", name="Continuer").click()

    # Step 4: income. The demo grid asks the CAF first: this family goes on to DGFiP instead.
    expect(page.get_by_role("heading", level=1)).to_have_text("Vos revenus pour le calcul du tarif")
    expect(page.get_by_text("Étape 4 sur 5")).to_be_visible()
    expect(page.get_by_text("API Particulier", exact=False)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Ne pas interroger la CAF ni la MSA").click()
    # The DGFiP consent text; a mistyped numéro fiscal is explained before any call.
    expect(page.get_by_text("Direction générale des Finances publiques", exact=False)).to_be_visible()
    assert_accessible(page)
    screenshot(page, "consentement-dgfip")
    page.get_by_label("Numéro fiscal").fill("3999 9900 0002")
    page.get_by_role("button", name="J'autorise").click()
    summary = page.get_by_role("alert")
    expect(summary).to_contain_text("exactement 13 chiffres ; vous en avez saisi 12")
    expect(summary).to_be_focused()
    expect(page.get_by_label("Numéro fiscal")).to_have_value("3999 9900 0002")  # kept for correction
    assert_accessible(page)
    page.get_by_label("Numéro fiscal").fill("3999 9900 0002 5")
    page.get_by_role("button", name="J'autorise").click()

    # Step 5: review, then send. Figures obtained by numéro fiscal are never shown to a local account, and wait
    # for an agent's confirmation before they set the tariff.
    expect(page.get_by_role("heading", level=1)).to_have_text("Vérifier et envoyer la demande")
    expect(page.get_by_text("Étape 5 sur 5")).to_be_visible()
    expect(page.get_by_role("status")).to_contain_text("transmis des revenus pour ce numéro fiscal")
    expect(page.get_by_text("en attente de vérification par un agent", exact=False)).to_be_visible()
    expect(page.get_by_text("38500", exact=False)).to_have_count(0)
    expect(page.get_by_text("Lundi, Mardi, Jeudi, Vendredi")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "verification-avant-envoi")
    page.get_by_role("button", name="Envoyer ma demande").click()

    # The dossier page.
    dossier = Dossier.objects.get(child__first_names="Léa")
    # (The browser keeps the "#id_days_0" fragment from the error link through the redirects.)
    expect(page).to_have_url(
        re.compile(rf"^{re.escape(live_server.url)}/demarches/dossiers/{dossier.pk}/(#.*)?$")
    )
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Demande {dossier.reference}")
    expect(page.get_by_role("status")).to_contain_text(f"Votre demande {dossier.reference} est envoyée.")
    expect(page.get_by_text("Statut :")).to_contain_text("Envoyée")
    # Until an agent confirms the declarants, the demo grid's highest price (then RFR 38 500 € ÷ 12 ÷ 2.5 parts =
    # QF 1 283,33 €, 2,60 €, which the family is told of but never reads the figures of).
    expect(page.get_by_role("heading", name="Votre tarif")).to_be_visible()
    expect(page.locator(".tariff")).to_have_text("4,20 € par repas")
    expect(page.get_by_text("1283,33", exact=False)).to_have_count(0)
    assert_accessible(page)
    screenshot(page, "demande-envoyee")

    assert dossier.status == Dossier.Status.SUBMITTED
    assert dossier.period.label == period_label
    assert dossier.establishment.name == "École Jules-Ferry"
    assert dossier.canteen_days == ["mon", "tue", "thu", "fri"]
