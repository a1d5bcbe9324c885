"""The lookup limits are read at start: a mistyped one stops the start, not a family typing its number."""

import pytest
from django.core.checks import run_checks


@pytest.mark.parametrize("typed", ["5/hr", "cinq par heure", "5/hour;;"])
def test_a_mistyped_lookup_limit_is_an_error_at_start_not_when_a_family_types_its_number(settings, typed):
    settings.IMPOT_NUMERO_FISCAL_ATTEMPTS_PER_DOSSIER = typed
    [error] = [message for message in run_checks() if message.id == "impot_client.E002"]
    assert error.is_serious() and "IMPOT_NUMERO_FISCAL_ATTEMPTS_PER_DOSSIER" in error.msg


def test_the_default_lookup_limits_are_readable():
    assert [message for message in run_checks() if message.id == "impot_client.E002"] == []
