"""The portal's design system: the commune's theme from settings, checked at start and served as CSS; the footer
pages; French numbers and words; the agents' admin in French."""

from datetime import time
from decimal import Decimal
from html import unescape

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse

from portal import checks, formats, theme
from portal.forms import ChildForm
from tests.factories import DossierFactory

NBSP = "\u00a0"


class TestContrast:
    def test_the_wcag_ratio_of_known_pairs(self):
        assert theme.contrast_ratio("#000000", "#ffffff") == pytest.approx(21)
        assert theme.contrast_ratio("#ffffff", "#ffffff") == pytest.approx(1)
        assert theme.contrast_ratio("#767676", "#fff") == pytest.approx(4.54, abs=0.01)  # the lightest AA grey

    def test_the_default_colours_read_well(self):
        assert theme.colour_problems("COMMUNE_PRIMARY_COLOR", "#0b5d4b") == []
        assert theme.colour_problems("COMMUNE_SECONDARY_COLOR", "#8a3b12") == []

    def test_a_pale_colour_is_refused_with_its_ratio(self):
        (problem, *_rest) = theme.colour_problems("COMMUNE_PRIMARY_COLOR", "#ffcc00")
        assert "1,51:1" in problem and "4,5:1" in problem

    def test_a_colour_just_below_the_threshold_is_refused_against_its_tint(self):
        # #767676 passes on white (4.54:1) but not on its own pale tint, where callouts put it.
        problems = theme.colour_problems("COMMUNE_SECONDARY_COLOR", "#767676")
        assert len(problems) == 1 and "fond pâle" in problems[0]

    def test_what_is_not_a_colour_is_refused(self):
        assert "hexadécimale" in theme.colour_problems("COMMUNE_PRIMARY_COLOR", "vert")[0]


class TestStartUpCheck:
    def test_a_low_contrast_colour_stops_the_start(self, settings):
        settings.COMMUNE_PRIMARY_COLOR = "#7fb3a6"
        errors = checks.theme_colours(None)
        assert [error.id for error in errors] == ["portal.E010"] * len(errors) and errors
        with pytest.raises(SystemCheckError, match="portal.E010"):
            call_command("check")

    def test_the_secondary_colour_has_its_own_id(self, settings):
        settings.COMMUNE_SECONDARY_COLOR = "#ff9900"
        assert {error.id for error in checks.theme_colours(None)} == {"portal.E011"}

    def test_the_defaults_pass(self):
        assert checks.theme_colours(None) == []
        assert checks.commune_logo(None) == []

    def test_a_missing_logo_warns(self, settings):
        settings.COMMUNE_LOGO = "portal/no-such-logo.svg"
        assert [warning.id for warning in checks.commune_logo(None)] == ["portal.W010"]


class TestThemeStylesheet:
    def test_it_serves_the_commune_colours_as_custom_properties(self, client, settings):
        settings.COMMUNE_PRIMARY_COLOR = "#1f4e8c"
        response = client.get(reverse("portal:theme_css"))
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/css")
        css = response.content.decode()
        assert "--primary: #1f4e8c;" in css and "--secondary: #8a3b12;" in css
        assert "max-age=31536000" in response["Cache-Control"]

    def test_base_links_it_with_a_version_that_changes_with_the_colours(self, client, settings):
        first = client.get(reverse("portal:home")).content.decode()
        settings.COMMUNE_PRIMARY_COLOR = "#1f4e8c"
        second = client.get(reverse("portal:home")).content.decode()
        link = f'href="{reverse("portal:theme_css")}?v='
        assert link in first and link in second
        assert first.split(link)[1][:12] != second.split(link)[1][:12]

    def test_no_inline_style_on_the_page(self, client):
        html = client.get(reverse("portal:home")).content.decode()
        assert "<style" not in html and " style=" not in html

    def test_the_header_shows_the_commune_logo(self, client, settings):
        html = client.get(reverse("portal:home")).content.decode()
        assert 'class="brand-logo" src="/static/portal/commune-logo.svg" alt=""' in html
        settings.COMMUNE_LOGO = ""
        assert "brand-logo" not in client.get(reverse("portal:home")).content.decode()


class TestFooterPages:
    @pytest.mark.parametrize(
        "name, heading",
        [
            ("portal:legal_notice", "Mentions légales"),
            ("portal:accessibility", "Déclaration d'accessibilité"),
            ("portal:sitemap", "Plan du site"),
        ],
    )
    def test_each_is_linked_from_every_page_footer(self, client, name, heading):
        home = client.get(reverse("portal:home")).content.decode()
        assert f'href="{reverse(name)}"' in home.split('class="site-footer"')[1]
        page = unescape(client.get(reverse(name)).content.decode())
        assert f"<h1>{heading}</h1>" in page

    def test_the_legal_notice_names_the_publisher_and_host_from_settings(self, client, settings):
        settings.COMMUNE_NAME = "Ville de Testville"
        settings.COMMUNE_PUBLICATION_DIRECTOR = "Mme la maire, Camille Durand"
        settings.HOSTING_PROVIDER = "Hébergeur Exemple SAS"
        page = unescape(client.get(reverse("portal:legal_notice")).content.decode())
        assert "Ville de Testville" in page and "Mme la maire, Camille Durand" in page
        assert "Hébergeur Exemple SAS" in page

    def test_the_accessibility_statement_says_what_the_rgaa_requires(self, client, settings):
        settings.ACCESSIBILITY_CONTACT_EMAIL = "accessibilite@testville.example"
        page = unescape(client.get(reverse("portal:accessibility")).content.decode())
        assert "partiellement conforme" in page  # no full audit yet
        assert "axe-core" in page and "WCAG 2.1" in page  # the test method
        assert "mailto:accessibilite@testville.example" in page  # the contact
        assert "Défenseur des droits" in page and "Libre réponse 71120" in page  # the recourse

    def test_the_sitemap_lists_the_journeys(self, client):
        page = client.get(reverse("portal:sitemap")).content.decode()
        for name in ("portal:home", "cantine:estimate", "portal:login", "portal:dashboard", "cantine:enrol_start"):
            assert f'href="{reverse(name)}"' in page


class TestFrenchNumbers:
    @pytest.mark.parametrize(
        "value, text",
        [
            (Decimal("4.2"), f"4,20{NBSP}€"),
            (Decimal("1283.33"), f"1{NBSP}283,33{NBSP}€"),
            (0, f"0,00{NBSP}€"),
            (None, "—"),
        ],
    )
    def test_euros(self, value, text):
        assert formats.euros(value) == text

    @pytest.mark.parametrize(
        "value, text",
        [(Decimal("2.5"), "2,5"), (Decimal("2.0"), "2"), (Decimal("2.75"), "2,75"), (28000, f"28{NBSP}000")],
    )
    def test_numbers_keep_only_the_decimals_they_need(self, value, text):
        assert formats.number(value) == text

    @pytest.mark.parametrize(
        "value, text",
        [("08:30", f"8{NBSP}h{NBSP}30"), ("12:00", f"12{NBSP}h"), (time(17, 5), f"17{NBSP}h{NBSP}05")],
    )
    def test_times_of_day(self, value, text):
        assert formats.clock(value) == text

    @pytest.mark.parametrize(
        "minutes, text",
        [(260, f"4{NBSP}h{NBSP}20"), (540, f"9{NBSP}h"), (45, f"45{NBSP}min"), (65, f"1{NBSP}h{NBSP}05")],
    )
    def test_lengths_of_time(self, minutes, text):
        assert formats.duration(minutes) == text


class TestFrenchWords:
    @pytest.mark.parametrize(
        "name, text",
        [("Léa", "de Léa"), ("Inès", "d'Inès"), ("Hugo", "d'Hugo"), ("Élodie", "d'Élodie"), ("Yanis", "de Yanis")],
    )
    def test_de_elides_before_a_vowel(self, name, text):
        assert formats.de(name) == text

    @pytest.mark.parametrize(
        "place, text",
        [
            ("Crèche Les Petits Pas", "à la crèche Les Petits Pas"),
            ("Multi-accueil Arc-en-ciel", "au multi-accueil Arc-en-ciel"),
            ("École Jules-Ferry", "à l'école Jules-Ferry"),
            ("Beauval", "à Beauval"),
        ],
    )
    def test_a_le_takes_the_nouns_article(self, place, text):
        assert formats.a_le(place) == text

    def test_periods_read_with_their_article(self):
        assert formats.le("Année scolaire 2026-2027") == "l'année scolaire 2026-2027"
        assert formats.de_le("Année scolaire 2026-2027") == "de l'année scolaire 2026-2027"

    def test_the_child_page_elides(self, family_client, household):
        from tests.factories import ChildFactory

        child = ChildFactory(household=household, first_names="Inès")
        page = unescape(family_client.get(reverse("portal:child_edit", args=[child.pk])).content.decode())
        assert "Modifier les informations d'Inès" in page


class TestFrenchForms:
    def test_no_dashes_as_an_empty_choice(self, db):
        html = str(ChildForm())
        assert "---------" not in html


class TestAdminInFrench:
    def test_the_change_list_title_is_the_models_plural(self, client, agent):
        client.force_login(agent)
        DossierFactory()
        page = unescape(client.get(reverse("admin:cantine_dossier_changelist")).content.decode())
        assert "Sélectionnez" not in page and "à changer" not in page
        assert "<h1>Demandes d'inscription</h1>" in page

    def test_no_dashes_in_admin_selects(self, client, agent):
        client.force_login(agent)
        for url in (reverse("admin:cantine_dossier_changelist"), reverse("admin:portal_child_add")):
            page = client.get(url).content.decode()
            assert "---------" not in page, url

    def test_no_dashes_in_inline_selects(self, client, agent, household):
        client.force_login(agent)
        from tests.factories import ChildFactory

        ChildFactory(household=household)
        page = client.get(reverse("admin:portal_household_change", args=[household.pk])).content.decode()
        assert 'name="children-0-school"' in page or "children-0-school" in page
        assert "---------" not in page

    def test_the_grid_list_says_its_kind_in_french(self, client, agent):
        from cantine import services
        from tests.cantine.grids import PARIS
        from tests.factories import PeriodFactory

        client.force_login(agent)
        services.tariff_grid_save(period=PeriodFactory(), data=PARIS, label="v1", agent=None)
        page = unescape(client.get(reverse("admin:cantine_tariffgrid_changelist")).content.decode())
        header = page.split("<thead>")[1].split("</thead>")[0]
        assert "Type de grille" in header and ">Kind<" not in header
        assert "tranches de quotient familial" in page
