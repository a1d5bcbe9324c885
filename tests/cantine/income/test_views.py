from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.html import escape

from cantine.income import services as income_services
from cantine.models import Dossier
from impot_client import services
from impot_client.models import TaxData, TaxNotice
from impot_client.situation import (
    AccessRefused,
    GatewayMisconfigured,
    ImpotUnavailable,
    IncompleteAnswer,
    InvalidTaxNumber,
    NoDeclaration,
    QuotaReached,
)
from portal import formats
from portal.models import AuditEntry, Consent
from tests.cantine.income.test_services import PDF
from tests.factories import DossierFactory, HouseholdFactory, UserFactory
from tests.impot_client.conftest import situation_for


def income_url(dossier):
    return reverse("impot:income", args=[dossier.pk])


def shown(client, dossier):
    return client.get(income_url(dossier)).context["shown"]


@pytest.fixture
def dgfip(monkeypatch):
    """Replaces the DGFiP client: `dgfip.answer` is a TaxSituation or an exception to raise."""

    class Stub:
        answer = None
        calls = []

        def __call__(self, numero_fiscal, today=None):
            self.calls.append(numero_fiscal)
            if isinstance(self.answer, Exception):
                raise self.answer
            return self.answer

    stub = Stub()
    stub.calls = []
    monkeypatch.setattr(services.client, "fetch_by_numero_fiscal", stub)
    return stub


class TestConsentPage:
    def test_says_what_from_whom_why_how_long_and_the_alternatives(self, family_client, dossier):
        page = family_client.get(income_url(dossier)).content.decode()
        for text in (
            "revenu fiscal de référence",
            "nombre de parts",
            "Direction générale des Finances publiques",
            dossier.service.name,
            escape(formats.le(dossier.period.label)),  # « pour l'année scolaire 2026-2027 »
            "conservées chiffrées jusqu",
            "retirer votre accord",
            "Envoyer mon avis d'imposition",
            "Je ne communique pas mes revenus",
            "J'autorise",
            "Numéro fiscal",
        ):
            assert text in page, text
        assert "personnes à votre charge" not in page  # a canteen tariff does not need it

    def test_another_households_dossier_is_not_found(self, family_client):
        other = DossierFactory(child__household=HouseholdFactory(), income_declined=False)
        assert family_client.get(income_url(other)).status_code == 404
        response = family_client.post(reverse("impot:decline", args=[other.pk]), {"shown": "x"})
        assert (
            response.status_code == 404
            and not Consent.objects.filter(dossier=other, decision="refused").exists()
        )

    @pytest.mark.parametrize("name", ["authorize", "notice_upload", "withdraw"])
    def test_no_action_on_another_households_dossier(self, family_client, dgfip, name):
        other = DossierFactory(child__household=HouseholdFactory(), income_declined=False)
        data = {"shown": "x", "numero_fiscal": "3999990000025", "file": SimpleUploadedFile("a.pdf", PDF)}
        assert family_client.post(reverse(f"impot:{name}", args=[other.pk]), data).status_code == 404
        assert dgfip.calls == [] and not Consent.objects.exists() and not TaxNotice.objects.exists()

    def test_nothing_is_called_without_the_click(self, family_client, dossier, dgfip):
        family_client.get(income_url(dossier))
        assert dgfip.calls == [] and not Consent.objects.exists()


class TestNumeroFiscal:
    def test_authorise_then_dgfip_answers_and_the_family_goes_on(self, family_client, dossier, holder, dgfip):
        dgfip.answer = situation_for(holder)
        text_hash = shown(family_client, dossier)
        response = family_client.post(
            reverse("impot:authorize", args=[dossier.pk]),
            {"shown": text_hash, "numero_fiscal": "3999 9900 0002 5"},
        )
        assert response.url == reverse("cantine:dossier_review", args=[dossier.pk])
        assert dgfip.calls == ["3999990000025"]
        consent = Consent.objects.get()
        assert (consent.decision, consent.mode, consent.user) == (
            "granted",
            "numero_fiscal",
            dossier.child.household.owner,
        )
        assert consent.text_hash == text_hash
        assert TaxData.objects.get().rfr == 38500
        page = family_client.get(response.url).content.decode()
        assert (
            "transmis des revenus pour ce numéro fiscal" in page and "un agent de la commune vérifie" in page
        )
        assert "38500" not in page and "2,5" not in page
        assert "Envoyer ma demande" in page

    @pytest.mark.parametrize(
        ("typed", "message"),
        [
            ("39999900000", "exactement 13 chiffres ; vous en avez saisi 11"),
            ("39999900000AB", "que des chiffres"),
            ("9999990000025", "commence par 0, 1, 2 ou 3"),
        ],
    )
    def test_a_malformed_number_is_explained_and_kept(self, family_client, dossier, dgfip, typed, message):
        response = family_client.post(
            reverse("impot:authorize", args=[dossier.pk]),
            {"shown": shown(family_client, dossier), "numero_fiscal": typed},
        )
        page = response.content.decode()
        assert response.status_code == 400 and message in page and f'value="{typed}"' in page
        assert dgfip.calls == [] and not Consent.objects.exists()

    @pytest.mark.parametrize(
        ("error", "message"),
        [
            (InvalidTaxNumber(), "ne peut pas transmettre de revenus pour ce numéro fiscal"),
            (NoDeclaration(), "ne peut pas transmettre de revenus pour ce numéro fiscal"),
            (AccessRefused(), "les agents sont prévenus"),
            (ImpotUnavailable(), "ne répond pas pour le moment"),
            (QuotaReached(), "Revenez dans une minute"),
        ],
    )
    def test_each_dgfip_failure_ends_with_its_message_the_alternatives_and_a_saved_draft(
        self, family_client, dossier, dgfip, error, message
    ):
        dgfip.answer = error
        response = family_client.post(
            reverse("impot:authorize", args=[dossier.pk]),
            {"shown": shown(family_client, dossier), "numero_fiscal": "3999990000025"},
        )
        page = response.content.decode()
        assert response.status_code == 200
        assert message in page and "Envoyer mon avis d'imposition" in page and "Je ne communique pas" in page
        assert 'value="3999990000025"' in page  # kept for a retry
        dossier.refresh_from_db()
        assert dossier.status == Dossier.Status.DRAFT and not TaxData.objects.exists()

    @pytest.mark.parametrize(
        ("error", "retry_helps"),
        [
            (ImpotUnavailable(), True),
            (QuotaReached(), True),
            (IncompleteAnswer(), False),
            (AccessRefused(), False),
            (GatewayMisconfigured(), False),
        ],
    )
    def test_the_family_is_offered_a_retry_only_when_it_can_help(
        self, family_client, dossier, dgfip, error, retry_helps
    ):
        dgfip.answer = error
        response = family_client.post(
            reverse("impot:authorize", args=[dossier.pk]),
            {"shown": shown(family_client, dossier), "numero_fiscal": "3999990000025"},
        )
        summary = response.content.decode().split('class="error-summary"')[1].split("</div>")[0]
        assert ("Vous pouvez réessayer" in summary) is retry_helps
        assert "envoyer votre avis d'imposition" in summary.replace("&#x27;", "'")

    def test_a_mismatch_tells_the_family_what_happens_next(
        self, family_client, dossier, holder, stranger, dgfip
    ):
        dgfip.answer = situation_for(stranger)
        response = family_client.post(
            reverse("impot:authorize", args=[dossier.pk]),
            {"shown": shown(family_client, dossier), "numero_fiscal": "3999990000033"},
            follow=True,
        )
        page = response.content.decode()
        # As for a match: telling them apart would tell a stranger whose number it is.
        assert "un agent de la commune vérifie" in page and "en attente de vérification par un agent" in page
        assert "ne correspondent pas" not in page
        assert TaxData.objects.get().identity_mismatch

    def test_a_changed_text_must_be_read_again(self, family_client, dossier, dgfip):
        response = family_client.post(
            reverse("impot:authorize", args=[dossier.pk]),
            {"shown": "0" * 64, "numero_fiscal": "3999990000025"},
        )
        assert response.status_code == 400 and "relisez-le" in response.content.decode()
        assert dgfip.calls == [] and not Consent.objects.exists()


class TestDeclineAndWithdraw:
    def test_decline_records_the_refusal_and_says_highest_tariff(self, family_client, dossier):
        response = family_client.post(
            reverse("impot:decline", args=[dossier.pk]), {"shown": shown(family_client, dossier)}, follow=True
        )
        assert "le tarif le plus élevé" in response.content.decode()
        assert Consent.objects.get().decision == Consent.Decision.REFUSED

    def test_withdraw_from_the_dossier_page_erases_the_figures(self, family_client, dossier, holder, dgfip):
        dgfip.answer = situation_for(holder)
        family_client.post(
            reverse("impot:authorize", args=[dossier.pk]),
            {"shown": shown(family_client, dossier), "numero_fiscal": "3999990000025"},
        )
        detail = family_client.get(reverse("cantine:dossier_detail", args=[dossier.pk])).content.decode()
        withdraw = reverse("impot:withdraw", args=[dossier.pk])
        assert f'href="{withdraw}"' in detail  # a link to the confirmation page, not a one-click form
        page = family_client.get(withdraw).content.decode()
        assert "Ce qui va se passer" in page and "effacées tout de suite" in page
        assert TaxData.objects.exists()  # reading the page erases nothing
        response = family_client.post(withdraw, follow=True)
        assert "données fiscales obtenues avec lui sont effacées" in response.content.decode()
        assert not TaxData.objects.exists() and Consent.objects.get().withdrawn_at is not None

    def test_a_submitted_dossier_can_no_longer_change_its_answer_but_can_withdraw(
        self, family_client, make_dossier, household
    ):
        dossier = make_dossier(Dossier.Status.SUBMITTED, child__household=household)
        response = family_client.post(reverse("impot:decline", args=[dossier.pk]), {"shown": "x"})
        assert response.url == reverse("cantine:dossier_detail", args=[dossier.pk])
        family_client.post(reverse("impot:withdraw", args=[dossier.pk]))
        assert Consent.objects.get(dossier=dossier).withdrawn_at is not None


class TestNotice:
    def test_upload_then_only_the_family_and_agents_can_download_it(
        self, family_client, client, dossier, agent
    ):
        response = family_client.post(
            reverse("impot:notice_upload", args=[dossier.pk]), {"file": SimpleUploadedFile("avis.pdf", PDF)}
        )
        assert response.url == reverse("cantine:dossier_review", args=[dossier.pk])
        notice = TaxNotice.objects.get()
        url = reverse("impot:notice_file", args=[notice.pk])
        download = family_client.get(url)
        assert download.status_code == 200 and b"".join(download.streaming_content) == PDF
        assert (
            download["Content-Type"] == "application/pdf" and "attachment" in download["Content-Disposition"]
        )
        assert download["Cache-Control"] == "private, no-store"
        client.force_login(UserFactory())
        assert client.get(url).status_code == 404
        client.force_login(agent)
        assert client.get(url).status_code == 200
        # The family's own downloads are not audited; an agent's look at a tax notice is.
        entry = AuditEntry.objects.get()
        assert (entry.actor, entry.action, entry.dossier, entry.detail) == (
            agent,
            "viewed_fiscal_data",
            dossier,
            {"notice": notice.pk},
        )

    def test_a_wrong_type_is_explained_on_the_field(self, family_client, dossier):
        response = family_client.post(
            reverse("impot:notice_upload", args=[dossier.pk]),
            {"file": SimpleUploadedFile("avis.pdf", b"MZ\x90\x00")},
        )
        assert response.status_code == 400
        assert "ni un PDF, ni une image JPEG ou PNG" in response.content.decode()
        assert not TaxNotice.objects.exists()

    def test_the_agent_enters_the_figures_from_the_admin(self, client, agent, dossier):
        notice = income_services.tax_notice_upload(
            user=dossier.child.household.owner, dossier=dossier, uploaded=SimpleUploadedFile("a.pdf", PDF)
        )
        client.force_login(agent)
        url = reverse("admin:impot_client_taxnotice_enter", args=[notice.pk])
        assert "Ouvrir l'avis" in client.get(url).content.decode()
        response = client.post(url, {"year": 2025, "rfr": 21000, "nb_parts": "3", "nb_pac": ""})
        assert response.status_code == 302
        tax_data = TaxData.objects.get()
        assert (tax_data.rfr, tax_data.nb_parts, tax_data.checked_by) == (21000, Decimal("3"), agent)
