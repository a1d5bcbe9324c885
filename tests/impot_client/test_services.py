from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from cantine.income import services as income_services
from cantine.income.selectors import income_status
from impot_client import services
from impot_client.models import TaxData
from impot_client.situation import AccessRefused, ImpotUnavailable
from portal.models import Consent
from tests.factories import AdultFactory
from tests.impot_client.conftest import grant, situation_for


class TestLookups:
    def test_by_numero_fiscal_keeps_only_the_fields_used(self, dossier, holder, monkeypatch):
        monkeypatch.setattr(
            services.client, "fetch_by_numero_fiscal", lambda spi, today=None: situation_for(holder)
        )
        tax_data = services.tax_data_fetch_by_numero_fiscal(
            consent=grant(dossier), numero_fiscal="3999990000025"
        )
        tax_data.refresh_from_db()
        assert (tax_data.year, tax_data.rfr, tax_data.nb_parts) == (2025, 38500, Decimal("2.5"))
        assert tax_data.nb_pac is None  # not consented for a canteen
        assert tax_data.numero_fiscal == "3999990000025"
        assert tax_data.source == TaxData.Source.DGFIP_NUMERO_FISCAL
        assert tax_data.correlation_id == "6f1c2b0e-2f7c-4d55-9a57-1f1f0e0a0b0c"
        assert not tax_data.identity_mismatch and income_status(dossier).state == "to_confirm"

    def test_with_franceconnect_has_no_declarant_check_and_no_numero_fiscal(
        self, dossier, stranger, monkeypatch
    ):
        monkeypatch.setattr(
            services.client, "fetch_with_franceconnect", lambda token, today=None: situation_for(stranger)
        )
        consent = grant(dossier, mode=Consent.Mode.FRANCECONNECT)
        tax_data = services.tax_data_fetch_with_franceconnect(consent=consent, access_token="fc-token")
        assert tax_data.source == TaxData.Source.DGFIP_FRANCECONNECT
        assert (tax_data.numero_fiscal, tax_data.identity_mismatch) == ("", False)

    @pytest.mark.parametrize(
        "declarant",
        [
            {"last_name": "Autre"},
            {"first_names": "Sophie"},
            {"birth_date": date(1988, 4, 13)},
        ],
    )
    def test_declarants_that_are_not_the_household_flag_the_dossier(
        self, dossier, holder, declarant, monkeypatch
    ):
        someone = AdultFactory.build(
            **{
                "first_names": "Claire",
                "last_name": holder.last_name,
                "birth_date": holder.birth_date,
                **declarant,
            }
        )
        monkeypatch.setattr(
            services.client, "fetch_by_numero_fiscal", lambda spi, today=None: situation_for(someone)
        )
        tax_data = services.tax_data_fetch_by_numero_fiscal(
            consent=grant(dossier), numero_fiscal="3999990000025"
        )
        assert tax_data.identity_mismatch and not tax_data.usable_for_tariff
        assert income_status(dossier).state == "mismatch"

    def test_names_match_without_accents_case_or_punctuation_and_on_either_declarant(self, household, holder):
        holder.last_name, holder.first_names = "d'Artagnan-Épée", "Jean-Noël Élie"
        holder.save()
        declarant = AdultFactory.build(
            first_names="JEAN NOEL", last_name="D ARTAGNAN EPEE", birth_date=holder.birth_date
        )
        other = AdultFactory.build(first_names="X", last_name="Y", birth_date=date(1970, 1, 1))
        assert services.declarants_match(household, situation_for(other, declarant))

    def test_the_second_parent_may_be_the_declarant(self, household, holder):
        second = AdultFactory(
            household=household, role="second_parent", first_names="Karim", birth_date=date(1986, 11, 3)
        )
        assert services.declarants_match(household, situation_for(second))

    def test_a_failed_lookup_stores_nothing_and_leaves_the_consent_waiting(self, dossier, monkeypatch):
        def unavailable(spi, today=None):
            raise ImpotUnavailable("HTTP 503")

        monkeypatch.setattr(services.client, "fetch_by_numero_fiscal", unavailable)
        with pytest.raises(ImpotUnavailable):
            services.tax_data_fetch_by_numero_fiscal(consent=grant(dossier), numero_fiscal="3999990000025")
        assert not TaxData.objects.exists()
        assert income_status(dossier).state == "waiting"

    def test_access_refused_alerts_the_agents(
        self, dossier, settings, monkeypatch, django_capture_on_commit_callbacks
    ):
        settings.ALERT_EMAILS = ["support@example.org"]
        settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}

        def refused(spi, today=None):
            raise AccessRefused("HTTP 403", correlation_id="abc-123")

        monkeypatch.setattr(services.client, "fetch_by_numero_fiscal", refused)
        with pytest.raises(AccessRefused), django_capture_on_commit_callbacks(execute=True):
            services.tax_data_fetch_by_numero_fiscal(consent=grant(dossier), numero_fiscal="3999990000025")
        assert len(mail.outbox) == 1 and "abc-123" in mail.outbox[0].body
        assert mail.outbox[0].to == ["support@example.org"]
        assert "3999990000025" not in mail.outbox[0].body

    def test_a_consent_withdrawn_during_the_call_keeps_nothing(self, dossier, holder, monkeypatch):
        consent = grant(dossier)

        def withdraw_meanwhile(spi, today=None):
            income_services.consent_withdraw(user=dossier.child.household.owner, consent=consent)
            return situation_for(holder)

        monkeypatch.setattr(services.client, "fetch_by_numero_fiscal", withdraw_meanwhile)
        with pytest.raises(ValidationError):
            services.tax_data_fetch_by_numero_fiscal(consent=consent, numero_fiscal="3999990000025")
        assert not TaxData.objects.exists()


def test_the_declarant_check_needs_the_birth_date(household, holder):
    unborn = AdultFactory.build(first_names=holder.first_names, last_name=holder.last_name, birth_date=None)
    assert not services.declarants_match(household, situation_for(unborn))
