"""The council's comparison of a draft grid in the admin: aggregates only, computed by the task worker (a job) and
shown again on the comparison page, with a CSV to download."""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

import pricing
from cantine import services
from cantine.models import Dossier, Job
from cantine.tariffs.council import Comparison, change_bucket, compare
from tests.cantine.backoffice import grid_for, submitted, with_income
from tests.cantine.grids import COLLECTIVE as PSU
from tests.cantine.grids import PARIS
from tests.factories import CrecheServiceFactory, DossierFactory, PeriodFactory, UserFactory, creche_dossier

pytestmark = pytest.mark.django_db


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
    services.dossier_cancel(dossier=cancelled, user=cancelled.child.household.owner)
    draft = with_income(DossierFactory(period=period, income_declined=False), 1200, "1")
    return grid, dossiers, [draft, cancelled]


@pytest.fixture
def admin_client(client):
    """A council agent (superuser) whose own address cannot be mistaken for a family's."""
    client.force_login(UserFactory(email="conseil@mairie.example", is_staff=True, is_superuser=True))
    return client


def compare_url(grid):
    return reverse("admin:cantine_tariffgrid_compare", args=[grid.pk])


def compared(client, grid, draft, capture):
    """Post the draft as an agent does: the request only queues the job (nothing computed in it); the worker runs
    it; the comparison page shows the job's result. Returns (job, that page)."""
    with capture() as queued:
        response = client.post(compare_url(grid), {"draft": json.dumps(draft)})
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:cantine_job_change", args=[job.pk])
    assert (job.kind, job.status, job.result, len(queued)) == (Job.Kind.COMPARISON, Job.Status.QUEUED, {}, 1)
    services.job_execute(job=job)  # what the task worker runs
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job.summary
    page = client.get(compare_url(grid) + f"?traitement={job.pk}")
    assert page.status_code == 200
    return job, page.content.decode()


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
        result = compare(grid, pricing.parse_grid(DRAFT))
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
        result = compare(grid, pricing.parse_grid(draft))
        rows = {label: (before, after) for label, before, after in result.rows}
        assert rows["QF jusqu'à 234"] == (1, 0)
        assert rows["QF jusqu'à 1\u00a0000"] == (0, 2)
        assert rows["QF à partir de 1\u00a0000,01"] == (0, 1)
        assert dict(result.changes) == {"down_large": 3, "up_large": 1}

    def test_the_page_shows_figures_chart_and_table_and_never_a_family(
        self, admin_client, council, django_capture_on_commit_callbacks
    ):
        grid, dossiers, _left_out = council
        job, page = compared(admin_client, grid, DRAFT, django_capture_on_commit_callbacks)
        assert (job.done, job.total, job.percent) == (4, 4, 100)
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
        assert "4 demande(s) comparée(s) ; écart de recette mensuelle : +28,80" in job.summary.replace(
            "\u00a0", " "
        )
        # The job's page links to that page and to the file, a CSV of the same aggregates.
        job_page = admin_client.get(reverse("admin:cantine_job_change", args=[job.pk])).content.decode()
        assert f"{compare_url(grid)}?traitement={job.pk}" in job_page and "Voir la comparaison" in job_page
        download = admin_client.get(reverse("admin:cantine_job_download", args=[job.pk]))
        text = b"".join(download.streaming_content).decode("utf-8-sig").replace("\u00a0", " ")
        assert download["Content-Type"].startswith("text/csv")
        assert f"comparaison-{grid.period.service.slug}-" in download["Content-Disposition"]
        assert "Demandes comparées;4\r\n" in text and "QF jusqu'à 234;1;1\r\n" in text
        assert "Écart de recette mensuelle;'+28,80 € (+17,2 %)" in text  # text, never read as a formula
        for dossier in dossiers:
            assert dossier.reference not in text and dossier.child.first_names not in text

    def test_the_aggregates_read_back_from_the_job_are_the_comparison(self, council):
        grid, _dossiers, _left_out = council
        result = compare(grid, pricing.parse_grid(DRAFT))
        again = Comparison.from_data(json.loads(json.dumps(result.as_data())))
        assert again == result and again.rows == result.rows and again.figures() == result.figures()

    def test_a_comparison_is_shown_only_to_whoever_started_it(
        self, admin_client, client, council, django_capture_on_commit_callbacks
    ):
        grid, _dossiers, _left_out = council
        job, _page = compared(admin_client, grid, DRAFT, django_capture_on_commit_callbacks)
        other = UserFactory(is_staff=True)
        other.user_permissions.add(Permission.objects.get(codename="view_tariffgrid"))
        client.force_login(other)
        assert client.get(compare_url(grid) + f"?traitement={job.pk}").status_code == 404
        assert client.get(reverse("admin:cantine_job_download", args=[job.pk])).status_code == 404
        assert client.get(compare_url(grid) + "?traitement=abc").status_code == 404
        another_grid = grid_for(PeriodFactory())
        assert admin_client.get(compare_url(another_grid) + f"?traitement={job.pk}").status_code == 404

    def test_a_comparison_that_fails_says_so(self, council):
        grid, _dossiers, _left_out = council
        job = services.job_start(
            kind=Job.Kind.COMPARISON, agent=UserFactory(is_staff=True), params={"grid": grid.pk, "draft": {}}
        )
        services.job_execute(job=job)
        job.refresh_from_db()
        assert job.status == Job.Status.FAILED and "a échoué" in job.summary and not job.file

    def test_a_stored_quote_from_another_version_is_pointed_out(self, admin_client, council):
        grid, dossiers, _left_out = council
        dossiers[0].quote.__class__.objects.filter(pk=dossiers[0].quote.pk).update(amount=Decimal("9.99"))
        result = compare(grid, pricing.parse_grid(DRAFT))
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

    def test_a_psu_draft_with_ceiling_lifted_over_a_creche(
        self, admin_client, django_capture_on_commit_callbacks
    ):
        period = PeriodFactory(service=CrecheServiceFactory())
        grid = grid_for(period, PSU)
        dossier = creche_dossier(period=period, start=date(2025, 10, 6), siblings=1)
        submitted(
            with_income(dossier, rfr=108000, parts="2", nb_pac=2)
        )  # 9000 a month, above the 8500 ceiling
        result = compare(grid, pricing.parse_grid({**PSU, "ceiling_lifted": True}))
        assert result.rows == [
            ("Au-delà du plafond (déplafonnement)", 0, 1),
            ("Plafond de ressources de la CNAF", 1, 0),
        ]
        # 4.39 €/h (8500 × 0.0516 %) then 4.64 €/h (9000 × 0.0516 %), 9 h a week × 45 weeks ÷ 11 months.
        assert (result.revenue_before, result.revenue_after) == (Decimal("161.63"), Decimal("170.84"))
        assert dict(result.changes) == {"up_large": 1}  # + 0.25 €/h, over the 0.10 €/h step
        _job, page = compared(
            admin_client, grid, {**PSU, "ceiling_lifted": True}, django_capture_on_commit_callbacks
        )
        assert "Hausse de plus de 0,10" in page

    def test_an_empty_period_says_there_is_nothing_to_compare(
        self, admin_client, django_capture_on_commit_callbacks
    ):
        grid = grid_for(PeriodFactory())
        _job, page = compared(admin_client, grid, DRAFT, django_capture_on_commit_callbacks)
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
    assert change_bucket(Decimal(delta), Decimal("0.50")) == bucket


def test_weekly_hours_of_a_schedule():
    dossier = Dossier(creche_schedule={"mon": ["08:30", "17:30"], "tue": ["09:00", "12:15"]})
    assert dossier.creche_weekly_hours() == Decimal("12.25")
