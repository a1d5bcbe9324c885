"""The dossier list agents work from (columns, filters, search, order, cost) and the dossier page they read."""

from datetime import date, timedelta

import pytest
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cantine import roles
from cantine.income import services as income_services
from cantine.models import Dossier
from franceconnect.models import FranceConnectIdentity
from impot_client import services as impot_services
from portal.models import Adult
from tests.cantine.backoffice import grid_for, staff, submitted, with_grid, with_income
from tests.cantine.income.test_services import PDF
from tests.factories import ChildFactory, DossierFactory, PeriodFactory
from tests.impot_client.conftest import grant, situation_for

pytestmark = pytest.mark.django_db
Status = Dossier.Status
LIST = reverse("admin:cantine_dossier_changelist")


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


@pytest.fixture(autouse=True)
def private_media(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path


def sent_days_ago(dossier, days):
    Dossier.objects.filter(pk=dossier.pk).update(submitted_at=timezone.now() - timedelta(days=days))
    return dossier


def with_notice(dossier):
    income_services.tax_notice_upload(
        user=dossier.child.household.owner, dossier=dossier, uploaded=SimpleUploadedFile("avis.pdf", PDF)
    )
    return dossier


def with_mismatch(dossier):
    """DGFiP figures, asked by numéro fiscal, whose declarants are not the household's."""
    stranger = Adult(first_names="Paul", last_name="Inconnu", birth_date=date(1970, 1, 1))
    impot_services._tax_data_store(
        consent=grant(dossier), situation=situation_for(stranger), numero_fiscal="3999990000074"
    )
    return dossier


def result_table(client, **params):
    """The list's table alone, without the filters beside it."""
    page = client.get(LIST, params).content.decode()
    start = page.index('id="result_list"')
    return page[start : page.index("</table>", start)]


def client_rows(client, **params):
    return client.get(LIST, params).context["cl"].result_list


def references(client, **params):
    """The dossier references the list shows, in its order."""
    return [dossier.reference for dossier in client_rows(client, **params)]


class TestList:
    def test_columns(self, agent_client):
        quoted = submitted(with_income(with_grid(DossierFactory(income_declined=False)), rfr=31234))
        draft = DossierFactory(child=ChildFactory(first_names="Inès"))
        page = result_table(agent_client)
        holder = quoted.child.household.adults.get(role="holder")
        for text in (
            str(holder),
            str(quoted.child),
            quoted.service.name,
            quoted.period.label,
            quoted.establishment.name,
            "Envoyée",
            "3,62\xa0€ par repas",  # Paris grid, QF 1041,13
            "aujourd&#x27;hui",
            draft.reference,
            "Brouillon",
        ):
            assert text in page, text

    def test_flags_and_their_filter(self, agent_client, make_dossier):
        mismatch = submitted(with_mismatch(DossierFactory(income_declined=False)))
        notice = submitted(with_notice(DossierFactory()))
        waiting = make_dossier(Status.AWAITING_DOCUMENTS)
        quiet = submitted(DossierFactory())
        table = result_table(agent_client)
        for label in ("identité à vérifier", "avis d&#x27;imposition à vérifier", "en attente de la famille"):
            assert table.count(label) == 1, label
        assert references(agent_client, signalement="identite") == [mismatch.reference]
        assert references(agent_client, signalement="avis") == [notice.reference]
        assert references(agent_client, signalement="famille") == [waiting.reference]
        assert quiet.reference in references(agent_client)

    def test_a_checked_notice_is_no_longer_flagged(self, agent_client, agent):
        dossier = submitted(with_notice(DossierFactory()))
        income_services.tax_data_enter_from_notice(
            agent=agent, notice=dossier.tax_notices.get(), year=2025, rfr=20000, nb_parts=2
        )
        assert references(agent_client, signalement="avis") == []

    def test_tariff_filter(self, agent_client):
        period = PeriodFactory()
        on_income = submitted(with_income(with_grid(DossierFactory(period=period, income_declined=False))))
        declined = submitted(DossierFactory(period=period))
        unquoted = submitted(DossierFactory())  # its period has no grid
        assert references(agent_client, tarif="revenus") == [on_income.reference]
        assert references(agent_client, tarif="plus-eleve") == [declined.reference]
        assert references(agent_client, tarif="aucun") == [unquoted.reference]
        assert '<td class="field-tariff_column">—</td>' in result_table(agent_client, tarif="aucun")

    def test_age_filter(self, agent_client):
        fresh = sent_days_ago(submitted(DossierFactory()), 2)
        week_old = sent_days_ago(submitted(DossierFactory()), 10)
        old = sent_days_ago(submitted(DossierFactory()), 45)
        assert references(agent_client, anciennete="moins-7") == [fresh.reference]
        assert references(agent_client, anciennete="7-30") == [week_old.reference]
        assert references(agent_client, anciennete="plus-30") == [old.reference]
        assert "45 jours" in result_table(agent_client)

    def test_status_service_period_and_establishment_filters(self, agent_client):
        sent = submitted(DossierFactory())
        draft = DossierFactory()
        assert references(agent_client, status__exact="submitted") == [sent.reference]
        assert references(agent_client, service__id__exact=draft.service_id) == [draft.reference]
        assert references(agent_client, period__id__exact=sent.period_id) == [sent.reference]
        assert references(agent_client, establishment__id__exact=draft.establishment_id) == [draft.reference]

    @pytest.mark.parametrize("term", ["Zoé", "Berthier", "berthier", "Sandrine"])
    def test_search_by_child_or_family_name(self, agent_client, term):
        found = DossierFactory(child=ChildFactory(first_names="Zoé", last_name="Berthier"))
        holder = found.child.household.adults.get(role="holder")
        holder.first_names = "Sandrine"
        holder.save()
        other = DossierFactory()
        shown = references(agent_client, q=term)
        assert found.reference in shown and other.reference not in shown

    def test_a_household_without_a_holder_is_named_by_its_accounts_email(self, agent_client):
        named = DossierFactory()
        holder = named.child.household.adults.get(role="holder")
        orphan = DossierFactory()
        orphan.child.household.adults.filter(role="holder").delete()
        rows = {row.pk: row.family_name for row in client_rows(agent_client)}
        assert rows[named.pk] == f"{holder.first_names} {holder.last_name}"
        assert rows[orphan.pk] == orphan.child.household.owner.email

    def test_oldest_request_first_drafts_last(self, agent_client):
        draft = DossierFactory()
        recent = sent_days_ago(submitted(DossierFactory()), 1)
        oldest = sent_days_ago(submitted(DossierFactory()), 20)
        middle = sent_days_ago(submitted(DossierFactory()), 5)
        assert references(agent_client) == [
            oldest.reference,
            middle.reference,
            recent.reference,
            draft.reference,
        ]

    def test_pages_follow_the_lists_order_each_dossier_once_with_its_columns(self, agent_client, monkeypatch):
        """A page is found by its keys, then read with its columns (paginators.EstimatedCountPaginator.page)."""
        monkeypatch.setattr(admin.site._registry[Dossier], "list_per_page", 2)
        sent = [sent_days_ago(submitted(DossierFactory()), days) for days in (9, 3, 7, 1)]
        draft = DossierFactory()
        in_order = [sent[index].reference for index in (0, 2, 1, 3)]  # oldest request first
        pages = [client_rows(agent_client, p=number) for number in (1, 2, 3)]
        assert [[row.reference for row in rows] for rows in pages] == [
            in_order[:2],
            in_order[2:],
            [draft.reference],
        ]
        holder = draft.child.household.adults.get(role="holder")
        assert pages[2][0].family_name == f"{holder.first_names} {holder.last_name}"
        with CaptureQueriesContext(connection) as queries:
            assert agent_client.get(LIST, {"p": 2}).context["cl"].result_count == 5
        # The count and the page's keys read the dossiers alone: the columns are subqueries, no join to every row.
        counts = [query["sql"] for query in queries.captured_queries if query["sql"].startswith("SELECT COUNT(*)")]
        assert counts and not any("JOIN" in sql for sql in counts)

    @pytest.mark.parametrize("column", ["1", "2", "5", "8", "-8", "10"])  # reference, family, period, tariff, age
    def test_pages_sorted_on_any_column_show_each_dossier_once(self, agent_client, monkeypatch, column):
        monkeypatch.setattr(admin.site._registry[Dossier], "list_per_page", 2)
        dossiers = [sent_days_ago(submitted(DossierFactory()), days) for days in (4, 2, 6)] + [DossierFactory()]
        shown = [row.pk for number in (1, 2) for row in client_rows(agent_client, o=column, p=number)]
        assert sorted(shown) == sorted(dossier.pk for dossier in dossiers)

    def test_twenty_dossiers_cost_a_few_queries_the_same_as_two(self, client, django_assert_max_num_queries):
        client.force_login(staff(group=roles.MANAGERS))
        period = PeriodFactory()
        grid_for(period)

        def add(count):
            for number in range(count):
                dossier = with_income(DossierFactory(period=period, income_declined=False))
                submitted(with_notice(dossier) if number % 2 else dossier)

        add(2)
        with CaptureQueriesContext(connection) as two:
            client.get(LIST)
        add(18)
        # Session, user, groups, permissions, counts, the page's rows, the filters' choices: nothing per row.
        with django_assert_max_num_queries(min(len(two.captured_queries), 14)):
            response = client.get(LIST)
        assert len(response.context["cl"].result_list) == 20


def page_of(client, dossier):
    return client.get(reverse("admin:cantine_dossier_change", args=[dossier.pk])).content.decode()


class TestPage:
    def test_a_franceconnect_identity_is_marked_certified(self, agent_client):
        dossier = submitted(DossierFactory())
        FranceConnectIdentity.objects.create(
            user=dossier.child.household.owner,
            sub="sub-claire",
            given_name="Claire Marie",
            family_name="DUPONT",
            preferred_username="MARTIN",
            birthdate="1988-04-12",
            acr="eidas1",
            last_login_at=timezone.now(),
        )
        page = page_of(agent_client, dossier)
        assert "Claire Marie DUPONT (MARTIN)" in page and "12/04/1988" in page
        assert "✔ identité certifiée FranceConnect" in page

    def test_a_typed_identity_is_said_not_certified(self, agent_client):
        page = page_of(agent_client, submitted(DossierFactory()))
        assert "identité déclarée par la famille, non certifiée" in page
        assert "certifiée FranceConnect" not in page

    def test_the_household_children_and_the_dossier_details(self, agent_client):
        dossier = submitted(DossierFactory(child=ChildFactory(first_names="Léa")))
        ChildFactory(household=dossier.child.household, first_names="Hugo", has_pai=True)
        page = page_of(agent_client, dossier)
        assert "Léa Martin : né(e) le" in page and "enfant de cette demande" in page
        assert "Hugo Martin : né(e) le" in page and "PAI" in page
        assert "Lundi, Mardi, Jeudi, Vendredi" in page
        assert dossier.period.label in page and dossier.establishment.name in page

    def test_the_consent_record_with_a_withdrawn_answer(self, agent_client):
        dossier = DossierFactory(income_declined=False)
        first = grant(dossier)
        income_services.consent_withdraw(user=dossier.child.household.owner, consent=first)
        with_income(dossier)
        page = page_of(agent_client, dossier)
        assert "Autorisé</strong> — Par numéro fiscal" in page and "retiré le" in page
        assert "Autorisé</strong> — Via FranceConnect" in page and "en cours" in page
        assert "revenu fiscal de référence (€), nombre de parts" in page

    def test_the_tariff_and_its_basis_without_the_figures(self, client):
        dossier = submitted(with_income(with_grid(DossierFactory(income_declined=False)), rfr=31234))
        client.force_login(staff(group=roles.CANTEEN_AGENTS))
        page = page_of(client, dossier)
        assert "3,62\xa0€" in page and "3.62" not in page
        assert "revenus transmis par la DGFiP ; tranche 5 de la grille" in page
        assert "31234" not in page and "1041" not in page

    def test_the_history_and_no_save_button(self, agent_client, make_dossier):
        dossier = make_dossier(Status.UNDER_REVIEW)
        page = page_of(agent_client, dossier)
        assert "En cours d&#x27;instruction" in page
        assert 'name="_save"' not in page and 'name="_continue"' not in page

    def test_a_creche_dossier_shows_its_schedule(self, agent_client):
        dossier = DossierFactory(
            canteen_days=[], creche_start_date=date(2030, 9, 2), creche_schedule={"mon": ["08:30", "17:30"]}
        )
        page = page_of(agent_client, dossier)
        assert "Jours de repas" in page  # a canteen service: its days, not a schedule
        Dossier.objects.filter(pk=dossier.pk).update(service=PeriodFactory(service__kind="creche").service)
        page = page_of(agent_client, dossier)
        assert "Lundi : 08:30 – 17:30" in page and "Jours de repas" not in page


def test_the_rows_checkbox_is_djangos_markup_written_without_its_widget_template(agent_client):
    """portal.sites.FrenchAdminMixin.action_checkbox: what Django's checkbox widget renders, in French."""
    dossier = submitted(DossierFactory(child__first_names="Zoé <b>"))
    model_admin = admin.site._registry[Dossier]
    ours = model_admin.action_checkbox(dossier)
    assert ours == admin.ModelAdmin.action_checkbox(model_admin, dossier)
    assert "Choisir cet objet pour une action" in ours and "&lt;b&gt;" in ours and "<b>" not in ours
    page = agent_client.get(reverse("admin:cantine_dossier_changelist")).content.decode()
    assert ours in page
