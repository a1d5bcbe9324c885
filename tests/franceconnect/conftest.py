import pytest
from django.core.cache import cache

from tests.franceconnect.op import CLIENT_ID, CLIENT_SECRET, ISSUER, FakeProvider


@pytest.fixture
def provider(respx_mock, settings):
    """FakeProvider behind respx, with the portal's FranceConnect settings pointing at it."""
    settings.FRANCECONNECT_ISSUER = ISSUER
    settings.FRANCECONNECT_CLIENT_ID = CLIENT_ID
    settings.FRANCECONNECT_CLIENT_SECRET = CLIENT_SECRET
    cache.clear()
    yield FakeProvider(respx_mock)
    cache.clear()
