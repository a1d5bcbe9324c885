from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from impot_client import services
from impot_client.models import TaxData, TaxNotice
from impot_client.selectors import income_status
from impot_client.situation import AccessRefused, ImpotUnavailable
from portal.models import Consent
from tests.factories import AdultFactory, CrecheServiceFactory, DossierFactory, PeriodFactory, UserFactory
from tests.impot_client.conftest import grant, situation_for

PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00\xff\xd9"


class TestConsent:
    def test_records_who_what_why_how_and_the_text_fingerprint(self, dossier):
        consent = grant(dossier)
        assert consent.user == dossier.child.household.owner
        assert consent.household == dossier.child.household
        assert consent.fields == ["rfr", "nb_parts"]
        assert dossier.service.name in consent.purpose and dossier.period.label in consent.purpose
        assert (consent.mode, consent.text_hash, consent.withdrawn_at) == ("numero_fiscal", "a" * 64, None)

    def test_a_creche_also_asks_for_the_dependants(self, db):
        period = PeriodFactory(service=CrecheServiceFactory())
        dossier = DossierFactory(period=period, income_declined=False)
        assert grant(dossier).fields == ["rfr", "nb_parts", "nb_pac"]

    def test_a_refusal_asks_for_nothing(self, dossier):
        consent = services.consent_record(
            user=dossier.child.household.owner,
            dossier=dossier,
            decision=Consent.Decision.REFUSED,
            mode=Consent.Mode.NUMERO_FISCAL,
            shown_text_hash="b" * 64,
        )
        assert (consent.fields, consent.mode) == ([], "")
        assert income_status(dossier).state == "declined"

    def test_a_new_answer_replaces_the_previous_one_and_erases_its_figures(self, dossier, holder):
        first = grant(dossier)
        services._tax_data_store(
            consent=first, situation=situation_for(holder), numero_fiscal="3999990000025"
        )
        second = grant(dossier)
        first.refresh_from_db()
        assert first.withdrawn_at is not None and second.is_live
        assert not TaxData.objects.exists()

    def test_only_the_owner_can_answer(self, dossier):
        with pytest.raises(ValidationError):
            services.consent_record(
                user=UserFactory(),
                dossier=dossier,
                decision="granted",
                mode="numero_fiscal",
                shown_text_hash="c",
            )

    def test_withdrawal_erases_the_figures_obtained_with_it(self, dossier, holder):
        consent = grant(dossier)
        services._tax_data_store(
            consent=consent, situation=situation_for(holder), numero_fiscal="3999990000025"
        )
        services.consent_withdraw(user=dossier.child.household.owner, consent=consent)
        consent.refresh_from_db()
        assert consent.withdrawn_at is not None
        assert not TaxData.objects.filter(dossier=dossier).exists()
        assert income_status(dossier).state == "withdrawn"  # agents and the family see it (issue 11)

    def test_withdrawal_by_someone_else_is_refused(self, dossier):
        consent = grant(dossier)
        with pytest.raises(ValidationError):
            services.consent_withdraw(user=UserFactory(), consent=consent)
        consent.refresh_from_db()
        assert consent.is_live


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
            services.consent_withdraw(user=dossier.child.household.owner, consent=consent)
            return situation_for(holder)

        monkeypatch.setattr(services.client, "fetch_by_numero_fiscal", withdraw_meanwhile)
        with pytest.raises(ValidationError):
            services.tax_data_fetch_by_numero_fiscal(consent=consent, numero_fiscal="3999990000025")
        assert not TaxData.objects.exists()


class TestNotices:
    @pytest.mark.parametrize(
        ("content", "content_type"), [(PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg")]
    )
    def test_accepted_types_are_read_from_the_content(self, dossier, content, content_type):
        uploaded = SimpleUploadedFile("Avis Claire MARTIN.txt", content, content_type="text/plain")
        notice = services.tax_notice_upload(
            user=dossier.child.household.owner, dossier=dossier, uploaded=uploaded
        )
        assert notice.content_type == content_type
        assert "MARTIN" not in notice.file.name  # the family's file name never reaches the disk
        assert notice.file.read() == content
        assert income_status(dossier).state == "notice"

    def test_a_file_named_pdf_that_is_not_one_is_refused(self, dossier):
        uploaded = SimpleUploadedFile(
            "avis.pdf", b"<html><script>alert(1)</script>", content_type="application/pdf"
        )
        with pytest.raises(ValidationError) as error:
            services.tax_notice_upload(user=dossier.child.household.owner, dossier=dossier, uploaded=uploaded)
        assert "ni un PDF" in str(error.value.message_dict["file"])
        assert not TaxNotice.objects.exists()

    def test_more_than_10_mb_is_refused(self, dossier, settings):
        settings.TAX_NOTICE_MAX_BYTES = len(PDF) - 1
        uploaded = SimpleUploadedFile("avis.pdf", PDF)
        with pytest.raises(ValidationError, match="dépasse"):
            services.tax_notice_upload(user=dossier.child.household.owner, dossier=dossier, uploaded=uploaded)

    def test_an_agent_enters_the_figures_and_is_recorded(self, dossier, agent):
        notice = services.tax_notice_upload(
            user=dossier.child.household.owner, dossier=dossier, uploaded=SimpleUploadedFile("a.pdf", PDF)
        )
        tax_data = services.tax_data_enter_from_notice(
            agent=agent, notice=notice, year=2025, rfr=21000, nb_parts=Decimal("3"), nb_pac=2
        )
        notice.refresh_from_db()
        assert notice.status == TaxNotice.Status.CHECKED
        assert (tax_data.source, tax_data.checked_by, tax_data.rfr) == (TaxData.Source.NOTICE, agent, 21000)
        assert income_status(dossier).state == "checked"


class TestPurge:
    def test_erases_figures_and_notices_after_the_retention_but_not_before(
        self, dossier, holder, django_capture_on_commit_callbacks
    ):
        services._tax_data_store(
            consent=grant(dossier), situation=situation_for(holder), numero_fiscal="3999990000025"
        )
        notice = services.tax_notice_upload(
            user=dossier.child.household.owner, dossier=dossier, uploaded=SimpleUploadedFile("a.pdf", PDF)
        )
        storage, name = notice.file.storage, notice.file.name
        last_day = dossier.period.ends_on + services.RETENTION_AFTER_PERIOD
        assert services.tax_data_purge(today=last_day) == (0, 0, 0)
        with django_capture_on_commit_callbacks(execute=True):
            assert services.tax_data_purge(today=last_day + timedelta(days=1)) == (1, 1, 0)
        assert not TaxData.objects.exists() and not TaxNotice.objects.exists()
        assert not storage.exists(name)
