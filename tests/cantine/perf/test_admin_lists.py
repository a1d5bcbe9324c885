"""The admin lists agents page through at a commune's scale (tax data, consents, tax notices, status history,
messages, audit log, households, jobs) cost a fixed number of queries: counted with a few families, then again with
more, and held equal."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cantine import services
from cantine.models import DossierStatusChange, Job
from impot_client.models import TaxNotice
from tests.cantine.backoffice import grid_for, submitted, with_income
from tests.cantine.grids import PARIS
from tests.factories import DossierFactory, PeriodFactory, UserFactory

pytestmark = pytest.mark.django_db

LISTS = [
    "admin:impot_client_taxdata_changelist",
    "admin:portal_consent_changelist",
    "admin:impot_client_taxnotice_changelist",
    "admin:cantine_dossierstatuschange_changelist",
    "admin:cantine_dossiermessage_changelist",
    "admin:portal_auditentry_changelist",
    "admin:portal_household_changelist",
    "admin:cantine_job_changelist",
]


def queries(client, url) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200, url
    return sum(1 for query in captured if "SAVEPOINT" not in query["sql"])


def families(period, agent, n):
    """n canteen dossiers sent with DGFiP's figures (consent, tax data, history, a message each), a tax notice
    each, an agent's audited look, and one job of each kind."""
    for _n in range(n):
        dossier = submitted(with_income(DossierFactory(period=period, income_declined=False)))
        TaxNotice.objects.create(
            dossier=dossier,
            household=dossier.child.household,
            file="avis/x",
            content_type="application/pdf",
            size=1,
            uploaded_by=dossier.child.household.owner,
        )
        services.dossier_start_review(dossier=dossier, agent=agent)
        DossierStatusChange.objects.create(
            dossier=dossier, from_status="under_review", to_status="under_review"
        )
        services.fiscal_data_view(dossier=dossier, agent=agent)
    for kind in Job.Kind.values:
        Job.objects.create(kind=kind, created_by=agent)


@pytest.fixture
def urls():
    return [reverse(name) for name in LISTS]


def test_admin_lists_do_not_grow_with_rows(client, urls):
    agent = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(agent)
    period = PeriodFactory()
    grid_for(period, PARIS)
    families(period, agent, 2)
    before = [queries(client, url) for url in urls]
    families(period, agent, 6)
    after = [queries(client, url) for url in urls]
    assert dict(zip(LISTS, after, strict=True)) == dict(zip(LISTS, before, strict=True))
    assert max(after) <= 12, dict(zip(LISTS, after, strict=True))
