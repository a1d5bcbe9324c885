"""The commune's SIRET is checked at start: API Particulier refuses any call without a valid `recipient`, and a
mistyped one would only show when a family asks for its quotient familial."""

import pytest
from django.core.checks import run_checks

from api_particulier.checks import is_siret


@pytest.mark.parametrize("siret", ["13002526500013", "21690123100011", "35600000000010"])
def test_valid_sirets(siret):
    assert is_siret(siret)


@pytest.mark.parametrize(
    "siret",
    [
        "",
        "13002526500014",
        "1300252650001",
        "130025265000130",
        "13002 526500013",
        "١٣٠٠٢٥٢٦٥٠٠٠١٣",
        "35600000000011",
    ],
)
def test_invalid_sirets(siret):
    assert not is_siret(siret)


def ids(messages, prefix="api_particulier."):
    return sorted(message.id for message in messages if message.id.startswith(prefix))


def test_a_wrong_recipient_stops_the_start_when_the_url_is_set(settings):
    settings.API_PARTICULIER_URL = "https://particulier.api.gouv.fr"
    settings.API_PARTICULIER_TOKEN = "jeton"
    settings.API_PARTICULIER_RECIPIENT = "13002526500014"
    [error] = [message for message in run_checks() if message.id == "api_particulier.E001"]
    assert error.is_serious() and "SIRET" in error.msg and "13002526500014" in error.msg


def test_a_missing_token_stops_the_start_when_the_url_is_set(settings):
    settings.API_PARTICULIER_URL = "https://particulier.api.gouv.fr"
    settings.API_PARTICULIER_TOKEN = ""
    settings.API_PARTICULIER_RECIPIENT = "13002526500013"
    assert ids(run_checks()) == ["api_particulier.E002"]


def test_nothing_is_asked_without_the_url(settings):
    settings.API_PARTICULIER_URL = ""
    settings.API_PARTICULIER_RECIPIENT = "pas un siret"
    assert ids(run_checks(include_deployment_checks=True)) == []


def test_a_configured_url_warns_about_a_per_process_cache_at_deployment(settings):
    settings.API_PARTICULIER_URL = "https://particulier.api.gouv.fr"
    settings.API_PARTICULIER_TOKEN = "jeton"
    settings.API_PARTICULIER_RECIPIENT = "13002526500013"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    assert ids(run_checks(include_deployment_checks=True)) == ["api_particulier.W001"]
    assert ids(run_checks()) == []
