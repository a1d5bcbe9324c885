"""Numéro-fiscal mode cannot read another household (issue 11).

Measured before: family B typed family A's holder as its second parent, then A's numéro fiscal; B's pages showed
A's RFR and parts, and B was billed on them. A local account proves no identity: what a number brings is never
shown to it, waits for an agent's confirmation before it sets the tariff, is matched again when the adults change,
and lookups are limited per account and per dossier."""

# ruff: noqa: F811 - the `dgfip` fixture, imported from test_views, is every test's argument

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.urls import reverse
from django.utils.html import escape

from cantine.income import services as income_services
from cantine.income.selectors import income_status
from cantine.models import Dossier, DossierMessage
from cantine.roles import CRECHE_AGENTS
from impot_client import services
from impot_client.models import TaxData
from impot_client.situation import InvalidTaxNumber, NoDeclaration
from portal import services as portal_services
from portal.models import Adult, AuditEntry, Consent
from tests.cantine.backoffice import AGENT_IP, submitted, with_grid, with_income
from tests.cantine.income.test_views import dgfip, shown  # noqa: F401 - `dgfip` is a fixture
from tests.factories import DossierFactory, HouseholdFactory, UserFactory
from tests.impot_client.conftest import grant, situation_for

A_NUMBER = "3999990000025"


@pytest.fixture
def family_a(db):
    """Household A: the holder whose number B types."""
    household = HouseholdFactory(holder__first_names="Alice", holder__last_name="Arnaud")
    holder = household.adults.get()
    holder.birth_date = date(1980, 5, 17)
    holder.save()
    return holder


@pytest.fixture
def attack(household, holder, family_a):
    """Family B (`household`) types A's holder as its second parent: the declarants then match."""
    portal_services.adult_save(
        household=household,
        role=Adult.Role.SECOND_PARENT,
        first_names=family_a.first_names,
        last_name=family_a.last_name,
        birth_date=family_a.birth_date,
    )
    return situation_for(family_a, rfr=91300, nb_parts="1")


def authorise(client, dossier, number=A_NUMBER, **extra):
    return client.post(
        reverse("impot:authorize", args=[dossier.pk]),
        {"shown": shown(client, dossier), "numero_fiscal": number},
        **extra,
    )


def stored(dossier, situation, number=A_NUMBER):
    return services._tax_data_store(consent=grant(dossier), situation=situation, numero_fiscal=number)


class TestFiguresStayHidden:
    def test_the_measured_attack_shows_and_bills_nothing(self, family_client, dossier, attack, dgfip):
        with_grid(dossier)
        dgfip.answer = attack
        review = authorise(family_client, dossier, follow=True).content.decode()
        submitted(dossier)
        detail = family_client.get(reverse("cantine:dossier_detail", args=[dossier.pk])).content.decode()
        for page in (review, detail):
            assert "91300" not in page and "91 300" not in page and "7 608,33" not in page
            assert "en attente de vérification par un agent" in page
        assert "Tarif provisoire : un agent de la commune vérifie vos revenus" in detail
        assert "envoyer votre demande" not in detail  # it is sent already
        quote = Dossier.objects.get(pk=dossier.pk).quote
        assert quote.income_source == "none" and quote.amount == Decimal(
            "4.61"
        )  # the highest, not A's bracket

    def test_matching_figures_wait_for_an_agent_yet_the_dossier_can_be_sent(self, dossier, holder):
        stored(dossier, situation_for(holder))
        income = income_status(dossier)
        assert (income.state, income.settled, income.needs_agent) == ("to_confirm", True, True)
        assert income.label == "revenus reçus, en attente de vérification par un agent"
        assert not income.tax_data.usable_for_tariff and not income.family_sees_figures

    def test_the_commune_may_let_a_match_set_the_tariff_but_the_figures_stay_hidden(
        self, settings, family_client, dossier, holder, dgfip
    ):
        settings.IMPOT_NUMERO_FISCAL_NEEDS_AGENT = False
        with_grid(dossier)
        dgfip.answer = situation_for(holder)
        page = authorise(family_client, dossier, follow=True).content.decode()
        assert "votre tarif sera calculé avec eux" in page and "38500" not in page
        assert income_status(dossier).state == "obtained"
        submitted(dossier)
        detail = family_client.get(reverse("cantine:dossier_detail", args=[dossier.pk])).content.decode()
        assert Dossier.objects.get(pk=dossier.pk).quote.income_source == "dgfip"
        assert "1283,33" not in detail and "1 283,33" not in detail and "38500" not in detail
        assert "il n'est pas affiché sur le portail" in detail

    def test_a_mismatch_still_waits_when_the_commune_skips_the_check(self, settings, dossier, stranger):
        settings.IMPOT_NUMERO_FISCAL_NEEDS_AGENT = False
        stored(dossier, situation_for(stranger))
        assert income_status(dossier).state == "mismatch" and income_status(dossier).needs_agent

    def test_franceconnect_figures_are_shown_and_used_as_before(self, family_client, dossier, holder):
        with_income(dossier)
        income = income_status(dossier)
        assert (income.state, income.family_sees_figures) == ("obtained", True)
        page = family_client.get(reverse("cantine:dossier_review", args=[dossier.pk])).content.decode()
        assert "28\xa0000&nbsp;€" in page


@pytest.fixture
def agent_client(client, agent):
    client.force_login(agent)
    return client


def confirm_url(dossier):
    return reverse("admin:cantine_dossier_confirm_declarants", args=[dossier.pk])


class TestAgentConfirms:
    def test_from_the_dossier_page_audited_then_the_tariff_uses_the_figures_and_the_family_is_told(
        self, agent_client, agent, dossier, holder
    ):
        with_grid(dossier)
        stored(dossier, situation_for(holder, rfr=28000))
        submitted(dossier)
        page = agent_client.get(reverse("admin:cantine_dossier_change", args=[dossier.pk])).content.decode()
        assert "en attente de vérification par un agent" in page and confirm_url(dossier) in page
        refused = agent_client.post(confirm_url(dossier), {"checked": ""}, REMOTE_ADDR=AGENT_IP)
        assert refused.status_code == 200 and "Cochez la case" in refused.content.decode()
        assert not AuditEntry.objects.filter(action=AuditEntry.Action.CONFIRMED_DECLARANTS).exists()

        response = agent_client.post(confirm_url(dossier), {"checked": "on"}, REMOTE_ADDR=AGENT_IP)
        assert response.status_code == 302
        tax_data = TaxData.objects.get()
        assert tax_data.confirmed_by == agent and tax_data.confirmed_at is not None
        entry = AuditEntry.objects.get(action=AuditEntry.Action.CONFIRMED_DECLARANTS)
        assert (entry.actor, entry.dossier_id, entry.ip_address) == (agent, dossier.pk, AGENT_IP)
        quote = Dossier.objects.get(pk=dossier.pk).quote
        assert (quote.income_source, quote.amount) == ("dgfip", Decimal("2.28"))
        assert dossier.messages.filter(kind=DossierMessage.Kind.TARIFF_CHANGED).exists()
        assert income_status(dossier).state == "obtained"
        page = agent_client.get(reverse("admin:cantine_dossier_change", args=[dossier.pk])).content.decode()
        assert f"déclarants confirmés par {agent}" in page

    def test_an_agent_of_another_service_cannot_confirm(self, client, dossier, holder):
        stored(dossier, situation_for(holder))
        submitted(dossier)
        creche_agent = UserFactory(is_staff=True)
        creche_agent.groups.add(Group.objects.get(name=CRECHE_AGENTS))
        client.force_login(creche_agent)
        response = client.post(confirm_url(dossier), {"checked": "on"}, REMOTE_ADDR=AGENT_IP)
        assert response.status_code == 404
        assert TaxData.objects.get().confirmed_at is None
        assert not AuditEntry.objects.filter(action=AuditEntry.Action.CONFIRMED_DECLARANTS).exists()

    def test_a_mismatch_is_shown_as_such_and_may_be_confirmed_after_checking(self, agent, dossier, stranger):
        tax_data = stored(dossier, situation_for(stranger))
        assert income_status(dossier).label == "déclarants différents du foyer : à vérifier"
        income_services.tax_data_confirm(agent=agent, tax_data=tax_data, ip=AGENT_IP)
        tax_data.refresh_from_db()
        assert tax_data.identity_mismatch and tax_data.usable_for_tariff  # the flag stays on record
        assert income_status(dossier).state == "obtained"

    def test_the_list_flags_what_waits_for_an_agent(self, agent_client, dossier, holder):
        stored(dossier, situation_for(holder))
        listing = agent_client.get(reverse("admin:cantine_dossier_changelist"), {"signalement": "identite"})
        assert dossier.reference in listing.content.decode()

    def test_figures_from_franceconnect_need_no_confirmation(self, agent, dossier):
        with_income(dossier)
        with pytest.raises(services.ValidationError):
            income_services.tax_data_confirm(agent=agent, tax_data=TaxData.objects.get(), ip=AGENT_IP)


class TestAdultsEditedAfterTheLookup:
    def test_adding_the_other_households_holder_afterwards_still_needs_an_agent(
        self, settings, household, dossier, holder, family_a
    ):
        settings.IMPOT_NUMERO_FISCAL_NEEDS_AGENT = False
        stored(dossier, situation_for(family_a))
        assert income_status(dossier).state == "mismatch"
        settings.IMPOT_NUMERO_FISCAL_NEEDS_AGENT = True
        portal_services.adult_save(
            household=household,
            role=Adult.Role.SECOND_PARENT,
            first_names="Alice",
            last_name="Arnaud",
            birth_date=family_a.birth_date,
        )
        tax_data = TaxData.objects.get()
        assert not tax_data.identity_mismatch and income_status(dossier).state == "to_confirm"

    @pytest.mark.parametrize(
        "edit",
        [
            lambda household: portal_services.second_parent_remove(household=household),
            lambda household: portal_services.adult_save(
                household=household,
                role=Adult.Role.SECOND_PARENT,
                first_names="Karim",
                last_name="Martin",
                birth_date=date(1986, 11, 3),
            ),
        ],
        ids=["second-parent-removed", "second-parent-changed"],
    )
    def test_changing_the_matching_adult_drops_the_confirmation_and_flags_a_mismatch(
        self, household, dossier, agent, attack, edit
    ):
        tax_data = stored(dossier, attack)
        income_services.tax_data_confirm(agent=agent, tax_data=tax_data, ip=AGENT_IP)
        edit(household)
        tax_data.refresh_from_db()
        assert tax_data.identity_mismatch and tax_data.confirmed_at is None and tax_data.confirmed_by is None
        assert income_status(dossier).state == "mismatch"

    def test_a_sent_dossier_billed_on_the_figures_is_quoted_again_without_them(
        self, household, dossier, agent, attack, family_a
    ):
        with_grid(dossier)
        lookup = stored(
            dossier, situation_for(family_a, rfr=28000)
        )  # A's figures, matched by B's typed adult
        income_services.tax_data_confirm(agent=agent, tax_data=lookup, ip=AGENT_IP)
        submitted(dossier)
        assert Dossier.objects.get(pk=dossier.pk).quote.amount == Decimal("2.28")
        portal_services.second_parent_remove(household=household)
        quote = Dossier.objects.get(pk=dossier.pk).quote
        assert (quote.income_source, quote.amount) == ("none", Decimal("4.61"))  # the highest, provisional
        assert dossier.messages.filter(kind=DossierMessage.Kind.TARIFF_CHANGED).exists()

    def test_the_holders_birth_date_changed_through_the_form_flags_again(
        self, family_client, dossier, holder, agent
    ):
        income_services.tax_data_confirm(
            agent=agent, tax_data=stored(dossier, situation_for(holder)), ip=AGENT_IP
        )
        family_client.post(
            reverse("portal:adult_edit", args=["holder"]),
            {"first_names": holder.first_names, "last_name": holder.last_name, "birth_date": "1988-04-13"},
        )
        assert income_status(dossier).state == "mismatch"

    def test_a_new_phone_number_keeps_the_confirmation(self, household, dossier, holder, agent):
        income_services.tax_data_confirm(
            agent=agent, tax_data=stored(dossier, situation_for(holder)), ip=AGENT_IP
        )
        portal_services.adult_save(
            household=household,
            role=Adult.Role.HOLDER,
            first_names=holder.first_names,
            last_name=holder.last_name,
            birth_date=holder.birth_date,
            phone="06 00 00 00 00",
        )
        assert TaxData.objects.get().confirmed_at is not None

    def test_the_declarants_names_are_not_stored_only_keyed_fingerprints(self, dossier, stranger):
        stored(dossier, situation_for(stranger))
        tax_data = TaxData.objects.get()
        assert len(tax_data.declarant_keys) == 1 and len(tax_data.declarant_keys[0]) == 64
        dump = "\n".join(_database_rows())
        for clear in ("LAGAFFE", "Lagaffe", "GASTON", "1957-02-28", tax_data.declarant_keys[0]):
            assert clear not in dump, clear


def _database_rows():
    """Every value of every table, as text (works on SQLite and PostgreSQL)."""
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608 - table names
            for row in cursor.fetchall():
                yield " ".join(str(value) for value in row)


class TestLookupLimits:
    def test_over_the_hourly_attempts_one_neutral_message_before_any_call(
        self, family_client, dossier, holder, dgfip
    ):
        dgfip.answer = InvalidTaxNumber()
        for _attempt in range(3):  # the dossier's hourly limit
            assert authorise(family_client, dossier).status_code == 200
        consent = Consent.objects.get(withdrawn_at__isnull=True)
        response = authorise(family_client, dossier)
        page = response.content.decode()
        assert response.status_code == 429 and len(dgfip.calls) == 3
        assert "Trop de recherches par numéro fiscal" in page
        assert f'value="{A_NUMBER}"' in page  # kept
        assert "Envoyer mon avis d'imposition" in page and "Je ne communique pas mes revenus" in page
        assert Consent.objects.get(withdrawn_at__isnull=True) == consent  # nothing changed
        assert Dossier.objects.get(pk=dossier.pk).status == Dossier.Status.DRAFT

    def test_distinct_numbers_per_account_across_dossiers(self, family_client, household, dgfip):
        dgfip.answer = NoDeclaration()
        dossiers = [DossierFactory(child__household=household, income_declined=False) for _ in range(3)]
        numbers = ["3999990000017", "3999990000033", "3999990000041"]
        for dossier, number in zip(dossiers, numbers, strict=True):
            authorise(family_client, dossier, number)
        assert authorise(family_client, dossiers[0], numbers[0]).status_code == 200  # a number tried again
        response = authorise(family_client, dossiers[1], "3999990000058")  # a fourth one today
        assert response.status_code == 429 and "Trop de recherches" in response.content.decode()
        assert dgfip.calls == [*numbers, numbers[0]]

    def test_distinct_numbers_per_dossier(self, family_client, dossier, dgfip):
        dgfip.answer = NoDeclaration()
        authorise(family_client, dossier, "3999990000017")
        authorise(family_client, dossier, "3999990000033")
        response = authorise(family_client, dossier, "3999990000041")
        assert response.status_code == 429 and len(dgfip.calls) == 2

    def test_the_limit_reads_the_same_whether_the_number_is_real_or_not(
        self, settings, family_client, dossier, dgfip
    ):
        settings.IMPOT_NUMERO_FISCAL_ATTEMPTS_PER_DOSSIER = "1/hour"
        dgfip.answer = NoDeclaration()
        authorise(family_client, dossier, A_NUMBER)
        real = authorise(family_client, dossier, A_NUMBER).content.decode()
        unknown = authorise(family_client, dossier, "3999990009999").content.decode()
        message = escape(str(services.TOO_MANY_LOOKUPS))
        assert message in real and message in unknown

    def test_unknown_number_and_no_declaration_read_the_same(self, family_client, dossier, dgfip):
        pages = []
        for error, number in ((InvalidTaxNumber(), "3999990009999"), (NoDeclaration(), "3999990000082")):
            dgfip.answer = error
            pages.append(authorise(family_client, dossier, number).content.decode())
        assert all("ne peut pas transmettre de revenus pour ce numéro fiscal" in page for page in pages)
        assert not any("pas reconnu" in page or "pas de déclaration" in page for page in pages)

    def test_the_service_enforces_the_limits_too(self, settings, dossier, holder, monkeypatch):
        settings.IMPOT_NUMERO_FISCAL_ATTEMPTS_PER_DOSSIER = "1/hour"
        calls = []
        monkeypatch.setattr(
            services.client,
            "fetch_by_numero_fiscal",
            lambda spi, today=None: calls.append(spi) or situation_for(),
        )
        services.tax_data_fetch_by_numero_fiscal(consent=grant(dossier), numero_fiscal=A_NUMBER)
        with pytest.raises(services.ValidationError) as refused:
            services.tax_data_fetch_by_numero_fiscal(consent=grant(dossier), numero_fiscal=A_NUMBER)
        assert refused.value.code == "too_many_lookups" and len(calls) == 1

    def test_a_family_cannot_exhaust_the_communes_dgfip_quota(
        self, settings, family_client, household, dgfip
    ):
        """Every attempt the limits let through makes at most 4 DGFiP calls (two years, one retry each)."""
        dgfip.answer = NoDeclaration()
        dossiers = [DossierFactory(child__household=household, income_declined=False) for _ in range(10)]
        for dossier in dossiers:
            for _attempt in range(3):
                authorise(family_client, dossier, A_NUMBER)
        assert len(dgfip.calls) == 5  # the account's hourly limit
        assert 4 * len(dgfip.calls) < settings.IMPOT_QUOTA_PER_MINUTE


def test_a_lookup_by_another_account_of_the_same_number_is_not_limited_by_the_first(client, dgfip, db):
    dgfip.answer = NoDeclaration()
    first, second = (DossierFactory(income_declined=False) for _ in range(2))
    for dossier in (first, second):
        client.force_login(dossier.child.household.owner)
        for _attempt in range(3):
            assert authorise(client, dossier).status_code == 200
    assert len(dgfip.calls) == 6
