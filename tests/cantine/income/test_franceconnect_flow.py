"""FranceConnect mode: consent, a second FranceConnect round trip with the dgfip_* scopes, then DGFiP at once."""

import httpx
import pytest
from django.core.cache import cache
from django.urls import reverse

from franceconnect.models import FranceConnectIdentity
from impot_client import services
from impot_client.models import TaxData
from impot_client.situation import NoDeclaration
from portal.models import Consent
from tests.factories import DossierFactory
from tests.franceconnect.op import ISSUER, authorize_params
from tests.impot_client.conftest import situation_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def fc_client(client, provider):
    """A family signed in with FranceConnect (identity « test »), with a canteen draft."""
    query = authorize_params(client.get(reverse("franceconnect:login")).url)
    provider.nonce = query["nonce"]
    client.get(reverse("franceconnect:callback"), {"code": "c", "state": query["state"]})
    client.user = FranceConnectIdentity.objects.get().user
    client.dossier = DossierFactory(child__household=client.user.household, income_declined=False)
    return client


@pytest.fixture
def dgfip(monkeypatch):
    calls = []

    def fetch(access_token, today=None):
        calls.append(access_token)
        if isinstance(fetch.answer, Exception):
            raise fetch.answer
        return fetch.answer

    fetch.calls = calls
    monkeypatch.setattr(services.client, "fetch_with_franceconnect", fetch)
    return fetch


def authorise(client, provider):
    dossier = client.dossier
    shown = client.get(reverse("impot:income", args=[dossier.pk])).context["shown"]
    response = client.post(reverse("impot:authorize", args=[dossier.pk]), {"shown": shown})
    assert response.status_code == 302 and response.url.startswith(f"{ISSUER}/authorize?")
    query = authorize_params(response.url)
    provider.nonce = query["nonce"]
    return query


def test_the_page_offers_franceconnect_and_no_numero_fiscal(fc_client):
    page = fc_client.get(reverse("impot:income", args=[fc_client.dossier.pk])).content.decode()
    assert "J'autorise (via FranceConnect)" in page and "Numéro fiscal" not in page


def test_consent_sends_to_franceconnect_with_the_consented_dgfip_scopes_only(fc_client, provider, dgfip):
    query = authorise(fc_client, provider)
    assert query["scope"].split() == [
        "openid",
        "dgfip_rfr",
        "dgfip_nbpart",
        "dgfip_annee_n_moins_1",
        "dgfip_annee_n_moins_2_si_indispo_n_moins_1",
    ]
    assert query["redirect_uri"].endswith("/demarches/revenus/franceconnect/retour/")
    consent = Consent.objects.get()
    assert (consent.mode, consent.fields) == ("franceconnect", ["rfr", "nb_parts"])
    assert dgfip.calls == []  # nothing asked before FranceConnect confirms


def test_the_callback_calls_dgfip_at_once_with_the_fresh_access_token(fc_client, provider, dgfip):
    dgfip.answer = situation_for(fc_client.user.household.adults.get())
    query = authorise(fc_client, provider)
    response = fc_client.get(reverse("impot:franceconnect_callback"), {"code": "c2", "state": query["state"]})
    assert response.url == reverse("cantine:dossier_review", args=[fc_client.dossier.pk])
    assert dgfip.calls == ["access-123"]
    tax_data = TaxData.objects.get()
    assert (tax_data.source, tax_data.consent.mode) == (TaxData.Source.DGFIP_FRANCECONNECT, "franceconnect")


def test_another_franceconnect_identity_is_refused_before_dgfip(fc_client, provider, dgfip):
    query = authorise(fc_client, provider)
    provider.id_claims = {"sub": "someone-else-v1"}
    response = fc_client.get(
        reverse("impot:franceconnect_callback"), {"code": "c2", "state": query["state"]}, follow=True
    )
    assert "une autre identité" in response.content.decode()
    assert dgfip.calls == [] and not TaxData.objects.exists()


def test_a_cancel_at_franceconnect_keeps_the_draft_and_offers_the_alternatives(fc_client, provider, dgfip):
    query = authorise(fc_client, provider)
    response = fc_client.get(
        reverse("impot:franceconnect_callback"), {"error": "access_denied", "state": query["state"]}
    )
    assert "Vous avez annulé" in response.content.decode()
    page = fc_client.get(reverse("impot:income", args=[fc_client.dossier.pk])).content.decode()
    assert "pas encore transmis vos revenus" in page and "Envoyer mon avis d'imposition" in page
    assert dgfip.calls == []


def test_a_dgfip_failure_after_franceconnect_is_explained_on_the_income_page(fc_client, provider, dgfip):
    dgfip.answer = NoDeclaration()
    query = authorise(fc_client, provider)
    response = fc_client.get(
        reverse("impot:franceconnect_callback"), {"code": "c2", "state": query["state"]}, follow=True
    )
    page = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("impot:income", args=[fc_client.dossier.pk])
    assert "Vos revenus n'ont pas pu être obtenus" in page and "pas de déclaration de revenus récente" in page
    assert "Je ne communique pas mes revenus" in page
    again = fc_client.get(reverse("impot:income", args=[fc_client.dossier.pk])).content.decode()
    assert "pas de déclaration de revenus récente" not in again  # shown once


def test_a_sign_in_state_cannot_finish_the_tax_flow(fc_client, provider, dgfip):
    query = authorize_params(fc_client.get(reverse("franceconnect:login")).url)
    response = fc_client.get(reverse("impot:franceconnect_callback"), {"code": "c", "state": query["state"]})
    assert response.status_code == 400 and dgfip.calls == []


def test_franceconnect_down_when_consenting_keeps_the_draft_and_says_so(fc_client, provider, dgfip):
    cache.clear()  # the discovery document was cached at sign-in
    provider.mock.get(f"{ISSUER}/.well-known/openid-configuration").mock(return_value=httpx.Response(503))
    dossier = fc_client.dossier
    shown = fc_client.get(reverse("impot:income", args=[dossier.pk])).context["shown"]
    response = fc_client.post(reverse("impot:authorize", args=[dossier.pk]), {"shown": shown})
    page = response.content.decode()
    assert response.status_code == 200 and "FranceConnect ne répond pas" in page
    assert "Envoyer mon avis d'imposition" in page and dgfip.calls == []


def test_a_consent_withdrawn_during_the_round_trip_asks_nothing(fc_client, provider, dgfip):
    query = authorise(fc_client, provider)
    withdraw = reverse("impot:withdraw", args=[fc_client.dossier.pk])
    fc_client.post(withdraw)  # in another tab, while FranceConnect was open
    response = fc_client.get(reverse("impot:franceconnect_callback"), {"code": "c2", "state": query["state"]})
    assert response.status_code == 400 and dgfip.calls == [] and not TaxData.objects.exists()
