"""The agents' admin pages in real Chromium, with axe (WCAG 2.1 A and AA): zero violations on every page an agent
works with, Django's own markup included, on a computer and on a phone: the index, the dossier list and page and its
« Décider », a crèche dossier with its committee and contract, the grids, the parking applications and their
« Décider », the audit log, the exports and their jobs, the tax data. The agent signs in with a TOTP code, as in
production."""

from datetime import date
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from cantine.management.commands.seed_demo import DEMO_AGENT
from cantine.models import Job, TariffGrid
from cantine.services import jobs
from portal.management.commands.demo_totp import current_code
from portal.models import User
from stationnement import services as parking
from tests.browser.conftest import PHONE_CONTEXT
from tests.browser.test_agent_journey import DESKTOP, dossier_sent_by_the_demo_family
from tests.cantine.backoffice import with_income
from tests.cantine.test_creche_contract_pdf import family_contract
from tests.documents import PDF
from tests.factories import DossierFactory, HouseholdFactory
from tests.migrations_data import restore_shipped_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path


def parking_application_sent():
    """A resident's card application with its proofs, waiting for an agent's decision."""
    household = HouseholdFactory()
    owner = household.owner
    application = parking.application_start(user=owner, household=household)
    parking.application_vehicle_set(
        user=owner, application=application, plate="AB-123-CD", duration="quarter", company_vehicle=False
    )
    for kind in ("proof_of_address", "registration"):
        parking.document_upload(
            user=owner, application=application, kind=kind, uploaded=SimpleUploadedFile("x.pdf", PDF)
        )
    return parking.application_submit(user=owner, application=application, today=date(2026, 12, 2))


def agents_pages():
    """Every admin page the walk opens, by what it is, with the demo data behind it."""
    restore_shipped_data()
    call_command("seed_demo", force=True, stdout=StringIO())
    call_command("seed_parking_demo", stdout=StringIO())
    dossier = dossier_sent_by_the_demo_family()
    application = parking_application_sent()
    tax_data = with_income(DossierFactory(income_declined=False)).tax_data
    job = jobs.job_start(
        kind=Job.Kind.EXPORT,
        agent=User.objects.get(email=DEMO_AGENT[0]),
        params={"period": dossier.period_id, "file_format": "csv"},
    )
    jobs.job_execute(job=job)
    grid = TariffGrid.objects.filter(period=dossier.period).first()
    contract = family_contract(
        confirmed=True
    )  # a crèche place taken: its dossier, offer, committee and contract
    pages = {
        "accueil": reverse("admin:index"),
        "demandes": reverse("admin:cantine_dossier_changelist"),
        "demandes envoyées": reverse("admin:cantine_dossier_changelist") + "?status__exact=submitted",
        "demande": reverse("admin:cantine_dossier_change", args=[dossier.pk]),
        "décider (demande)": reverse("admin:cantine_dossier_decide", args=[dossier.pk]),
        "demande de crèche": reverse("admin:cantine_dossier_change", args=[contract.dossier_id]),
        "commission": reverse("admin:cantine_committeesession_change", args=[contract.offer.session_id]),
        "contrats d'accueil": reverse("admin:cantine_crechecontract_changelist"),
        "contrat d'accueil": reverse("admin:cantine_crechecontract_change", args=[contract.pk]),
        "grilles": reverse("admin:cantine_tariffgrid_changelist"),
        "grille": reverse("admin:cantine_tariffgrid_change", args=[grid.pk]),
        "importer une grille": reverse("admin:cantine_tariffgrid_import"),
        "cartes de stationnement": reverse("admin:stationnement_application_changelist"),
        "demande de carte": reverse("admin:stationnement_application_change", args=[application.pk]),
        "décider (carte)": reverse("admin:stationnement_application_decide", args=[application.pk]),
        "journal des actions": reverse("admin:portal_auditentry_changelist"),
        "exporter": reverse("admin:cantine_dossier_export"),
        "travaux": reverse("admin:cantine_job_changelist"),
        "travail": reverse("admin:cantine_job_change", args=[job.pk]),
        "données fiscales": reverse("admin:impot_client_taxdata_changelist"),
        "donnée fiscale": reverse("admin:impot_client_taxdata_change", args=[tax_data.pk]),
        "avis d'imposition": reverse("admin:impot_client_taxnotice_changelist"),
    }
    return pages


def sign_in(admin, live_server):
    """The superuser of the demo, with its password and the code of its authenticator app."""
    device = TOTPDevice.objects.get(user__email=DEMO_AGENT[0])
    admin.goto(live_server.url + reverse("admin:index"))
    admin.get_by_label("Adresse électronique").fill(DEMO_AGENT[0])
    admin.get_by_label("Mot de passe").fill(DEMO_AGENT[1])
    admin.get_by_label("Code à 6 chiffres").fill(current_code(device))
    admin.get_by_role("button", name="Se connecter").click()
    expect(admin.get_by_role("heading", level=1)).to_be_visible()


@pytest.mark.parametrize("viewport", ["ordinateur", "téléphone"])
def test_every_admin_page_an_agent_works_with_has_no_axe_violation(
    browser, live_server, assert_accessible, viewport
):
    pages = agents_pages()
    context = browser.new_context(**(DESKTOP if viewport == "ordinateur" else PHONE_CONTEXT))
    admin = context.new_page()
    admin.goto(live_server.url + reverse("admin:index"))
    failures = []
    try:
        assert_accessible(admin)  # the sign-in page
    except AssertionError as failure:
        failures.append(f"[connexion] {failure}")
    sign_in(admin, live_server)
    for name, url in pages.items():
        response = admin.goto(live_server.url + url)
        assert response.status == 200, f"{name} : {url} répond {response.status}"
        try:
            assert_accessible(admin)
        except AssertionError as failure:
            failures.append(f"[{name}] {failure}")
    context.close()
    assert not failures, "\n\n".join(failures)
