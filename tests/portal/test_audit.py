"""The audit log: a look at a household's tax figures writes a row with the address, agents without the permission
see the tariff and its source but no amount, and nobody changes or deletes a row, through the model or the admin."""

import pytest
from django.urls import reverse

from cantine import roles, services
from cantine.models import Dossier
from impot_client.models import TaxData
from portal.models import AuditEntry
from tests.cantine.backoffice import staff, under_review, with_grid, with_income
from tests.factories import DossierFactory

pytestmark = pytest.mark.django_db
Action = AuditEntry.Action
# RFR 28 000 and QF 933,33 however a page might write them.
AMOUNTS = ["28000", "28 000", "28\xa0000", "933,33", "933.33"]


def income_dossier():
    """Sent with figures from DGFiP and the Paris grid: quoted 2,28 € a meal from QF 933,33."""
    dossier = with_grid(with_income(DossierFactory(income_declined=False)))
    return services.dossier_submit(dossier=dossier, user=dossier.child.household.owner)


def dossier_page(client, dossier, **extra):
    return client.get(reverse("admin:cantine_dossier_change", args=[dossier.pk]), **extra).content.decode()


class TestDossierPage:
    def test_with_the_permission_shows_the_figures_and_writes_a_row(self, client):
        dossier = income_dossier()
        agent = staff("cantine.view_fiscal_data")
        client.force_login(agent)
        page = dossier_page(client, dossier, REMOTE_ADDR="198.51.100.4")
        assert "28\xa0000\xa0€" in page and "933,33" in page and "DGFiP, via FranceConnect" in page
        entry = AuditEntry.objects.get()
        assert (entry.actor, entry.action, entry.dossier, entry.ip_address) == (
            agent,
            Action.VIEWED_FISCAL_DATA,
            dossier,
            "198.51.100.4",
        )
        assert entry.detail == {}

    def test_every_look_is_a_row(self, client):
        dossier = income_dossier()
        client.force_login(staff("cantine.view_fiscal_data"))
        dossier_page(client, dossier)
        dossier_page(client, dossier)
        assert AuditEntry.objects.filter(action=Action.VIEWED_FISCAL_DATA).count() == 2

    def test_without_it_shows_the_tariff_and_its_source_but_no_amount_and_writes_nothing(self, client):
        dossier = income_dossier()
        client.force_login(staff())
        page = dossier_page(client, dossier)
        assert "2,28\xa0€ par repas" in page and "transmis par la DGFiP" in page
        assert not [amount for amount in AMOUNTS if amount in page]
        assert not AuditEntry.objects.exists()

    def test_nothing_to_see_writes_nothing(self, client, make_dossier):
        client.force_login(staff("cantine.view_fiscal_data"))
        dossier_page(client, make_dossier())  # a draft: no tax data, no tariff
        assert not AuditEntry.objects.exists()

    def test_the_service_refuses_staff_without_the_permission(self):
        dossier = income_dossier()
        assert services.fiscal_data_view(dossier=dossier, agent=staff(), ip="198.51.100.4") is None
        seen = services.fiscal_data_view(dossier=dossier, agent=staff("cantine.view_fiscal_data"))
        assert (seen.tax_data.rfr, str(seen.qf)) == (28000, "933.33")


class TestTaxDataAdmin:
    def test_a_record_with_the_permission_shows_the_amounts_and_writes_a_row(self, client):
        dossier = income_dossier()
        agent = staff("impot_client.view_taxdata", "cantine.view_fiscal_data")
        client.force_login(agent)
        url = reverse("admin:impot_client_taxdata_change", args=[TaxData.objects.get(dossier=dossier).pk])
        page = client.get(url, REMOTE_ADDR="198.51.100.4").content.decode()
        assert "28\xa0000" in page
        entry = AuditEntry.objects.get()
        assert (entry.actor, entry.action, entry.dossier, entry.ip_address) == (
            agent,
            Action.VIEWED_FISCAL_DATA,
            dossier,
            "198.51.100.4",
        )

    def test_a_record_without_it_shows_no_amount_and_writes_nothing(self, client):
        dossier = income_dossier()
        client.force_login(staff("impot_client.view_taxdata"))
        url = reverse("admin:impot_client_taxdata_change", args=[TaxData.objects.get(dossier=dossier).pk])
        page = client.get(url).content.decode()
        assert "DGFiP, via FranceConnect" in page
        assert not [amount for amount in AMOUNTS if amount in page]
        assert not AuditEntry.objects.exists()

    def test_the_list_never_shows_amounts(self, client):
        income_dossier()
        client.force_login(staff("impot_client.view_taxdata", "cantine.view_fiscal_data"))
        page = client.get(reverse("admin:impot_client_taxdata_changelist")).content.decode()
        assert "DGFiP, via FranceConnect" in page
        assert not [amount for amount in AMOUNTS if amount in page]


class TestAppendOnly:
    @pytest.fixture
    def entry(self, agent, make_dossier):
        dossier = make_dossier(Dossier.Status.UNDER_REVIEW)
        return AuditEntry.objects.filter(dossier=dossier).latest("at")

    def test_the_model_refuses_changes_and_deletions(self, entry):
        entry.ip_address = "192.0.2.1"
        with pytest.raises(ValueError, match="ne se modifie pas"):
            entry.save()
        with pytest.raises(ValueError, match="ne s'efface pas"):
            entry.delete()
        with pytest.raises(ValueError, match="ne se modifie pas"):
            AuditEntry.objects.filter(pk=entry.pk).update(ip_address="192.0.2.1")
        with pytest.raises(ValueError, match="ne s'efface pas"):
            AuditEntry.objects.filter(pk=entry.pk).delete()
        assert AuditEntry.objects.get(pk=entry.pk).ip_address is None

    def test_the_admin_refuses_them_even_to_a_superuser(self, client, agent, entry):
        client.force_login(agent)
        change = reverse("admin:portal_auditentry_change", args=[entry.pk])
        assert client.get(reverse("admin:portal_auditentry_add")).status_code == 403
        assert client.post(change, {"action": Action.EXPORTED, "actor": agent.pk}).status_code == 403
        assert client.get(reverse("admin:portal_auditentry_delete", args=[entry.pk])).status_code == 403
        listing = client.get(reverse("admin:portal_auditentry_changelist")).content.decode()
        assert "delete_selected" not in listing
        assert AuditEntry.objects.get(pk=entry.pk).action == Action.DECIDED


class TestAuditAdmin:
    def test_is_read_by_managers_not_by_agents(self, client, make_dossier):
        make_dossier(Dossier.Status.UNDER_REVIEW)
        url = reverse("admin:portal_auditentry_changelist")
        client.force_login(staff())
        assert client.get(url).status_code == 403
        client.force_login(staff(group=roles.MANAGERS))
        assert client.get(url).status_code == 200

    def test_filters_by_action_and_finds_a_dossier_by_its_reference(self, client, agent, make_dossier):
        first, second = make_dossier(Dossier.Status.UNDER_REVIEW), under_review(income_dossier())
        client.force_login(agent)
        dossier_page(client, second)  # a look at its fiscal data
        url = reverse("admin:portal_auditentry_changelist")
        page = client.get(url, {"action__exact": Action.VIEWED_FISCAL_DATA}).content.decode()
        assert second.reference in page and first.reference not in page
        page = client.get(url, {"q": first.reference}).content.decode()
        assert first.reference in page and second.reference not in page
        page = client.get(url, {"q": str(second.pk)}).content.decode()
        assert second.reference in page and first.reference not in page
