"""Downloading a tax notice and entering its figures need the fiscal-data permission, not only a view permission:
a notice shows every figure of a household."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from cantine import roles
from cantine.income import services
from impot_client.models import TaxData, TaxNotice
from portal.models import AuditEntry
from tests.cantine.backoffice import staff
from tests.cantine.income.test_services import PDF

pytestmark = pytest.mark.django_db
FIGURES = {"year": 2025, "rfr": 21987, "nb_parts": "3"}


@pytest.fixture
def notice(dossier):
    """A tax notice sent for a canteen dossier, which canteen agents handle."""
    owner = dossier.child.household.owner
    return services.tax_notice_upload(
        user=owner, dossier=dossier, uploaded=SimpleUploadedFile("avis.pdf", PDF)
    )


def urls(notice):
    return reverse("impot:notice_file", args=[notice.pk]), reverse(
        "admin:impot_client_taxnotice_enter", args=[notice.pk]
    )


def links(client, notice):
    page = client.get(reverse("admin:impot_client_taxnotice_change", args=[notice.pk])).content.decode()
    return [text for text in ("Télécharger", "Saisir les montants de cet avis") if text in page]


def test_an_agent_of_the_service_without_the_permission_neither_downloads_nor_enters(client, notice):
    client.force_login(staff(group=roles.CANTEEN_AGENTS))
    download, enter = urls(notice)
    assert links(client, notice) == []
    assert client.get(download).status_code == 404
    assert client.get(enter).status_code == 403
    assert client.post(enter, FIGURES).status_code == 403
    notice.refresh_from_db()
    assert notice.status == TaxNotice.Status.TO_CHECK
    assert (
        not TaxData.objects.exists() and not AuditEntry.objects.exists()
    )  # nothing entered, nothing looked at


def test_with_the_permission_the_same_agent_downloads_and_enters(client, notice):
    agent = staff(roles.FISCAL_DATA_PERMISSION, group=roles.CANTEEN_AGENTS)
    client.force_login(agent)
    download, enter = urls(notice)
    assert links(client, notice) == ["Télécharger", "Saisir les montants de cet avis"]
    assert client.get(download).status_code == 200
    assert client.post(enter, FIGURES).status_code == 302
    assert TaxData.objects.get(dossier=notice.dossier).checked_by == agent
    assert set(AuditEntry.objects.values_list("action", flat=True)) == {
        AuditEntry.Action.VIEWED_FISCAL_DATA,
        AuditEntry.Action.ENTERED_FIGURES,
    }
