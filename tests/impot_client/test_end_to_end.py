"""The income step against both simulators over real HTTP, with the real DGFiP client, as `make run` serves it:
a FranceConnect family and a local-account family get their figures, and each failure ends on a clear message
with the dossier kept as a draft."""

import html
import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from cantine.management.commands.seed_demo import DEMO_FAMILY
from cantine.models import Dossier
from franceconnect.models import FranceConnectIdentity
from impot_client.models import TaxData
from portal.models import Consent, User
from tests.factories import DossierFactory
from tests.franceconnect.test_end_to_end import csrf_token, pick_identity, sandbox  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fast_failures(settings):
    settings.IMPOT_RETRY_BACKOFF = 0
    settings.IMPOT_TIMEOUT = 1.0
    settings.IMPOT_SANDBOX_SLOW_SECONDS = 2.0


def post_form(browser, page, url, **data):
    return browser.post(
        url, data={"csrfmiddlewaretoken": csrf_token(page.text), **data}, headers={"Referer": str(page.url)}
    )


def draft_for(user):
    return DossierFactory(child__household=user.household, income_declined=False)


@pytest.fixture
def demo_family(sandbox):  # noqa: F811
    """The demo family of `make run` (a local account), signed in, with a canteen draft for Léa."""
    call_command("seed_demo", force=True, stdout=StringIO())
    email, password = DEMO_FAMILY
    page = sandbox.get(reverse("portal:login"))
    post_form(sandbox, page, reverse("portal:login"), username=email, password=password)
    user = User.objects.get(email=email)
    sandbox.dossier = draft_for(user)
    return sandbox


def authorise_by_number(browser, numero_fiscal):
    url = reverse("impot:income", args=[browser.dossier.pk])
    page = browser.get(url)
    assert page.status_code == 200 and "J'autorise" in page.text
    return post_form(
        browser,
        page,
        reverse("impot:authorize", args=[browser.dossier.pk]),
        shown=hidden(page.text, "shown"),
        numero_fiscal=numero_fiscal,
    )


def hidden(html, name):
    return re.search(rf'name="{name}" value="([^"]+)"', html).group(1)


def test_a_local_account_family_gets_its_figures_by_numero_fiscal(demo_family):
    review = authorise_by_number(demo_family, "3999 9900 0002 5")
    assert review.url.path == reverse("cantine:dossier_review", args=[demo_family.dossier.pk])
    assert "en attente de vérification par un agent" in review.text and "Envoyer ma demande" in review.text
    assert "38500" not in review.text  # a local account never reads figures obtained by numéro fiscal
    tax_data = TaxData.objects.get()
    assert (tax_data.source, tax_data.rfr, str(tax_data.nb_parts)) == ("dgfip_numero_fiscal", 38500, "2.5")
    assert not tax_data.identity_mismatch
    assert len(tax_data.correlation_id) == 36


@pytest.mark.parametrize(
    ("numero_fiscal", "message"),
    [
        ("3999990000082", "ne peut pas transmettre de revenus pour ce numéro fiscal"),
        ("3999990000090", "les agents sont prévenus"),
        ("3999990000108", "ne répond pas pour le moment"),
        ("3999990000116", "ne répond pas pour le moment"),
        ("3999990009999", "ne peut pas transmettre de revenus pour ce numéro fiscal"),
    ],
    ids=["no-declaration", "access-refused", "server-error", "too-slow", "unknown-number"],
)
def test_each_failure_ends_on_a_clear_message_with_the_draft_kept(demo_family, numero_fiscal, message):
    page = authorise_by_number(demo_family, numero_fiscal)
    assert page.status_code == 200
    assert message in page.text and "Envoyer mon avis d'imposition" in page.text
    assert "Je ne communique pas mes revenus" in page.text
    assert Dossier.objects.get(pk=demo_family.dossier.pk).status == Dossier.Status.DRAFT
    assert not TaxData.objects.exists()


def test_a_wrong_gateway_url_is_not_the_familys_fault(demo_family, settings):
    """A mistyped IMPOT_API_URL: the web server's own 404 page, which DGFiP did not write."""
    settings.IMPOT_API_URL = settings.IMPOT_API_URL.replace("/impotparticulier/1.0", "/impot-particulier/1.0")
    page = authorise_by_number(demo_family, "3999990000025")
    text = html.unescape(page.text)
    assert page.status_code == 200
    assert "Ce n'est pas de votre fait" in text and "agents de la commune sont prévenus" in text
    assert "ne trouve pas de déclaration" not in text and "Vérifiez" not in text
    assert "Envoyer mon avis d'imposition" in text
    assert Dossier.objects.get(pk=demo_family.dossier.pk).status == Dossier.Status.DRAFT
    assert not TaxData.objects.exists()


def test_declarants_of_another_household_are_flagged_not_applied(demo_family):
    page = authorise_by_number(demo_family, "3999990000074")
    assert page.url.path == reverse("cantine:dossier_review", args=[demo_family.dossier.pk])
    # The family reads the same as for a match: telling them apart would tell who owns a number.
    assert "en attente de vérification par un agent" in page.text and "ne correspondent pas" not in page.text
    assert TaxData.objects.get().identity_mismatch


def test_a_franceconnect_family_gets_its_figures_through_franceconnect(sandbox):  # noqa: F811
    pick_identity(sandbox, "test")
    sandbox.dossier = draft_for(FranceConnectIdentity.objects.get().user)
    income = sandbox.get(reverse("impot:income", args=[sandbox.dossier.pk]))
    assert "J'autorise (via FranceConnect)" in income.text
    franceconnect = post_form(
        sandbox,
        income,
        reverse("impot:authorize", args=[sandbox.dossier.pk]),
        shown=hidden(income.text, "shown"),
    )
    assert "/sandbox/franceconnect/api/v2/authorize" in str(franceconnect.url)
    assert "dgfip_rfr" in str(franceconnect.url)
    review = post_form(sandbox, franceconnect, str(franceconnect.url), identity="test")
    assert review.url.path == reverse("cantine:dossier_review", args=[sandbox.dossier.pk])
    assert "21\xa0450\xa0€" in html.unescape(review.text)
    tax_data = TaxData.objects.get()
    assert tax_data.source == "dgfip_franceconnect" and tax_data.consent.mode == Consent.Mode.FRANCECONNECT


def test_a_franceconnect_family_with_no_declaration_keeps_its_draft(sandbox):  # noqa: F811
    pick_identity(sandbox, "date_naissance_partielle")
    sandbox.dossier = draft_for(FranceConnectIdentity.objects.get().user)
    income = sandbox.get(reverse("impot:income", args=[sandbox.dossier.pk]))
    franceconnect = post_form(
        sandbox,
        income,
        reverse("impot:authorize", args=[sandbox.dossier.pk]),
        shown=hidden(income.text, "shown"),
    )
    page = post_form(sandbox, franceconnect, str(franceconnect.url), identity="date_naissance_partielle")
    assert page.url.path == reverse("impot:income", args=[sandbox.dossier.pk])
    assert "ne trouve pas de déclaration de revenus récente" in page.text
    assert Dossier.objects.get(pk=sandbox.dossier.pk).status == Dossier.Status.DRAFT
