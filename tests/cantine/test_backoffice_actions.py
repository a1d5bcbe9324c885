"""Agents' actions: each one a service that checks, writes the history, the audit row and the family's message in
one transaction; the admin pages that call them; the tariff override."""

from decimal import Decimal
from io import StringIO

import pytest
from django.contrib import admin
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import DatabaseError
from django.urls import reverse

from cantine import services
from cantine.income import services as income_services
from cantine.models import Dossier, DossierMessage, DossierQuote, DossierStatusChange, TariffGrid
from impot_client.models import TaxData
from portal.models import AuditEntry
from tests.cantine.backoffice import AGENT_IP, grid_for, submitted_with_quote, under_review
from tests.cantine.grids import PARIS
from tests.cantine.income.test_services import PDF
from tests.factories import DossierFactory, UserFactory

pytestmark = pytest.mark.django_db
Status = Dossier.Status
Action = AuditEntry.Action


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


# The Paris grid with every price a euro dearer: any recomputation would change the amount billed.
PARIS_DEARER = {
    **PARIS,
    "brackets": [{**bracket, "price": str(Decimal(bracket["price"]) + 1)} for bracket in PARIS["brackets"]],
}


def broken_audit(*args, **kwargs):
    raise DatabaseError("journal d'audit indisponible")


AGENT_ACTIONS = {
    "accept": (lambda d, a: services.dossier_accept(dossier=d, agent=a, ip=AGENT_IP), Status.ACCEPTED),
    "reject": (
        lambda d, a: services.dossier_reject(dossier=d, agent=a, reason="Hors secteur.", ip=AGENT_IP),
        Status.REJECTED,
    ),
    "request_documents": (
        lambda d, a: services.dossier_request_documents(
            dossier=d, agent=a, message="Justificatif de domicile, s'il vous plaît.", ip=AGENT_IP
        ),
        Status.AWAITING_DOCUMENTS,
    ),
}


class TestDecisions:
    @pytest.mark.parametrize("action", AGENT_ACTIONS)
    def test_writes_the_history_and_an_audit_row_with_the_address(self, make_dossier, agent, action):
        act, to_status = AGENT_ACTIONS[action]
        dossier = make_dossier(Status.UNDER_REVIEW)
        act(dossier, agent)
        change = dossier.history.latest("at")
        entry = AuditEntry.objects.get(dossier=dossier, actor=agent)
        assert (change.from_status, change.to_status, change.actor) == (Status.UNDER_REVIEW, to_status, agent)
        assert (entry.action, entry.ip_address) == (Action.DECIDED, AGENT_IP)
        assert entry.detail == {"from_status": Status.UNDER_REVIEW, "to_status": to_status}

    @pytest.mark.parametrize("action", AGENT_ACTIONS)
    def test_nothing_is_kept_when_the_audit_row_cannot_be_written(
        self, make_dossier, agent, action, monkeypatch
    ):
        act, _to_status = AGENT_ACTIONS[action]
        dossier = make_dossier(Status.UNDER_REVIEW)
        history, messages = dossier.history.count(), dossier.messages.count()
        monkeypatch.setattr(services.dossiers, "audit_record", broken_audit)
        with pytest.raises(DatabaseError):
            act(dossier, agent)
        dossier.refresh_from_db()
        assert dossier.status == Status.UNDER_REVIEW
        assert (dossier.history.count(), dossier.messages.count()) == (history, messages)

    def test_starting_the_review_is_audited_too(self, make_dossier, agent):
        dossier = make_dossier(Status.SUBMITTED)
        services.dossier_start_review(dossier=dossier, agent=agent, ip=AGENT_IP)
        assert AuditEntry.objects.filter(dossier=dossier, action=Action.DECIDED, ip_address=AGENT_IP).exists()

    def test_the_familys_own_moves_are_not_in_the_audit_log(self, make_dossier):
        make_dossier(Status.SUBMITTED)
        make_dossier(Status.CANCELLED)
        assert not AuditEntry.objects.exists()

    def test_the_decide_page_records_the_agents_address(self, agent_client, agent, make_dossier):
        dossier = make_dossier(Status.UNDER_REVIEW)
        agent_client.post(
            reverse("admin:cantine_dossier_decide", args=[dossier.pk]),
            {"to_status": Status.REJECTED, "note": "Hors secteur scolaire."},
            REMOTE_ADDR="198.51.100.4",
        )
        entry = AuditEntry.objects.get(dossier=dossier, actor=agent)
        assert (entry.action, entry.ip_address) == (Action.DECIDED, "198.51.100.4")
        assert entry.detail["to_status"] == Status.REJECTED

    def test_bulk_accept_writes_one_history_and_audit_row_per_dossier(
        self, agent_client, agent, make_dossier
    ):
        reviewed = [make_dossier(Status.UNDER_REVIEW) for _ in range(3)]
        draft = make_dossier(Status.DRAFT)
        agent_client.post(
            reverse("admin:cantine_dossier_changelist"),
            {"action": "accept", "_selected_action": [d.pk for d in [*reviewed, draft]]},
            REMOTE_ADDR="198.51.100.4",
        )
        entries = AuditEntry.objects.filter(action=Action.DECIDED, actor=agent)
        assert sorted(entries.values_list("dossier_id", flat=True)) == sorted(d.pk for d in reviewed)
        assert set(entries.values_list("ip_address", flat=True)) == {"198.51.100.4"}
        assert DossierStatusChange.objects.filter(to_status=Status.ACCEPTED, actor=agent).count() == 3
        assert not AuditEntry.objects.filter(dossier=draft).exists()


class TestTaxNoticeFigures:
    @pytest.fixture
    def notice(self, settings, tmp_path):
        settings.PRIVATE_MEDIA_ROOT = tmp_path
        dossier = DossierFactory(income_declined=False)
        return income_services.tax_notice_upload(
            user=dossier.child.household.owner, dossier=dossier, uploaded=SimpleUploadedFile("a.pdf", PDF)
        )

    def test_entering_figures_is_audited_without_the_figures(self, notice, agent):
        income_services.tax_data_enter_from_notice(
            agent=agent, notice=notice, year=2025, rfr=21987, nb_parts=Decimal("3"), ip=AGENT_IP
        )
        entry = AuditEntry.objects.get(dossier=notice.dossier)
        assert (entry.actor, entry.action, entry.ip_address) == (agent, Action.ENTERED_FIGURES, AGENT_IP)
        assert "21987" not in str(entry.detail) and "2025" not in str(entry.detail)
        assert TaxData.objects.get(dossier=notice.dossier).checked_by == agent

    def test_no_figures_are_kept_when_the_audit_row_cannot_be_written(self, notice, agent, monkeypatch):
        monkeypatch.setattr(income_services, "audit_record", broken_audit)
        with pytest.raises(DatabaseError):
            income_services.tax_data_enter_from_notice(
                agent=agent, notice=notice, year=2025, rfr=21987, nb_parts=Decimal("3")
            )
        assert not TaxData.objects.exists()

    def test_the_admin_page_records_the_agents_address(self, agent_client, agent, notice):
        agent_client.post(
            reverse("admin:impot_client_taxnotice_enter", args=[notice.pk]),
            {"year": 2025, "rfr": 21987, "nb_parts": "3"},
            REMOTE_ADDR="198.51.100.4",
        )
        entry = AuditEntry.objects.get(dossier=notice.dossier)
        assert (entry.action, entry.ip_address) == (Action.ENTERED_FIGURES, "198.51.100.4")


class TestRecompute:
    def test_an_agents_recomputation_is_audited(self, agent):
        dossier = submitted_with_quote()
        services.dossier_quote_compute(dossier=dossier, agent=agent, ip=AGENT_IP)
        entry = AuditEntry.objects.get(dossier=dossier)
        assert (entry.actor, entry.action, entry.ip_address) == (agent, Action.RECOMPUTED_TARIFF, AGENT_IP)

    def test_the_computation_at_submission_is_not(self):
        submitted_with_quote()
        assert not AuditEntry.objects.exists()

    def test_the_admin_action_records_the_agents_address(self, agent_client, agent):
        dossier = submitted_with_quote()
        agent_client.post(
            reverse("admin:cantine_dossier_changelist"),
            {"action": "recompute_tariff", "_selected_action": [dossier.pk]},
            REMOTE_ADDR="198.51.100.4",
        )
        assert AuditEntry.objects.get(dossier=dossier).ip_address == "198.51.100.4"

    def test_the_list_offers_each_action_under_its_own_name(self, agent_client):
        submitted_with_quote()
        page = agent_client.get(reverse("admin:cantine_dossier_changelist")).content.decode()
        assert '<option value="recompute_tariff">Recalculer le tarif (grille en vigueur, revenus actuels)</option>' in page
        assert '<option value="refresh_benefits">Actualiser auprès de la CAF ou de la MSA</option>' in page

    def test_staff_who_cannot_change_dossiers_are_offered_no_recomputation(self, rf):
        viewer = UserFactory(is_staff=True)
        viewer.user_permissions.add(Permission.objects.get(codename="view_dossier"))
        request = rf.get(reverse("admin:cantine_dossier_changelist"))
        request.user = viewer
        actions = admin.site._registry[Dossier].get_actions(request)
        assert "recompute_tariff" not in actions and "refresh_benefits" not in actions

    @pytest.mark.parametrize("closing", ["cancel", "reject"])
    def test_a_closed_dossier_is_never_quoted_again_nor_its_family_told(self, agent_client, agent, closing):
        """The bulk admin action, the command and the service apply the same rule: a cancelled or rejected
        dossier keeps the quote it had, no audit row, no « Tarif modifié » message, even when the grid changed."""
        dossier = submitted_with_quote()
        if closing == "cancel":
            services.dossier_cancel(dossier=dossier, user=dossier.child.household.owner)
        else:
            services.dossier_reject(dossier=under_review(dossier, agent), agent=agent, reason="Hors secteur.")
        grid = dossier.quote.grid
        TariffGrid.objects.filter(pk=grid.pk).update(is_active=False)
        grid_for(dossier.period, data=PARIS_DEARER, version=grid.version + 1)
        entries = AuditEntry.objects.count()
        agent_client.post(
            reverse("admin:cantine_dossier_changelist"),
            {"action": "recompute_tariff", "_selected_action": [dossier.pk]},
        )
        call_command("recompute_quotes", period=dossier.period.pk, stdout=StringIO())
        assert services.dossier_quote_compute(dossier=dossier, agent=agent) is None
        assert DossierQuote.objects.get(dossier=dossier).grid == grid
        assert AuditEntry.objects.count() == entries
        assert not dossier.messages.filter(kind=DossierMessage.Kind.TARIFF_CHANGED).exists()


class TestOverride:
    def override(self, dossier, agent, amount="1.00", justification="Situation suivie par le CCAS."):
        return services.dossier_quote_override(
            dossier=dossier, agent=agent, amount=Decimal(amount), justification=justification, ip=AGENT_IP
        )

    def test_bills_the_new_amount_and_keeps_the_computed_one(self, agent):
        dossier = submitted_with_quote()
        quote = self.override(dossier, agent, justification="  Situation suivie par le CCAS.  ")
        quote.refresh_from_db()
        assert (quote.amount, quote.overridden_amount, quote.final_amount) == (
            Decimal("4.61"),
            Decimal("1.00"),
            Decimal("1.00"),
        )
        assert (quote.override_justification, quote.overridden_by) == ("Situation suivie par le CCAS.", agent)
        assert quote.overridden_at is not None

    def test_is_audited_and_told_to_the_family_with_its_justification(self, agent):
        dossier = submitted_with_quote()
        self.override(dossier, agent)
        entry = AuditEntry.objects.get(dossier=dossier)
        assert (entry.actor, entry.action, entry.ip_address) == (agent, Action.OVERRODE_TARIFF, AGENT_IP)
        assert "1.00" not in str(entry.detail) and "CCAS" not in str(entry.detail)
        message = dossier.messages.get(kind=DossierMessage.Kind.TARIFF_CHANGED)
        assert "1,00\xa0€ par repas" in message.body and "Situation suivie par le CCAS." in message.body

    @pytest.mark.parametrize(
        ("amount", "justification", "field"),
        [("1.00", "", "justification"), ("1.00", "   \n", "justification"), ("-0.01", "Motif.", "amount")],
    )
    def test_refuses_a_missing_justification_or_a_negative_amount(self, agent, amount, justification, field):
        dossier = submitted_with_quote()
        with pytest.raises(ValidationError) as error:
            self.override(dossier, agent, amount=amount, justification=justification)
        assert list(error.value.message_dict) == [field]
        assert DossierQuote.objects.get(dossier=dossier).overridden_amount is None
        assert not AuditEntry.objects.exists()

    def test_a_zero_tariff_is_an_amount_like_any_other(self, agent):
        assert self.override(submitted_with_quote(), agent, amount="0").final_amount == Decimal("0")

    def test_needs_a_computed_tariff(self, agent, make_dossier):
        dossier = make_dossier(Status.SUBMITTED)  # no grid in force: no quote
        with pytest.raises(ValidationError, match="pas encore de tarif calculé"):
            self.override(dossier, agent)

    def test_refuses_a_closed_dossier(self, agent):
        dossier = under_review(submitted_with_quote())
        services.dossier_reject(dossier=dossier, agent=agent, reason="Hors secteur.")
        with pytest.raises(ValidationError, match="ne se modifie plus"):
            self.override(dossier, agent)

    def test_nothing_is_kept_when_the_audit_row_cannot_be_written(self, agent, monkeypatch):
        dossier = submitted_with_quote()
        monkeypatch.setattr(services.quotes, "audit_record", broken_audit)
        with pytest.raises(DatabaseError):
            self.override(dossier, agent)
        assert DossierQuote.objects.get(dossier=dossier).overridden_amount is None
        assert not dossier.messages.filter(kind=DossierMessage.Kind.TARIFF_CHANGED).exists()

    def test_survives_a_recomputation(self, agent):
        dossier = submitted_with_quote()
        self.override(dossier, agent)
        quote = services.dossier_quote_compute(dossier=dossier, agent=agent)
        assert (quote.amount, quote.final_amount) == (Decimal("4.61"), Decimal("1.00"))

    def test_the_family_page_shows_the_override_then_the_computed_tariff(self, client, agent):
        dossier = submitted_with_quote()
        self.override(dossier, agent)
        client.force_login(dossier.child.household.owner)
        page = client.get(reverse("cantine:dossier_detail", args=[dossier.pk])).content.decode()
        assert "<strong>1,00\xa0€ par repas</strong>" in page
        assert "Motif : Situation suivie par le CCAS." in page
        assert page.index("Situation suivie par le CCAS.") < page.index("4,61\xa0€ par repas")


class TestOverridePage:
    def test_is_linked_from_the_dossier_and_offers_the_billed_amount(self, agent_client):
        dossier = submitted_with_quote()
        url = reverse("admin:cantine_dossier_override", args=[dossier.pk])
        assert (
            url
            in agent_client.get(reverse("admin:cantine_dossier_change", args=[dossier.pk])).content.decode()
        )
        page = agent_client.get(url).content.decode()
        assert 'value="4.61"' in page and "Justification" in page

    def test_records_the_override_with_the_agents_address(self, agent_client, agent):
        dossier = submitted_with_quote()
        response = agent_client.post(
            reverse("admin:cantine_dossier_override", args=[dossier.pk]),
            {"amount": "2.00", "justification": "Décision du maire."},
            REMOTE_ADDR="198.51.100.4",
        )
        assert response.status_code == 302
        assert DossierQuote.objects.get(dossier=dossier).final_amount == Decimal("2.00")
        entry = AuditEntry.objects.get(dossier=dossier)
        assert (entry.actor, entry.action, entry.ip_address) == (
            agent,
            Action.OVERRODE_TARIFF,
            "198.51.100.4",
        )
        page = agent_client.get(reverse("admin:cantine_dossier_change", args=[dossier.pk])).content.decode()
        assert "2,00\xa0€ par repas" in page and "Décision du maire." in page and "4,61\xa0€ par repas" in page

    def test_shows_the_services_refusal_and_changes_nothing(self, agent_client):
        dossier = submitted_with_quote()
        response = agent_client.post(
            reverse("admin:cantine_dossier_override", args=[dossier.pk]),
            {"amount": "-2", "justification": "Décision du maire."},
        )
        assert response.status_code == 200
        assert "Indiquez un tarif positif ou nul" in response.content.decode()
        assert DossierQuote.objects.get(dossier=dossier).overridden_amount is None

    def test_is_refused_to_staff_who_cannot_change_dossiers(self, client):
        dossier = submitted_with_quote()
        viewer = UserFactory(is_staff=True)
        viewer.user_permissions.add(Permission.objects.get(codename="view_dossier"))
        client.force_login(viewer)
        response = client.post(
            reverse("admin:cantine_dossier_override", args=[dossier.pk]),
            {"amount": "0", "justification": "Gratuit."},
        )
        assert response.status_code in (403, 404)
        assert DossierQuote.objects.get(dossier=dossier).overridden_amount is None


def test_a_dossier_without_grid_has_no_override_link(agent_client, make_dossier):
    dossier = make_dossier(Status.SUBMITTED)
    page = agent_client.get(reverse("admin:cantine_dossier_change", args=[dossier.pk])).content.decode()
    assert reverse("admin:cantine_dossier_override", args=[dossier.pk]) not in page
