from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from cantine.income import services as income_services
from cantine.income.selectors import income_status
from impot_client import services
from impot_client.models import TaxData, TaxNotice
from portal.models import Consent
from tests.documents import JPEG, PDF, PNG
from tests.factories import CrecheServiceFactory, DossierFactory, PeriodFactory, UserFactory
from tests.impot_client.conftest import grant, situation_for


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
        consent = income_services.consent_record(
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
        second = grant(dossier, mode="franceconnect")  # another answer (the same one again is the first: a double click)
        first.refresh_from_db()
        assert first.withdrawn_at is not None and second.is_live
        assert not TaxData.objects.exists()

    def test_only_the_owner_can_answer(self, dossier):
        with pytest.raises(ValidationError):
            income_services.consent_record(
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
        income_services.consent_withdraw(user=dossier.child.household.owner, consent=consent)
        consent.refresh_from_db()
        assert consent.withdrawn_at is not None
        assert not TaxData.objects.filter(dossier=dossier).exists()
        assert income_status(dossier).state == "withdrawn"  # agents and the family see it (issue 11)

    def test_withdrawal_by_someone_else_is_refused(self, dossier):
        consent = grant(dossier)
        with pytest.raises(ValidationError):
            income_services.consent_withdraw(user=UserFactory(), consent=consent)
        consent.refresh_from_db()
        assert consent.is_live


class TestNotices:
    @pytest.mark.parametrize(
        ("content", "content_type"), [(PDF, "application/pdf"), (PNG, "image/png"), (JPEG, "image/jpeg")]
    )
    def test_accepted_types_are_read_from_the_content(self, dossier, content, content_type):
        uploaded = SimpleUploadedFile("Avis Claire MARTIN.txt", content, content_type="text/plain")
        notice = income_services.tax_notice_upload(
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
            income_services.tax_notice_upload(
                user=dossier.child.household.owner, dossier=dossier, uploaded=uploaded
            )
        assert "ni un PDF" in str(error.value.message_dict["file"])
        assert not TaxNotice.objects.exists()

    def test_more_than_10_mb_is_refused(self, dossier, settings):
        settings.TAX_NOTICE_MAX_BYTES = len(PDF) - 1
        uploaded = SimpleUploadedFile("avis.pdf", PDF)
        with pytest.raises(ValidationError, match="dépasse"):
            income_services.tax_notice_upload(
                user=dossier.child.household.owner, dossier=dossier, uploaded=uploaded
            )

    def test_an_agent_enters_the_figures_and_is_recorded(self, dossier, agent):
        notice = income_services.tax_notice_upload(
            user=dossier.child.household.owner, dossier=dossier, uploaded=SimpleUploadedFile("a.pdf", PDF)
        )
        tax_data = income_services.tax_data_enter_from_notice(
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
        notice = income_services.tax_notice_upload(
            user=dossier.child.household.owner, dossier=dossier, uploaded=SimpleUploadedFile("a.pdf", PDF)
        )
        storage, name = notice.file.storage, notice.file.name
        last_day = income_services.retention_date(dossier)
        assert income_services.tax_data_purge(today=last_day) == (0, 0, 0)
        with django_capture_on_commit_callbacks(execute=True):
            assert income_services.tax_data_purge(today=last_day + timedelta(days=1)) == (1, 1, 0)
        assert not TaxData.objects.exists() and not TaxNotice.objects.exists()
        assert not storage.exists(name)
