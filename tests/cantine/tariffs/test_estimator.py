"""« Estimer mon tarif » for families: anonymous, nothing stored."""

import html
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cantine.models import Dossier, TariffGrid
from tests.cantine.backoffice import grid_for
from tests.cantine.grids import BUBRY
from tests.cantine.grids import COLLECTIVE as PSU
from tests.cantine.grids import FAY_AUX_LOGES as FAY
from tests.factories import CrecheServiceFactory, PeriodFactory

pytestmark = pytest.mark.django_db

URL = reverse("cantine:estimate")


def ask(client, data):
    """The estimator as a browser uses it: the service chosen by GET, the figures sent by POST (issue 16: the
    estimator's income no longer goes in the address)."""
    if set(data) <= {"period", "etape"}:
        return client.get(URL, data)
    return client.post(URL, data)


def text(response):
    """The page's text without tags, spaces normalised (French amounts hold no-break spaces)."""
    page = html.unescape(re.sub(r"<[^>]+>", " ", response.content.decode()))
    return " ".join(page.replace("\u00a0", " ").replace("\u202f", " ").split())


@pytest.fixture
def canteen():
    period = PeriodFactory(service__name="Restauration scolaire")
    grid_for(period)
    return period


@pytest.fixture
def creche():
    period = PeriodFactory(service=CrecheServiceFactory())
    grid_for(period, PSU)
    return period


class TestEstimateForFamilies:
    def test_the_first_step_offers_the_services_with_a_grid_in_force(self, client, canteen, creche):
        no_grid = PeriodFactory(service__name="Accueil du mercredi")
        draft_only = PeriodFactory(service__name="Études surveillées")
        grid_for(draft_only, is_active=False)
        response = client.get(URL)
        page = response.content.decode()
        assert response.status_code == 200
        assert f'value="{canteen.pk}"' in page and f'value="{creche.pk}"' in page
        assert "Accueil du mercredi" not in page and f'value="{no_grid.pk}"' not in page
        assert "Études surveillées" not in page
        assert 'method="get"' in page and "csrfmiddlewaretoken" not in page

    def test_choosing_a_canteen_asks_for_the_tax_notice_figures_without_errors_yet(self, client, canteen):
        response = ask(client, {"period": canteen.pk})
        page = response.content.decode()
        assert response.status_code == 200
        assert 'name="rfr"' in page and 'name="parts"' in page and 'name="start_date"' not in page
        assert 'name="rank"' not in page  # the Paris grid has no price by rank
        assert "error-summary" not in page
        assert f'<input type="hidden" name="period" value="{canteen.pk}">' in page

    def test_paris_case_9_with_the_explanation(self, client, canteen):
        response = ask(client, {"period": canteen.pk, "rfr": "28 000", "parts": "2,5"})
        page = text(response)
        assert response.status_code == 200
        assert "2,28 € par repas" in page
        assert "Revenu fiscal de référence : 28 000 € (saisi par vous)" in page
        assert "Nombre de parts : 2,5 (saisi par vous)" in page
        assert "28 000 € ÷ 12 ÷ 2,5 = 933,33 €" in page
        assert "Tranche 4 sur 6 (QF de 548,01 € à 959 €)" in page
        assert "saisi directement" not in page
        assert (
            "Ceci est une estimation ; le tarif appliqué est calculé sur votre demande avec les données "
            "transmises par la DGFiP." in page
        )
        # The typed figures stay in the form, to change one and estimate again.
        assert 'value="28 000"' in response.content.decode() and 'value="2,5"' in response.content.decode()

    def test_an_effort_rate_grid_says_which_clamp_applied(self, client):
        period = PeriodFactory()
        grid_for(period, FAY)
        page = text(ask(client, {"period": period.pk, "rfr": "12000", "parts": "2"}))
        assert (
            "QF) = revenu fiscal de référence ÷ 12 ÷ nombre de parts = 12 000 € ÷ 12 ÷ 2 = 500,00 €" in page
        )
        assert "le minimum s'applique, 2,60 € par repas" in page

    def test_the_rank_is_asked_when_the_grid_prices_by_rank(self, client):
        period = PeriodFactory()
        grid_for(period, BUBRY)
        assert 'name="rank"' in ask(client, {"period": period.pk}).content.decode()
        page = text(ask(client, {"period": period.pk, "rfr": "54000", "parts": "3", "rank": "3"}))
        assert "1,58 € par repas" in page and "à partir du 3e enfant inscrit" in page
        assert "3,15 € par repas" in text(
            ask(client, {"period": period.pk, "rfr": "54000", "parts": "3", "rank": ""})
        )

    def test_psu_case_7_october_2025_two_children_3000(self, client, creche):
        response = ask(
            client,
            {"period": creche.pk, "start_date": "2025-10-06", "monthly_resources": "3000", "children": "2"},
        )
        page = text(response)
        assert response.status_code == 200
        assert "1,55 € de l'heure" in page
        assert "Ressources mensuelles : 3 000,00 € (saisi par vous)" in page
        assert "Taux d'effort pour 2 enfants" in page and "0,0516 % par heure" in page

    def test_psu_from_annual_resources_with_the_monthly_fee(self, client, creche):
        response = ask(
            client,
            {
                "period": creche.pk,
                "start_date": "2025-10-06",
                "annual_resources": "36 000",
                "children": "2",
                "aeeh": "",
                "hours_per_week": "40",
                "weeks_per_year": "45",
                "months": "11",
            },
        )
        page = text(response)
        assert response.status_code == 200
        assert "36 000 € ÷ 12 = 3 000,00 €" in page and "1,55 € de l'heure" in page
        assert "soit 253,64 € par mois" in page  # 40 h × 45 weeks ÷ 11 months × 1.55

    def test_aeeh_counts_one_more_child(self, client, creche):
        page = text(
            ask(
                client,
                {
                    "period": creche.pk,
                    "start_date": "2025-10-06",
                    "monthly_resources": "3000",
                    "children": "1",
                    "aeeh": "1",
                },
            )
        )
        assert "1,55 € de l'heure" in page  # the 2-children rate

    def test_declining_shows_the_highest_price_of_the_grid(self, client, canteen):
        response = ask(client, {"period": canteen.pk, "rfr": "abc", "parts": "", "income": "declined"})
        page = text(response)
        assert response.status_code == 200
        assert "4,61 € par repas" in page and "le tarif le plus élevé de la grille s'applique" in page
        assert 'value="abc"' not in response.content.decode()  # income not used, not shown back

    def test_declining_at_the_creche_uses_the_ceiling(self, client, creche):
        response = ask(
            client, {"period": creche.pk, "start_date": "2025-10-06", "children": "2", "income": "declined"}
        )
        page = text(response)
        assert response.status_code == 200
        assert "4,39 € de l'heure" in page  # 8500 × 0.0516 %
        assert "plafond de ressources de la CNAF (8 500,00 € par mois depuis le 01/09/2025)" in page

    def test_bad_input_gives_400_a_french_summary_and_keeps_what_was_typed(self, client, canteen):
        response = ask(client, {"period": canteen.pk, "rfr": "28 000 euros", "parts": "0,5"})
        page = response.content.decode()
        assert response.status_code == 400
        assert 'class="error-summary" role="alert"' in page
        assert "Votre saisie est à corriger" in page
        assert (
            '<a href="#id_rfr">Revenu fiscal de référence (€) : Saisissez un nombre, par exemple 28 000.</a>'
            in page
        )
        assert "Saisissez un nombre supérieur ou égal à 1." in page
        assert 'value="28 000 euros"' in page and 'value="0,5"' in page
        assert 'aria-invalid="true"' in page
        assert "<title>Erreur de saisie" in page
        assert "Votre tarif estimé" not in page

    def test_missing_figures_are_asked_for(self, client, canteen):
        response = ask(client, {"period": canteen.pk, "rfr": "", "parts": ""})
        assert response.status_code == 400
        page = response.content.decode()
        assert "Indiquez votre revenu fiscal de référence." in page
        assert "Indiquez le nombre de parts de votre foyer fiscal." in page

    @pytest.mark.parametrize(
        ("data", "message"),
        [
            (
                {"monthly_resources": "", "annual_resources": ""},
                "Indiquez vos revenus annuels ou vos ressources mensuelles.",
            ),
            ({"monthly_resources": "3000", "annual_resources": "36000"}, "pas les deux"),
            ({"monthly_resources": "3000", "start_date": "2018-06-01"}, "Le barème ne contient aucun"),
            ({"monthly_resources": "3000", "aeeh": "3"}, "plus d&#x27;enfants bénéficiaires de l&#x27;AEEH"),
            (
                {"monthly_resources": "3000", "hours_per_week": "40"},
                "indiquez ensemble les heures par semaine",
            ),
            ({"monthly_resources": "3000", "children": "deux"}, "Saisissez un nombre entier, par exemple 2."),
        ],
    )
    def test_creche_input_errors(self, client, creche, data, message):
        query = {"period": creche.pk, "start_date": "2025-10-06", "children": "2", **data}
        response = ask(client, query)
        assert response.status_code == 400
        assert message in response.content.decode()

    def test_an_unknown_service_is_refused_with_400(self, client, canteen):
        response = ask(client, {"period": "999999"})
        assert response.status_code == 400
        assert "Ce service n&#x27;a pas de tarif publié" in response.content.decode()

    def test_nothing_is_written_and_no_cookie_is_set(self, client, canteen, creche):
        counts = (Dossier.objects.count(), TariffGrid.objects.count())
        with CaptureQueriesContext(connection) as queries:
            responses = [
                client.get(URL),
                ask(client, {"period": canteen.pk, "rfr": "28000", "parts": "2,5"}),
                ask(client, {"period": canteen.pk, "rfr": "x"}),
                ask(client, {"period": canteen.pk, "income": "declined"}),
                ask(
                    client,
                    {
                        "period": creche.pk,
                        "start_date": "2025-10-06",
                        "monthly_resources": "3000",
                        "children": "2",
                    },
                ),
            ]
        writes = [q["sql"] for q in queries if re.match(r"\s*(INSERT|UPDATE|DELETE|REPLACE)", q["sql"], re.I)]
        assert writes == []
        assert [response.status_code for response in responses] == [200, 200, 400, 200, 200]
        # No session; the figures' form sets only the CSRF cookie, which holds nothing of the family's.
        assert {name for response in responses for name in response.cookies} <= {"csrftoken"}
        assert (Dossier.objects.count(), TariffGrid.objects.count()) == counts

    def test_figures_stay_out_of_the_address(self, client, canteen):
        """Issue 16, « Journeys »: measured before, the estimate was a GET, incomes in the address and the logs."""
        form = client.get(URL, {"period": canteen.pk}).content.decode()
        assert 'method="post"' in form and "csrfmiddlewaretoken" in form
        old_link = client.get(URL, {"period": canteen.pk, "rfr": "28000", "parts": "2,5"})  # a link of before
        page = old_link.content.decode()
        assert old_link.status_code == 200 and "2,28" not in page and "28000" not in page

    def test_continuer_with_no_service_chosen_says_so(self, client, canteen):
        """Issue 16: measured before, « Continuer » with nothing chosen showed the same page again, silently."""
        page = client.get(URL).content.decode()
        assert '<input type="hidden" name="etape" value="service">' in page
        response = client.get(URL, {"etape": "service"})
        assert response.status_code == 400 and "Choisissez un service." in response.content.decode()

    def test_a_post_without_the_csrf_token_is_refused(self, canteen):
        strict = Client(enforce_csrf_checks=True)
        assert strict.post(URL, {"period": canteen.pk, "rfr": "28000", "parts": "2,5"}).status_code == 403

    def test_the_home_page_links_to_it(self, client):
        assert f'href="{URL}"' in client.get(reverse("portal:home")).content.decode()
