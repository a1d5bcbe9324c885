"""The income step on a grid deliberated on the CAF quotient familial (API Particulier): the CAF/MSA asked first,
by FranceConnect or by the holder's identity, then the grid's next source; crèches on the EAJE resources only."""

import io
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from api_particulier.situation import NotFound, ProviderUnavailable, ScopeMissing
from cantine import services as cantine_services
from cantine.income import benefits
from cantine.income import services as income_services
from cantine.income.selectors import income_status
from cantine.models import BenefitRefreshSchedule, DossierQuote, FamilyBenefitData
from impot_client import client as impot_client
from portal.models import AuditEntry, Consent, OperationalAlert
from tests.cantine.backoffice import caf_answer, grid_for, submitted, with_caf_income
from tests.cantine.grids import PARIS
from tests.cantine.income.test_franceconnect_flow import fc_client  # noqa: F401 - fixture
from tests.cantine.test_creche_places import BABY, START, setting
from tests.factories import ChildFactory, DossierFactory, creche_dossier
from tests.franceconnect.op import ISSUER, authorize_params
from tests.impot_client.conftest import stranger  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db
CAF_FIRST = {**PARIS, "income": ["caf", "dgfip", "notice"]}


@pytest.fixture
def holder(household):
    """The holder with the full civil status the identity pivot needs."""
    adult = household.adults.get(role="holder")
    adult.first_names, adult.birth_date = "Claire Marie", date(1988, 4, 12)
    adult.birth_name, adult.sex, adult.birth_country, adult.birth_commune = "MARTIN", "F", "99100", "75056"
    adult.save()
    return adult


@pytest.fixture
def dossier(household, holder):
    dossier = DossierFactory(child__household=household, income_declined=False)
    grid_for(dossier.period, CAF_FIRST)
    return dossier


@pytest.fixture
def caf(monkeypatch):
    """Replaces API Particulier's client: `caf.answer` is built for the dossier, or an exception to raise."""

    class Stub:
        answer = None
        calls: list

        def respond(self, route, *args, **kwargs):
            self.calls.append(route)
            if isinstance(self.answer, Exception):
                raise self.answer
            return self.answer

    stub = Stub()
    stub.calls = []
    for name in (
        "quotient_familial_by_identity",
        "quotient_familial_by_franceconnect",
        "eaje_resources_by_identity",
        "eaje_resources_by_franceconnect",
    ):
        monkeypatch.setattr(benefits.client, name, lambda *a, _name=name, **k: stub.respond(_name, *a, **k))
    return stub


@pytest.fixture
def no_dgfip(monkeypatch):
    """Fails the test if anything calls the DGFiP client."""

    def refuse(*args, **kwargs):
        raise AssertionError("DGFiP called")

    monkeypatch.setattr(impot_client, "fetch_by_numero_fiscal", refuse)
    monkeypatch.setattr(impot_client, "fetch_with_franceconnect", refuse)


def income_url(dossier):
    return reverse("impot:income", args=[dossier.pk])


def authorise(client, dossier):
    shown = client.get(income_url(dossier)).context["shown"]
    return client.post(reverse("impot:benefit_authorize", args=[dossier.pk]), {"shown": shown})


class TestConsentPage:
    def test_the_caf_comes_first_with_what_whom_why_how_long_and_the_alternatives(
        self, family_client, dossier
    ):
        page = family_client.get(income_url(dossier)).content.decode()
        for text in (
            "votre quotient familial du mois en cours",
            "la CAF, ou à la MSA",
            "API Particulier",
            "conservées chiffrées jusqu",
            "retirer votre accord",
            "service des impôts (DGFiP)",
            "avis d'imposition",
            "tarif le plus élevé",
        ):
            assert text in page, text
        assert reverse("impot:benefit_authorize", args=[dossier.pk]) in page
        assert reverse("impot:authorize", args=[dossier.pk]) not in page

    def test_a_dgfip_grid_behaves_as_before(self, family_client, household):
        dossier = DossierFactory(child__household=household, income_declined=False)
        grid_for(dossier.period, PARIS)
        page = family_client.get(income_url(dossier)).content.decode()
        assert reverse("impot:authorize", args=[dossier.pk]) in page and "CAF" not in page

    def test_an_incomplete_civil_status_sends_to_the_holders_page(self, family_client, dossier, holder, caf):
        holder.birth_commune = ""
        holder.save()
        page = family_client.get(income_url(dossier)).content.decode()
        assert reverse("portal:adult_edit", args=["holder"]) in page
        response = authorise(family_client, dossier)
        assert response.url == reverse("portal:adult_edit", args=["holder"])
        assert caf.calls == [] and not Consent.objects.filter(source="api_particulier").exists()


class TestIdentityLookup:
    def test_figures_wait_for_an_agent_and_are_never_shown(self, family_client, dossier, caf, agent):
        caf.answer = caf_answer(dossier, qf=1069)
        response = authorise(family_client, dossier)
        assert response.url == reverse("cantine:dossier_review", args=[dossier.pk])
        assert caf.calls == ["quotient_familial_by_identity"]
        data = FamilyBenefitData.objects.get()
        assert (data.mode, data.qf, data.year, data.month, data.identity_mismatch) == (
            "identite",
            1069,
            2026,
            3,
            False,
        )
        assert income_status(dossier).state == "caf_to_confirm"
        page = family_client.get(income_url(dossier)).content.decode()
        assert "1069" not in page and "en attente de vérification" in page
        dossier = submitted(dossier)
        assert DossierQuote.objects.get(dossier=dossier).income_source == "none"  # not before the agent
        benefits.benefit_data_confirm(agent=agent, benefit_data=data)
        quote = DossierQuote.objects.get(dossier=dossier)
        assert quote.income_source == "caf" and quote.qf == 1069
        assert "Quotient familial CAF du mois de mars 2026" in " ".join(quote.explanation)
        assert AuditEntry.objects.filter(
            action=AuditEntry.Action.CONFIRMED_DECLARANTS, dossier=dossier
        ).exists()

    def test_a_match_sets_the_tariff_at_once_when_the_commune_says_so(
        self, settings, family_client, dossier, caf
    ):
        settings.API_PARTICULIER_IDENTITY_NEEDS_AGENT = False
        caf.answer = caf_answer(dossier, qf=715)
        authorise(family_client, dossier)
        assert income_status(dossier).state == "caf_obtained"
        quote = cantine_services.dossier_quote_compute(dossier=submitted(dossier))
        assert quote.income_source == "caf" and quote.qf == 715

    def test_other_allocataires_or_a_missing_child_wait_for_an_agent(
        self,
        settings,
        family_client,
        dossier,
        caf,
        stranger,  # noqa: F811
    ):
        settings.API_PARTICULIER_IDENTITY_NEEDS_AGENT = False
        caf.answer = caf_answer(dossier, adults=[stranger])
        authorise(family_client, dossier)
        assert FamilyBenefitData.objects.get().identity_mismatch
        assert income_status(dossier).state == "caf_mismatch"
        other = ChildFactory(
            household=dossier.child.household, first_names="Hugo", birth_date=date(2020, 5, 1)
        )
        caf.answer = caf_answer(dossier, child=other)
        with_caf_income(dossier, mode="identite")  # a fresh, matching answer replaces it
        assert income_status(dossier).state == "caf_obtained"
        benefits._store(consent=income_status(dossier).benefit_consent, answer=caf.answer)
        assert FamilyBenefitData.objects.get().child_not_found
        assert income_status(dossier).state == "caf_mismatch"
        assert cantine_services.dossier_quote_compute(dossier=submitted(dossier)).income_source == "none"

    def test_unknown_to_the_caf_goes_on_to_dgfip(self, family_client, dossier, caf):
        caf.answer = NotFound(provider="CAF")
        response = authorise(family_client, dossier)
        assert response.url == income_url(dossier)
        page = family_client.get(income_url(dossier)).content.decode()
        assert "La CAF ne trouve pas de dossier allocataire" in page
        assert reverse("impot:authorize", args=[dossier.pk]) in page  # the next source of the grid
        assert income_status(dossier).state == "missing"
        assert Consent.objects.get(source="api_particulier").not_found_at is not None

    def test_declining_the_caf_goes_on_to_dgfip(self, family_client, dossier, caf):
        shown = family_client.get(income_url(dossier)).context["shown"]
        family_client.post(reverse("impot:benefit_decline", args=[dossier.pk]), {"shown": shown})
        page = family_client.get(income_url(dossier)).content.decode()
        assert reverse("impot:authorize", args=[dossier.pk]) in page and caf.calls == []

    def test_declining_everything_asks_no_source(self, family_client, dossier, caf):
        shown = family_client.get(income_url(dossier)).context["shown"]
        family_client.post(reverse("impot:decline", args=[dossier.pk]), {"shown": shown})
        assert income_status(dossier).state == "declined"
        assert set(Consent.objects.values_list("source", "decision")) == {
            ("api_particulier", "refused"),
            ("dgfip", "refused"),
        }

    @pytest.mark.parametrize("error", [ProviderUnavailable(), ScopeMissing(correlation_id="c-1")])
    def test_errors_end_on_the_income_page_with_the_alternatives(self, family_client, dossier, caf, error):
        caf.answer = error
        response = authorise(family_client, dossier)
        assert response.url == income_url(dossier)
        page = family_client.get(income_url(dossier))
        assert page.status_code == 200 and escape(str(error.message)) in page.content.decode()
        assert OperationalAlert.objects.exists() is error.alerts_agents
        assert income_status(dossier).state == "waiting"


def test_franceconnect_goes_round_with_the_cnaf_scopes(fc_client, provider, caf):  # noqa: F811
    dossier = fc_client.dossier
    grid_for(dossier.period, CAF_FIRST)
    response = authorise(fc_client, dossier)
    assert response.status_code == 302 and response.url.startswith(f"{ISSUER}/authorize?")
    query = authorize_params(response.url)
    assert query["scope"].split() == ["openid", "cnaf_quotient_familial", "cnaf_allocataires", "cnaf_enfants"]
    assert caf.calls == []  # nothing before FranceConnect confirms
    provider.nonce = query["nonce"]
    caf.answer = caf_answer(dossier, qf=715, adults=[])
    callback = fc_client.get(reverse("impot:franceconnect_callback"), {"code": "c2", "state": query["state"]})
    assert callback.url == reverse("cantine:dossier_review", args=[dossier.pk])
    assert caf.calls == ["quotient_familial_by_franceconnect"]
    assert income_status(dossier).state == "caf_obtained"  # FranceConnect certified who asked


class TestCreche:
    @pytest.fixture
    def creche(self, household, holder):
        period, _creche, _session = setting()  # its barème grid does not say: the CAF, then the notice
        return creche_dossier(period=period, start=START, birth_date=BABY, household=household)

    def test_only_the_eaje_route_and_the_notice(self, family_client, creche, caf, no_dgfip):
        page = family_client.get(income_url(creche)).content.decode()
        assert "ressources annuelles retenues" in page and "AEEH" in page
        assert "service des impôts (DGFiP)" not in page
        caf.answer = NotFound(provider="CAF")
        authorise(family_client, creche)
        assert caf.calls == ["eaje_resources_by_identity"]
        assert income_status(creche).state == "caf_not_found"
        page = family_client.get(income_url(creche)).content.decode()
        assert reverse("impot:authorize", args=[creche.pk]) not in page
        assert reverse("impot:notice_upload", args=[creche.pk]) in page
        # whatever the family posts, DGFiP is never asked for a crèche rate
        shown = family_client.get(income_url(creche)).context["shown"]
        family_client.post(
            reverse("impot:authorize", args=[creche.pk]), {"shown": shown, "numero_fiscal": "3999990000025"}
        )
        assert not Consent.objects.filter(source="dgfip", decision="granted").exists()

    def test_the_psu_rate_comes_from_the_eaje_resources(self, creche, no_dgfip):
        with_caf_income(creche, annual_resources=38500, children=2)
        quote = cantine_services.dossier_quote_compute(dossier=submitted(creche))
        assert quote.income_source == "caf"
        text = " ".join(quote.explanation)
        assert "ressources annuelles retenues par la CAF (année 2024) ÷ 12" in text and "3\xa0208,33" in text


class TestErasure:
    def test_withdrawal_of_the_caf_consent_erases_its_figures_and_the_tariff_they_gave(
        self, dossier, family_client
    ):
        with_caf_income(dossier, qf=1069)
        dossier = submitted(dossier)
        assert DossierQuote.objects.get(dossier=dossier).income_source == "caf"
        family_client.post(reverse("impot:withdraw", args=[dossier.pk]), {"source": "api_particulier"})
        assert not FamilyBenefitData.objects.exists()
        quote = DossierQuote.objects.get(dossier=dossier)
        assert quote.qf is None and "1069" not in " ".join(quote.explanation)
        assert income_status(dossier).state == "withdrawn"

    def test_the_purge_erases_caf_figures_with_the_same_retention(self, dossier):
        with_caf_income(dossier)
        today = income_services.retention_date(dossier) + income_services.timedelta(days=1)
        income_services.tax_data_purge(today=today)
        assert not FamilyBenefitData.objects.exists()

    def test_a_database_dump_holds_no_figure_in_clear(self, dossier, tmp_path):
        with_caf_income(dossier, qf=4321)
        creche_period, _c, _s = setting()
        creche = creche_dossier(period=creche_period, start=START, birth_date=BABY)
        with_caf_income(creche, annual_resources=98765, children=3, aeeh=1)
        submitted(dossier)
        out = io.StringIO()
        call_command("dumpdata", "cantine", "portal", "impot_client", stdout=out)
        dump = out.getvalue()
        assert dump.count('"model": "cantine.familybenefitdata"') == 2
        for figure in ("4321", "98765", "8230"):  # QF, annual resources, their monthly twelfth
            assert figure not in dump, figure
        FamilyBenefitData.objects.all().delete()
        fixture = tmp_path / "dump.json"
        fixture.write_text(dump)
        call_command("loaddata", str(fixture))  # the tokens read back as the figures
        assert FamilyBenefitData.objects.get(dossier=dossier).qf == 4321


class TestRefresh:
    def test_an_agent_refreshes_by_identity_audited_and_the_family_is_told_of_a_new_tariff(
        self, dossier, caf, agent, mailoutbox
    ):
        with_caf_income(dossier, qf=1069)  # FranceConnect at first
        dossier = submitted(dossier)
        before = DossierQuote.objects.get(dossier=dossier).amount
        caf.answer = caf_answer(dossier, qf=300)
        data = benefits.benefit_data_refresh(dossier=dossier, agent=agent)
        assert caf.calls == ["quotient_familial_by_identity"]
        assert (data.qf, data.mode, data.confirmed_by) == (300, "identite", agent)  # the agent's own check
        quote = DossierQuote.objects.get(dossier=dossier)
        assert quote.amount != before and quote.qf == 300
        assert AuditEntry.objects.filter(
            action=AuditEntry.Action.REFRESHED_BENEFITS, dossier=dossier
        ).exists()
        assert dossier.messages.filter(kind="tariff_changed").exists()

    def test_the_family_refreshes_at_most_once_a_day(self, family_client, dossier, caf):
        with_caf_income(dossier, qf=1069)
        caf.answer = caf_answer(dossier, qf=900)
        response = family_client.post(reverse("impot:benefit_refresh", args=[dossier.pk]), follow=True)
        assert "MSA aujourd" in response.content.decode() and caf.calls == []  # obtained minutes ago
        FamilyBenefitData.objects.update(obtained_at=timezone.now() - timedelta(days=2))
        family_client.post(reverse("impot:benefit_refresh", args=[dossier.pk]))
        assert caf.calls == ["quotient_familial_by_identity"] and FamilyBenefitData.objects.get().qf == 900

    def test_the_communes_schedule_refreshes_every_live_dossier_once(self, dossier, caf):
        with_caf_income(dossier, qf=1069)
        declined = DossierFactory()  # no CAF authorisation: never asked
        caf.answer = caf_answer(dossier, qf=800)
        schedule = BenefitRefreshSchedule.objects.create(run_on=timezone.localdate())
        out = io.StringIO()
        call_command("refresh_family_benefits", stdout=out)
        schedule.refresh_from_db()
        assert (schedule.refreshed, schedule.failed, schedule.done_at is not None) == (1, 0, True)
        assert FamilyBenefitData.objects.get(dossier=dossier).qf == 800
        assert not FamilyBenefitData.objects.filter(dossier=declined).exists()
        call_command("refresh_family_benefits", stdout=out)
        assert caf.calls == ["quotient_familial_by_identity"]  # done once
