"""Every figure derived from tax data goes when the figures go: withdrawal of the consent and the retention purge
erase the QF, the PSU resources and the children in charge from quotes, explanations and crèche contracts; the
tariff becomes the one the consent page promised, and the family is told."""

import json
import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

import pricing
from cantine import services
from cantine.income import services as income_services
from cantine.income.selectors import income_status
from cantine.models import Dossier, DossierMessage, DossierQuote
from impot_client.models import TaxData
from tests.cantine.backoffice import submitted, under_review, with_grid, with_income
from tests.cantine.grids import PARIS
from tests.cantine.income.test_services import PDF
from tests.cantine.test_creche_places import BABY, START, offer, setting
from tests.documents import pdf_text
from tests.factories import DossierFactory, UserFactory, creche_dossier

pytestmark = pytest.mark.django_db
CENT = Decimal("0.01")


@dataclass(frozen=True)
class Figures:
    """A household's tax figures and what the portal derives from them, and where any of them still shows."""

    rfr: int
    parts: str
    dependants: int = 1

    @property
    def qf(self) -> Decimal:
        return (Decimal(self.rfr) / 12 / Decimal(self.parts)).quantize(CENT, rounding=ROUND_HALF_UP)

    @property
    def monthly(self) -> Decimal:
        return (Decimal(self.rfr) / 12).quantize(CENT, rounding=ROUND_HALF_UP)

    def found_in(self, text: str) -> list[str]:
        """Each figure in any form a page, a JSON or an explanation writes it: 38500, 38 500, 1283,33,
        1283.33, 1 283,33; the dependants as criteria and as the rate line count them."""
        found = []
        for value in (str(self.rfr), f"{self.qf:f}", f"{self.monthly:f}", self.parts):
            whole, _dot, cents = value.partition(".")
            grouped = f"{int(whole):,}"
            forms = {whole + sep + cents if cents else whole for sep in ".,"}
            forms |= {
                grouped.replace(",", space) + (sep + cents if cents else "")
                for space in " \xa0\u202f"
                for sep in ".,"
            }
            found += [form for form in forms if re.search(rf"(?<![\d.,]){re.escape(form)}(?![\d])", text)]
        n = self.dependants
        for pattern in (rf'"(rate_)?children": {n}\b', rf"(?<!\d){n} enfants? à charge"):
            found += [match.group(0) for match in re.finditer(pattern, text)]
        return found


# The measurement: RFR 38 500 €, 2,5 parts, QF 1 283,33 €, Paris grid tranche 5 (3,62 €).
CANTEEN = Figures(rfr=38500, parts="2.5")
# Resources of 8 446,42 € a month, between the CNAF floor and ceiling: the hourly rate is computed on them.
CRECHE = Figures(rfr=101357, parts="3.75", dependants=4)
HIGHEST = pricing.highest_price(pricing.parse_grid(PARIS))


def family(dossier):
    return dossier.child.household.owner


def canteen_sent(figures=CANTEEN, **kwargs):
    """A canteen dossier sent with DGFiP's figures, quoted on them (tranche 5 of the Paris grid)."""
    dossier = DossierFactory(income_declined=False, **kwargs)
    return submitted(with_income(with_grid(dossier), rfr=figures.rfr, parts=figures.parts))


def creche_contracted(figures=CRECHE):
    """A crèche dossier sent with DGFiP's figures, offered a place the family took: quote and contract on them."""
    period, creche, session = setting()
    dossier = creche_dossier(period=period, start=START, birth_date=BABY)
    submitted(with_income(dossier, rfr=figures.rfr, parts=figures.parts, nb_pac=figures.dependants))
    return services.place_offer_accept(offer=offer(dossier, session, creche), user=family(dossier))


def withdraw(dossier, django_capture_on_commit_callbacks):
    """The family withdraws its consent from its dossier page; mails go out as the worker would send them."""
    with django_capture_on_commit_callbacks(execute=True):
        status = income_status(dossier)  # a crèche's figures come from the CAF
        income_services.consent_withdraw(
            user=family(dossier), consent=status.benefit_consent or status.consent
        )
    return Dossier.objects.get(pk=dossier.pk)


def quote_row(dossier) -> str:
    """The quote as the model reads it back, decrypted: what any page or export could show."""
    quote = DossierQuote.objects.get(dossier=dossier)
    return json.dumps([str(quote.qf), quote.explanation, quote.criteria], ensure_ascii=False)


@pytest.fixture(autouse=True)
def immediate_tasks(settings):
    """The family's email is sent as soon as the action commits, so a test reads it at once."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


class TestWithdrawal:
    def test_no_page_nor_quote_shows_a_figure_and_the_highest_tariff_applies(self, client, agent):
        dossier = under_review(canteen_sent())
        quote = dossier.quote
        assert quote.amount == Decimal("3.62")  # tranche 5, on the figures
        assert CANTEEN.found_in(quote_row(dossier))
        client.force_login(family(dossier))
        response = client.post(reverse("impot:withdraw", args=[dossier.pk]))
        assert response.status_code == 302
        quote.refresh_from_db()
        assert (quote.amount, quote.income_source, quote.qf) == (HIGHEST, "withdrawn", None)
        assert quote.criteria["highest_price"] is True and quote.income_erased_at is not None
        assert "retiré votre accord" in " ".join(quote.explanation)
        assert CANTEEN.found_in(quote_row(dossier)) == []
        page = client.get(reverse("cantine:dossier_detail", args=[dossier.pk])).content.decode()
        assert "4,61\xa0€" in page and "Vous avez retiré votre accord" in page
        assert "pas encore indiqué" not in page  # the income block says the same, not « no answer yet »
        assert CANTEEN.found_in(page) == []
        client.force_login(agent)  # a superuser: allowed to see fiscal figures, if any were left
        admin_page = client.get(reverse("admin:cantine_dossier_change", args=[dossier.pk])).content.decode()
        assert "accord retiré par la famille" in admin_page and "4,61" in admin_page
        assert CANTEEN.found_in(admin_page) == []

    def test_the_family_is_told_by_a_message_and_an_email(self, django_capture_on_commit_callbacks):
        dossier = withdraw(canteen_sent(), django_capture_on_commit_callbacks)
        message = dossier.messages.get(kind=DossierMessage.Kind.INCOME_WITHDRAWN)
        assert "4,61\xa0€ par repas" in message.body and "le plus élevé" in message.body
        assert CANTEEN.found_in(message.body) == []
        assert [email.subject for email in mail.outbox if "accord retiré" in email.subject] == [
            message.subject
        ]
        assert message.recipient == family(dossier).email
        # One message, not a second « tarif modifié » beside it.
        assert not dossier.messages.filter(kind=DossierMessage.Kind.TARIFF_CHANGED).exists()

    def test_with_a_tax_notice_sent_the_tariff_waits_for_the_agent(self, django_capture_on_commit_callbacks):
        dossier = canteen_sent()
        income_services.tax_notice_upload(
            user=family(dossier), dossier=dossier, uploaded=SimpleUploadedFile("avis.pdf", PDF)
        )
        dossier = withdraw(dossier, django_capture_on_commit_callbacks)
        assert income_status(dossier).state == "notice"
        assert (dossier.quote.amount, dossier.quote.income_source) == (HIGHEST, "none")
        assert "recalculé" in " ".join(dossier.quote.explanation)
        assert CANTEEN.found_in(quote_row(dossier)) == []
        body = dossier.messages.get(kind=DossierMessage.Kind.INCOME_WITHDRAWN).body
        assert "en attendant qu'un agent lise l'avis d'imposition" in body

    def test_an_override_stays_billed_and_its_computed_part_loses_the_figures(
        self, agent, django_capture_on_commit_callbacks
    ):
        dossier = canteen_sent()
        services.dossier_quote_override(
            dossier=dossier,
            agent=agent,
            amount=Decimal("1.00"),
            justification="Situation suivie par le CCAS.",
        )
        dossier = withdraw(dossier, django_capture_on_commit_callbacks)
        quote = dossier.quote
        assert (quote.final_amount, quote.override_justification) == (
            Decimal("1.00"),
            "Situation suivie par le CCAS.",
        )
        assert quote.amount == HIGHEST and CANTEEN.found_in(quote_row(dossier)) == []

    @pytest.mark.parametrize("status", [Dossier.Status.REJECTED, Dossier.Status.CANCELLED])
    def test_a_dossier_nothing_is_billed_for_loses_its_quote(
        self, status, agent, django_capture_on_commit_callbacks
    ):
        dossier = canteen_sent()
        if status == Dossier.Status.CANCELLED:
            services.dossier_cancel(dossier=dossier, user=family(dossier))
        else:
            services.dossier_reject(dossier=under_review(dossier), agent=agent, reason="Hors secteur.")
        withdraw(dossier, django_capture_on_commit_callbacks)
        assert not DossierQuote.objects.filter(dossier=dossier).exists()

    def test_the_creche_quote_and_contract_lose_the_resources_and_keep_the_rates_signed(
        self, client, django_capture_on_commit_callbacks
    ):
        contract = creche_contracted()
        dossier = contract.dossier
        assert CRECHE.found_in(" ".join(contract.explanation)) and CRECHE.found_in(quote_row(dossier))
        withdraw(dossier, django_capture_on_commit_callbacks)
        contract.refresh_from_db()
        quote = DossierQuote.objects.get(dossier=dossier)
        assert (
            quote.criteria["highest_price"] is True and quote.criteria["clamped"] == "max"
        )  # the CNAF ceiling
        assert CRECHE.found_in(quote_row(dossier)) == []
        explanation = " ".join(contract.explanation)
        assert CRECHE.found_in(explanation) == [] and "effacé" in explanation
        assert "Mensualisation" in explanation  # the contract's own terms stay
        client.force_login(family(dossier))
        page = client.get(reverse("cantine:dossier_detail", args=[dossier.pk])).content.decode()
        assert CRECHE.found_in(page) == []
        pdf = client.get(reverse("cantine:creche_contract_pdf", args=[dossier.pk])).content
        text = pdf_text(pdf)
        assert "Mensualisation" in text and CRECHE.found_in(text) == []
        assert str(contract.monthly_fee).replace(".", ",") in text  # « 96,46 EUR », the French way

    def test_answering_again_replaces_the_figures_silently(self):
        """A new answer on the income page withdraws the previous one: its figures go, no « accord retiré »
        message (the family is answering)."""
        dossier = canteen_sent()
        services.dossier_start_review(dossier=dossier, agent=UserFactory(is_staff=True))
        services.dossier_request_documents(
            dossier=dossier, agent=UserFactory(is_staff=True), message="Pièce ?"
        )
        income_services.consent_record(
            user=family(dossier), dossier=dossier, decision="refused", shown_text_hash="b" * 64
        )
        assert not TaxData.objects.filter(dossier=dossier).exists()
        assert CANTEEN.found_in(quote_row(dossier)) == []
        assert not DossierMessage.objects.filter(dossier=dossier, kind="income_withdrawn").exists()

    def test_withdrawing_a_refusal_erases_nothing(self, django_capture_on_commit_callbacks):
        dossier = submitted(with_grid(DossierFactory()))  # income declined: highest tariff
        before = quote_row(dossier)
        withdraw(dossier, django_capture_on_commit_callbacks)
        assert quote_row(dossier) == before
        assert not dossier.messages.filter(kind="income_withdrawn").exists()


class TestPurge:
    def purge_after(self, dossier):
        day = income_services.retention_date(dossier) + timedelta(days=1)
        return income_services.tax_data_purge(today=day)

    def test_no_figure_is_left_in_quotes_nor_contracts_and_the_tariffs_billed_stay(self):
        canteen = canteen_sent()
        contract = creche_contracted()
        billed = (canteen.quote.amount, contract.hourly_rate, contract.monthly_fee)
        assert contract.dossier.period.ends_on == canteen.period.ends_on
        assert self.purge_after(canteen) == (2, 0, 2)
        canteen.quote.refresh_from_db()
        contract.refresh_from_db()
        assert (canteen.quote.amount, contract.hourly_rate, contract.monthly_fee) == billed
        assert CANTEEN.found_in(quote_row(canteen)) == []
        assert CRECHE.found_in(quote_row(contract.dossier)) == []
        assert CRECHE.found_in(" ".join(contract.explanation)) == []
        assert "durée de conservation écoulée" in " ".join(canteen.quote.explanation)
        assert canteen.quote.criteria["bracket"] == 4  # what agents and exports read stays: tranche 5

    def test_figures_an_older_purge_left_behind_go_too(self):
        dossier = canteen_sent()
        TaxData.objects.filter(dossier=dossier).delete()  # what the purge did before: quote left untouched
        assert self.purge_after(dossier) == (0, 0, 1)
        assert CANTEEN.found_in(quote_row(dossier)) == []

    def test_the_purge_costs_the_same_queries_for_many_dossiers(self):
        """Set-based: the figures of tens of thousands of dossiers go in a fixed number of queries."""
        first = canteen_sent()

        def another():
            dossier = DossierFactory(income_declined=False, period=first.period)
            return submitted(with_income(dossier, rfr=CANTEEN.rfr, parts=CANTEEN.parts))

        for _n in range(5):
            another()
        day = income_services.retention_date(first) + timedelta(days=1)
        with CaptureQueriesContext(connection) as many:
            assert income_services.tax_data_purge(today=day) == (6, 0, 6)
        assert not DossierQuote.objects.filter(income_erased_at=None).exists()
        another()
        with CaptureQueriesContext(connection) as one:
            assert income_services.tax_data_purge(today=day) == (1, 0, 1)
        assert len(many) == len(one), [query["sql"] for query in many]

    def test_a_period_still_in_its_retention_keeps_everything(self):
        dossier = canteen_sent()
        last_day = income_services.retention_date(dossier)
        assert income_services.tax_data_purge(today=last_day) == (0, 0, 0)
        assert CANTEEN.found_in(quote_row(dossier))
