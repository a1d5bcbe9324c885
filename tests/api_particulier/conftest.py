from datetime import date

import pytest
from django.core.cache import cache

from api_particulier import client
from api_particulier.situation import IdentityPivot
from tests.api_particulier import contract as contract_module

API_URL = "https://particulier.test"
TOKEN = "commune-token-7d2e"
FC_TOKEN = "fc-access-token-4f1c"
RECIPIENT = "13002526500013"
CLAIRE = IdentityPivot(
    nom_naissance="MARTIN",
    prenoms=("Claire", "Marie"),
    sexe="F",
    date_naissance=date(1988, 4, 12),
    code_cog_insee_pays_naissance="99100",
    code_cog_insee_commune_naissance="69123",
)


@pytest.fixture(autouse=True)
def particulier_settings(settings):
    settings.API_PARTICULIER_URL = API_URL
    settings.API_PARTICULIER_TOKEN = TOKEN
    settings.API_PARTICULIER_RECIPIENT = RECIPIENT
    settings.API_PARTICULIER_TIMEOUT = 5.0
    cache.clear()


@pytest.fixture(autouse=True)
def sleeps(monkeypatch):
    """The backoffs asked for; no test ever really waits."""
    asked = []
    monkeypatch.setattr(client, "sleep", asked.append)
    return asked


@pytest.fixture(scope="session")
def contract() -> contract_module.Contract:
    return contract_module.load()
