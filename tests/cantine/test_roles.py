"""Roles: the groups the migration creates, and what each sees — every group against every kind of service, with
and without the fiscal-data permission, on every page and file that shows a dossier or something about one."""

import re
from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from cantine import roles, services
from cantine.income import services as income_services
from cantine.models import Dossier, Service, TariffGrid
from tests.cantine.backoffice import staff, with_grid, with_income
from tests.cantine.income.test_services import PDF
from tests.factories import (
    CrecheServiceFactory,
    DossierFactory,
    HouseholdFactory,
    PeriodFactory,
    UserFactory,
    creche_dossier,
)

pytestmark = pytest.mark.django_db
RFR = 31234  # a figure found nowhere else on the pages: it shows only with the fiscal data


def codenames(group_name):
    group = Group.objects.get(name=group_name)
    return {
        f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")
    }


class TestGroups:
    def test_the_migration_creates_the_three_groups(self):
        names = set(Group.objects.values_list("name", flat=True))
        assert {roles.CANTEEN_AGENTS, roles.CRECHE_AGENTS, roles.MANAGERS} <= names

    @pytest.mark.parametrize("group", [roles.CANTEEN_AGENTS, roles.CRECHE_AGENTS])
    def test_agents_review_dossiers_but_do_not_see_tax_figures_by_default(self, group):
        permissions = codenames(group)
        assert {
            "cantine.view_dossier",
            "cantine.change_dossier",
            "impot_client.view_taxnotice",
            "portal.view_consent",
            "portal.view_child",
        } <= permissions
        assert not permissions & {
            "cantine.view_fiscal_data",
            "cantine.export_dossiers",
            "portal.view_auditentry",
            "cantine.change_tariffgrid",
            "cantine.delete_dossier",
            "impot_client.view_taxdata",
        }

    def test_managers_also_have_grids_exports_the_audit_log_and_tax_figures(self):
        permissions = codenames(roles.MANAGERS)
        assert codenames(roles.CANTEEN_AGENTS) <= permissions
        assert {
            "cantine.view_fiscal_data",
            "cantine.export_dossiers",
            "portal.view_auditentry",
            "cantine.change_tariffgrid",
            "cantine.change_psueffortrate",
            "impot_client.view_taxdata",
        } <= permissions
        assert "portal.change_auditentry" not in permissions


class TestHelpers:
    @pytest.mark.parametrize(
        ("group", "kinds"),
        [
            (roles.CANTEEN_AGENTS, {"canteen"}),
            (roles.CRECHE_AGENTS, {"creche"}),
            (roles.MANAGERS, {"canteen", "creche"}),
        ],
    )
    def test_service_kinds_by_group(self, group, kinds):
        assert roles.service_kinds(staff(group=group)) == kinds

    def test_a_superuser_sees_every_kind_and_a_family_none(self):
        assert roles.service_kinds(UserFactory(is_staff=True, is_superuser=True)) == set(Service.Kind.values)
        assert roles.service_kinds(UserFactory()) == set()

    def test_staff_without_a_group_or_inactive_sees_nothing(self):
        assert roles.service_kinds(UserFactory(is_staff=True)) == set()
        inactive = staff(group=roles.MANAGERS)
        inactive.is_active = False
        assert roles.service_kinds(inactive) == set()

    def test_can_see_service_and_fiscal_data(self):
        agent = staff(group=roles.CANTEEN_AGENTS)
        assert roles.can_see_service(agent, Service(kind="canteen"))
        assert not roles.can_see_service(agent, Service(kind="creche"))
        assert not roles.can_view_fiscal_data(agent)
        assert roles.can_view_fiscal_data(staff("cantine.view_fiscal_data"))
        assert roles.can_view_fiscal_data(staff(group=roles.MANAGERS))


def dossier_of_kind(kind):
    """A dossier sent by its family with DGFiP figures (RFR 31 234 €), a tax notice and a consent."""
    if kind == "canteen":
        dossier = with_grid(DossierFactory(income_declined=False))
    else:
        period = PeriodFactory(service=CrecheServiceFactory())
        dossier = creche_dossier(period=period, start=timezone.localdate() + timedelta(days=7))
    owner = dossier.child.household.owner
    notice = income_services.tax_notice_upload(
        user=owner, dossier=dossier, uploaded=SimpleUploadedFile("avis.pdf", PDF)
    )
    with_income(dossier, rfr=RFR)
    dossier = services.dossier_submit(dossier=dossier, user=owner)
    return dossier, notice


def digits(html):
    """The page's text with the spaces of French number formatting removed."""
    return re.sub(r"[\s\u00a0\u202f]", "", html)


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path


@pytest.mark.parametrize("fiscal", [False, True], ids=["sans-donnees-fiscales", "avec-donnees-fiscales"])
@pytest.mark.parametrize("kind", ["canteen", "creche"])
@pytest.mark.parametrize("group", [roles.CANTEEN_AGENTS, roles.CRECHE_AGENTS, roles.MANAGERS])
def test_visibility_matrix(client, group, kind, fiscal):
    dossier, notice = dossier_of_kind(kind)
    agent = staff(*(["cantine.view_fiscal_data"] if fiscal else []), group=group)
    client.force_login(agent)
    visible = kind in roles.SERVICE_KINDS[group]
    sees_figures = fiscal or group == roles.MANAGERS

    listing = client.get(reverse("admin:cantine_dossier_changelist")).content.decode()
    assert (dossier.reference in listing) is visible
    page = client.get(reverse("admin:cantine_dossier_change", args=[dossier.pk]))
    assert page.status_code == (200 if visible else 302)  # the admin's "no such dossier" redirect
    decide = client.get(reverse("admin:cantine_dossier_decide", args=[dossier.pk]))
    assert decide.status_code == (200 if visible else 404)
    acted = client.post(
        reverse("admin:cantine_dossier_changelist"),
        {"action": "start_review", "_selected_action": [dossier.pk]},
    )
    dossier.refresh_from_db()
    assert (dossier.status == "under_review") is visible, acted

    # A notice is fiscal data: its file and its figures need the fiscal-data permission too (issue 12).
    download = client.get(reverse("impot:notice_file", args=[notice.pk]))
    assert download.status_code == (200 if visible and sees_figures else 404)
    for changelist in ("impot_client_taxnotice", "portal_consent"):
        rows = client.get(reverse(f"admin:{changelist}_changelist")).content.decode()
        assert (dossier.reference in rows) is visible, changelist
    notice_page = client.get(reverse("admin:impot_client_taxnotice_change", args=[notice.pk]))
    assert notice_page.status_code == (200 if visible else 302)
    enter = client.get(reverse("admin:impot_client_taxnotice_enter", args=[notice.pk]))
    assert enter.status_code == ((200 if sees_figures else 403) if visible else 404)
    family = client.get(reverse("admin:portal_child_changelist")).content.decode()
    assert (dossier.child.first_names in family) is visible

    if visible:
        assert (str(RFR) in digits(page.content.decode())) is sees_figures


def test_a_superuser_sees_every_dossier_and_every_family(client, agent):
    canteen, _notice = dossier_of_kind("canteen")
    creche, _notice = dossier_of_kind("creche")
    without_dossier = HouseholdFactory()
    client.force_login(agent)
    listing = client.get(reverse("admin:cantine_dossier_changelist")).content.decode()
    assert canteen.reference in listing and creche.reference in listing
    households = client.get(reverse("admin:portal_household_changelist")).content.decode()
    assert without_dossier.owner.email in households


def test_an_agent_sees_only_the_families_of_their_services(client):
    canteen, _notice = dossier_of_kind("canteen")
    creche, _notice = dossier_of_kind("creche")
    client.force_login(staff(group=roles.CRECHE_AGENTS))
    households = client.get(reverse("admin:portal_household_changelist")).content.decode()
    assert creche.child.household.owner.email in households
    assert canteen.child.household.owner.email not in households
    other = client.get(reverse("admin:portal_household_change", args=[canteen.child.household.pk]))
    assert other.status_code == 302


def test_the_dossier_admin_refuses_another_service_per_object(rf):
    """For views that fetch a dossier themselves, not through the admin's queryset."""
    model_admin = admin.site.get_model_admin(Dossier)
    request = rf.get("/")
    request.user = staff(group=roles.CANTEEN_AGENTS)
    canteen, creche = DossierFactory(), DossierFactory(period=PeriodFactory(service=CrecheServiceFactory()))
    assert model_admin.has_change_permission(request, canteen) and model_admin.has_view_permission(
        request, canteen
    )
    assert not model_admin.has_change_permission(request, creche)
    assert not model_admin.has_view_permission(request, creche)


@pytest.mark.parametrize("group", [roles.CANTEEN_AGENTS, roles.MANAGERS])
def test_only_a_superuser_deletes_a_tariff_grid(client, group):
    grid = TariffGrid.objects.create(
        period=PeriodFactory(), version=1, label="Projet", data={"kind": "brackets"}
    )
    client.force_login(staff(group=group))
    client.post(reverse("admin:cantine_tariffgrid_delete", args=[grid.pk]), {"post": "yes"})
    assert TariffGrid.objects.filter(pk=grid.pk).exists()
