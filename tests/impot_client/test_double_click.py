"""A double click on « J'autorise » or « Je ne communique pas mes revenus » (issue 15, gap 8): one consent, one
DGFiP lookup, the second click sees what the first obtained."""

import pytest
from django.core.cache import cache

from cantine.income import services as income_services
from impot_client import services
from impot_client.models import TaxData
from impot_client.situation import ImpotUnavailable
from portal.models import Consent
from tests.impot_client.conftest import grant, situation_for

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()


@pytest.fixture
def lookups(monkeypatch, holder):
    made = []

    def fetch(spi, today=None):
        made.append(spi)
        return situation_for(holder)

    monkeypatch.setattr(services.client, "fetch_by_numero_fiscal", fetch)
    return made


def test_the_same_answer_twice_is_one_consent(dossier):
    first, second = grant(dossier), grant(dossier)
    assert first.pk == second.pk
    assert Consent.objects.filter(dossier=dossier, withdrawn_at__isnull=True).count() == 1


def test_declining_twice_is_one_refusal_per_source(dossier):
    owner = dossier.child.household.owner
    first = income_services.income_decline(user=owner, dossier=dossier, shown_text_hash="a" * 64)
    second = income_services.income_decline(user=owner, dossier=dossier, shown_text_hash="a" * 64)
    assert [c.pk for c in first] == [c.pk for c in second]
    assert Consent.objects.filter(dossier=dossier).count() == len(first)


def test_another_answer_replaces_the_first(dossier):
    first = grant(dossier)
    owner = dossier.child.household.owner
    refusal = income_services.consent_record(
        user=owner, dossier=dossier, decision="refused", shown_text_hash="a" * 64
    )
    first.refresh_from_db()
    assert first.withdrawn_at is not None and refusal.pk != first.pk


def test_a_lookup_under_way_is_waited_for_and_its_figures_given(dossier, lookups, monkeypatch):
    consent = grant(dossier)
    first = services.tax_data_fetch_by_numero_fiscal(consent=consent, numero_fiscal="3999990000025")
    cache.add(f"impot_client:lookup:{consent.pk}", "1", 30)  # the first click's lookup, still running
    monkeypatch.setattr(services, "wait", lambda seconds: cache.delete(f"impot_client:lookup:{consent.pk}"))
    second = services.tax_data_fetch_by_numero_fiscal(consent=consent, numero_fiscal="3999990000025")
    assert second.pk == first.pk and lookups == ["3999990000025"]  # one call to DGFiP
    assert TaxData.objects.filter(dossier=dossier).count() == 1


def test_a_lookup_under_way_that_failed_lets_the_family_try_again(dossier, lookups, monkeypatch):
    consent = grant(dossier)
    cache.add(f"impot_client:lookup:{consent.pk}", "1", 30)
    monkeypatch.setattr(services, "wait", lambda seconds: cache.delete(f"impot_client:lookup:{consent.pk}"))
    with pytest.raises(ImpotUnavailable):
        services.tax_data_fetch_by_numero_fiscal(consent=consent, numero_fiscal="3999990000025")
    assert lookups == []
    services.tax_data_fetch_by_numero_fiscal(consent=consent, numero_fiscal="3999990000025")  # the lease is gone
    assert lookups == ["3999990000025"]
