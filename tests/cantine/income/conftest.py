"""The income step is tested on the tax app's fixtures: a draft dossier, its household's holder, a stranger, and
notices kept in a temporary directory."""

from tests.impot_client.conftest import dossier, holder, private_media, stranger  # noqa: F401 - fixtures
