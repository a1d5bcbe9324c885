"""The two tariff simulators: « Estimer mon tarif » for families (anonymous, nothing stored) and the council's
comparison of a draft grid in the admin (aggregates only)."""

import html
import json
import re
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cantine import selectors, services, simulators
from cantine.models import Dossier, PsuEffortRate, PsuResourceLimit, TariffGrid
from cantine.psu_bareme import SHIPPED
from tests.cantine.backoffice import grid_for, submitted, with_income
from tests.cantine.grids import BUBRY, PARIS
from tests.cantine.grids import COLLECTIVE as PSU
from tests.cantine.grids import FAY_AUX_LOGES as FAY
from tests.factories import (
    CrecheServiceFactory,
    DossierFactory,
    PeriodFactory,
    UserFactory,
    creche_dossier,
)

pytestmark = pytest.mark.django_db

URL = reverse("cantine:estimate")


@pytest.fixture(autouse=True)
def bareme(db):
    """The CNAF barème rows the data migration ships (rebuilt from SHIPPED should a test have emptied them)."""
    if not PsuEffortRate.objects.exists():
        PsuEffortRate.objects.bulk_create(PsuEffortRate(**vars(rate)) for rate in SHIPPED.rates)
    if not PsuResourceLimit.objects.exists():
        PsuResourceLimit.objects.bulk_create(PsuResourceLimit(**vars(limit)) for limit in SHIPPED.limits)
    assert selectors.psu_bareme().rates


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
        response = client.get(URL, {"period": canteen.pk})
        page = response.content.decode()
        assert response.status_code == 200
        assert 'name="rfr"' in page and 'name="parts"' in page and 'name="start_date"' not in page
        assert 'name="rank"' not in page  # the Paris grid has no price by rank
        assert "error-summary" not in page
        assert f'<input type="hidden" name="period" value="{canteen.pk}">' in page

    def test_paris_case_9_with_the_explanation(self, client, canteen):
        response = client.get(URL, {"period": canteen.pk, "rfr": "28 000", "parts": "2,5"})
        page = text(response)
        assert response.status_code == 200
        assert "2,28 € par repas" in page
        assert "Revenu fiscal de référence : 28000 € (saisi par vous)" in page
        assert "Nombre de parts : 2,5 (saisi par vous)" in page
        assert "28000 € ÷ 12 ÷ 2,5 = 933,33 €" in page
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
        page = text(client.get(URL, {"period": period.pk, "rfr": "12000", "parts": "2"}))
        assert "QF) = revenu fiscal de référence ÷ 12 ÷ nombre de parts = 12000 € ÷ 12 ÷ 2 = 500,00 €" in page
        assert "le minimum s'applique, 2,60 € par repas" in page

    def test_the_rank_is_asked_when_the_grid_prices_by_rank(self, client):
        period = PeriodFactory()
        grid_for(period, BUBRY)
        assert 'name="rank"' in client.get(URL, {"period": period.pk}).content.decode()
        page = text(client.get(URL, {"period": period.pk, "rfr": "54000", "parts": "3", "rank": "3"}))
        assert "1,58 € par repas" in page and "à partir du 3e enfant inscrit" in page
        assert "3,15 € par repas" in text(
            client.get(URL, {"period": period.pk, "rfr": "54000", "parts": "3", "rank": ""})
        )

    def test_psu_case_7_october_2025_two_children_3000(self, client, creche):
        response = client.get(
            URL,
            {"period": creche.pk, "start_date": "2025-10-06", "monthly_resources": "3000", "children": "2"},
        )
        page = text(response)
        assert response.status_code == 200
        assert "1,55 € de l'heure" in page
        assert "Ressources mensuelles : 3000,00 € (saisi par vous)" in page
        assert "Taux d'effort pour 2 enfants" in page and "0,0516 % par heure" in page

    def test_psu_from_annual_resources_with_the_monthly_fee(self, client, creche):
        response = client.get(
            URL,
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
        assert "36000 € ÷ 12 = 3000,00 €" in page and "1,55 € de l'heure" in page
        assert "soit 253,64 € par mois" in page  # 40 h × 45 weeks ÷ 11 months × 1.55

    def test_aeeh_counts_one_more_child(self, client, creche):
        page = text(
            client.get(
                URL,
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
        response = client.get(URL, {"period": canteen.pk, "rfr": "abc", "parts": "", "income": "declined"})
        page = text(response)
        assert response.status_code == 200
        assert "4,61 € par repas" in page and "le tarif le plus élevé de la grille s'applique" in page
        assert 'value="abc"' not in response.content.decode()  # income not used, not shown back

    def test_declining_at_the_creche_uses_the_ceiling(self, client, creche):
        response = client.get(
            URL, {"period": creche.pk, "start_date": "2025-10-06", "children": "2", "income": "declined"}
        )
        page = text(response)
        assert response.status_code == 200
        assert "4,39 € de l'heure" in page  # 8500 × 0.0516 %
        assert "plafond de ressources de la CNAF (8500,00 € par mois depuis le 01/09/2025)" in page

    def test_bad_input_gives_400_a_french_summary_and_keeps_what_was_typed(self, client, canteen):
        response = client.get(URL, {"period": canteen.pk, "rfr": "28 000 euros", "parts": "0,5"})
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
        response = client.get(URL, {"period": canteen.pk, "rfr": "", "parts": ""})
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
        response = client.get(URL, query)
        assert response.status_code == 400
        assert message in response.content.decode()

    def test_an_unknown_service_is_refused_with_400(self, client, canteen):
        response = client.get(URL, {"period": "999999"})
        assert response.status_code == 400
        assert "Ce service n&#x27;a pas de tarif publié" in response.content.decode()

    def test_nothing_is_written_and_no_cookie_is_set(self, client, canteen, creche):
        counts = (Dossier.objects.count(), TariffGrid.objects.count())
        with CaptureQueriesContext(connection) as queries:
            responses = [
                client.get(URL),
                client.get(URL, {"period": canteen.pk, "rfr": "28000", "parts": "2,5"}),
                client.get(URL, {"period": canteen.pk, "rfr": "x"}),
                client.get(URL, {"period": canteen.pk, "income": "declined"}),
                client.get(
                    URL,
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
        assert all(not response.cookies for response in responses)  # no session, no CSRF cookie
        assert (Dossier.objects.count(), TariffGrid.objects.count()) == counts

    def test_post_is_refused(self, client, canteen):
        assert client.post(URL, {"period": canteen.pk}).status_code == 405

    def test_the_home_page_links_to_it(self, client):
        assert f'href="{URL}"' in client.get(reverse("portal:home")).content.decode()


# ---------------------------------------------------------------------------------------------------------------
# The council's comparison


DRAFT = {
    **PARIS,
    "brackets": [
        *PARIS["brackets"][:3],
        {"up_to": "959", "price": "2.50"},
        {"up_to": "1370", "price": "3.62"},
        {"up_to": None, "price": "5.50"},
    ],
}


@pytest.fixture
def council(db):
    """A canteen period with the Paris grid in force and its dossiers (4 days a week each):
    QF 933.33 → 2.28; QF 200 → 0.13; QF 2500 → 4.61; income declined → 4.61; plus a draft and a cancelled
    dossier that the comparison leaves out."""
    period = PeriodFactory()
    grid = grid_for(period)
    dossiers = []
    for rfr, parts in ((28000, "2.5"), (6000, "2.5"), (60000, "2")):
        dossiers.append(
            submitted(with_income(DossierFactory(period=period, income_declined=False), rfr, parts))
        )
    declined = submitted(DossierFactory(period=period))
    agent = UserFactory(is_staff=True)
    services.dossier_start_review(dossier=declined, agent=agent)
    services.dossier_accept(dossier=declined, agent=agent)
    dossiers.append(declined)
    cancelled = submitted(DossierFactory(period=period))
    services.dossier_cancel(dossier=cancelled, actor=cancelled.child.household.owner)
    draft = with_income(DossierFactory(period=period, income_declined=False), 1200, "1")
    return grid, dossiers, [draft, cancelled]


@pytest.fixture
def admin_client(client):
    """A council agent (superuser) whose own address cannot be mistaken for a family's."""
    client.force_login(UserFactory(email="conseil@mairie.example", is_staff=True, is_superuser=True))
    return client


def compare_url(grid):
    return reverse("admin:cantine_tariffgrid_compare", args=[grid.pk])


class TestComparison:
    def test_the_form_is_prefilled_with_the_grid(self, admin_client, council):
        grid, _dossiers, _left_out = council
        response = admin_client.get(compare_url(grid))
        page = response.content.decode()
        assert response.status_code == 200
        assert "Comparer un projet de grille" in page
        assert "&quot;up_to&quot;: &quot;959&quot;" in page and "Résultat de la comparaison" not in page

    def test_aggregates(self, council):
        grid, _dossiers, _left_out = council
        result = simulators.compare(grid, simulators.pricing.parse_grid(DRAFT))
        assert result.dossiers == 4 and result.priced == 4
        assert result.rows == [
            ("QF jusqu'à 234", 1, 1),
            ("QF de 548,01 à 959", 1, 1),
            ("QF à partir de 1\u00a0370,01", 1, 1),
            ("Tarif le plus élevé (revenus inconnus ou refusés)", 1, 1),
        ]
        assert dict(result.changes) == {"same": 1, "up": 1, "up_large": 2}
        # (2.28 + 0.13 + 4.61 + 4.61) × 4 days × 36 weeks ÷ 10 months, then with 2.50 and 5.50.
        assert result.revenue_before == Decimal("167.47")
        assert result.revenue_after == Decimal("196.27")
        assert result.average_change == Decimal("0.50")  # (0.22 + 0 + 0.89 + 0.89) ÷ 4
        assert result.stale_quotes == 0

    def test_brackets_that_move_are_counted_apart(self, council):
        grid, _dossiers, _left_out = council
        draft = {**PARIS, "brackets": [{"up_to": "1000", "price": "1.00"}, {"up_to": None, "price": "4.00"}]}
        result = simulators.compare(grid, simulators.pricing.parse_grid(draft))
        rows = {label: (before, after) for label, before, after in result.rows}
        assert rows["QF jusqu'à 234"] == (1, 0)
        assert rows["QF jusqu'à 1\u00a0000"] == (0, 2)
        assert rows["QF à partir de 1\u00a0000,01"] == (0, 1)
        assert dict(result.changes) == {"down_large": 3, "up_large": 1}

    def test_the_page_shows_figures_chart_and_table_and_never_a_family(self, admin_client, council):
        grid, dossiers, _left_out = council
        response = admin_client.post(compare_url(grid), {"draft": json.dumps(DRAFT)})
        page = response.content.decode()
        assert response.status_code == 200
        flat = page.replace("\u00a0", " ").replace("\u202f", " ")
        assert "167,47 €" in flat and "196,27 €" in flat and "+28,80 € (+17,2 %)" in flat
        assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in page
        assert 'aria-labelledby="chart-categories-title chart-categories-desc"' in page
        assert "<caption>Nombre de demandes par tranche, grille en vigueur et projet</caption>" in page
        assert "Hausse de plus de 0,50 € par repas" in flat
        assert "36 semaines d'école par an, facturées sur 10 mois" in page
        for dossier in Dossier.objects.all():
            child, household = dossier.child, dossier.child.household
            assert dossier.reference not in page
            assert child.first_names not in page
            for adult in household.adults.all():
                assert adult.last_name not in page
            assert household.owner.email not in page
            assert reverse("admin:cantine_dossier_change", args=[dossier.pk]) not in page
        assert 'style="' not in page.split("<svg", 1)[1].split("</svg>", 1)[0]

    def test_a_stored_quote_from_another_version_is_pointed_out(self, admin_client, council):
        grid, dossiers, _left_out = council
        dossiers[0].quote.__class__.objects.filter(pk=dossiers[0].quote.pk).update(amount=Decimal("9.99"))
        result = simulators.compare(grid, simulators.pricing.parse_grid(DRAFT))
        assert result.stale_quotes == 1

    @pytest.mark.parametrize(
        ("draft", "message"),
        [
            ('{"kind": "brackets", ', "n&#x27;est pas du JSON valide (ligne 1"),
            (
                json.dumps({"kind": "effort_rate", "rate_percent": "0.36", "min": "5", "max": "2"}),
                "min : Le tarif minimum",
            ),
            (json.dumps(PSU), "du même genre que la grille comparée"),
            (json.dumps({**PARIS, "unit": "month"}), "garder l&#x27;unité de la grille comparée (« meal »)"),
            ("", "Collez le projet de grille (JSON)."),
        ],
    )
    def test_draft_errors_are_shown_in_french_and_the_text_kept(self, admin_client, council, draft, message):
        grid, _dossiers, _left_out = council
        response = admin_client.post(compare_url(grid), {"draft": draft})
        page = response.content.decode()
        assert response.status_code == 200
        assert 'class="errornote" role="alert"' in page and message in page
        assert "Résultat de la comparaison" not in page
        if draft:
            assert draft.replace('"', "&quot;") in page

    def test_a_psu_draft_with_ceiling_lifted_over_a_creche(self, admin_client):
        period = PeriodFactory(service=CrecheServiceFactory())
        grid = grid_for(period, PSU)
        dossier = creche_dossier(period=period, start=date(2025, 10, 6), siblings=1)
        submitted(
            with_income(dossier, rfr=108000, parts="2", nb_pac=2)
        )  # 9000 a month, above the 8500 ceiling
        result = simulators.compare(grid, simulators.pricing.parse_grid({**PSU, "ceiling_lifted": True}))
        assert result.rows == [
            ("Au-delà du plafond (déplafonnement)", 0, 1),
            ("Plafond de ressources de la CNAF", 1, 0),
        ]
        # 4.39 €/h (8500 × 0.0516 %) then 4.64 €/h (9000 × 0.0516 %), 9 h a week × 45 weeks ÷ 11 months.
        assert (result.revenue_before, result.revenue_after) == (Decimal("161.63"), Decimal("170.84"))
        assert dict(result.changes) == {"up_large": 1}  # + 0.25 €/h, over the 0.10 €/h step
        page = admin_client.post(compare_url(grid), {"draft": json.dumps({**PSU, "ceiling_lifted": True})})
        assert "Hausse de plus de 0,10" in page.content.decode()

    def test_an_empty_period_says_there_is_nothing_to_compare(self, admin_client):
        grid = grid_for(PeriodFactory())
        page = admin_client.post(compare_url(grid), {"draft": json.dumps(DRAFT)}).content.decode()
        assert "Aucune demande en cours pour cette période" in page

    def test_a_family_account_is_sent_to_the_admin_login(self, client, council, household):
        grid, _dossiers, _left_out = council
        client.force_login(household.owner)
        response = client.get(compare_url(grid))
        assert response.status_code == 302 and "/admin/login/" in response.url

    def test_staff_without_the_view_permission_is_refused(self, client, council):
        grid, _dossiers, _left_out = council
        staff = UserFactory(is_staff=True)
        client.force_login(staff)
        assert client.get(compare_url(grid)).status_code == 403
        assert client.post(compare_url(grid), {"draft": json.dumps(DRAFT)}).status_code == 403
        staff.user_permissions.add(Permission.objects.get(codename="view_tariffgrid"))
        assert client.get(compare_url(grid)).status_code == 200

    def test_the_grid_page_links_to_the_comparison(self, admin_client, council):
        grid, _dossiers, _left_out = council
        page = admin_client.get(reverse("admin:cantine_tariffgrid_change", args=[grid.pk])).content.decode()
        assert compare_url(grid) in page


@pytest.mark.parametrize(
    ("delta", "bucket"),
    [
        ("-0.51", "down_large"),
        ("-0.50", "down"),
        ("-0.01", "down"),
        ("0", "same"),
        ("0.50", "up"),
        ("0.51", "up_large"),
    ],
)
def test_change_buckets(delta, bucket):
    assert simulators.change_bucket(Decimal(delta), Decimal("0.50")) == bucket


def test_weekly_hours_of_a_schedule():
    dossier = Dossier(creche_schedule={"mon": ["08:30", "17:30"], "tue": ["09:00", "12:15"]})
    assert dossier.creche_weekly_hours() == Decimal("12.25")
