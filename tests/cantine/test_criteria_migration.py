"""0010 moves the quotes' criteria, which hold the QF and the PSU resources, to an encrypted column: the rows
already there are encrypted by the migration, and unapplying it gives them back in clear."""

import json

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from cantine.models import DossierQuote
from tests.cantine.backoffice import submitted, with_grid, with_income
from tests.factories import DossierFactory

BEFORE, AFTER = ("cantine", "0009_creche_roles"), ("cantine", "0010_encrypt_quote_criteria_and_erase_income")


def migrate(target):
    """To `target`; AFTER means the latest migrations again (unapplying 0010 also unapplied what depends on it)."""
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes() if target == AFTER else [target])


def raw_criteria(quote) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT criteria FROM cantine_dossierquote WHERE id = %s", [quote.pk])
        value = cursor.fetchone()[0]
    return value if isinstance(value, str) else json.dumps(value)  # PostgreSQL's jsonb comes back as a dict


@pytest.mark.django_db(transaction=True)
def test_existing_clear_criteria_are_encrypted_and_read_back():
    quote = submitted(with_income(with_grid(DossierFactory(income_declined=False)))).quote
    criteria = quote.criteria
    assert raw_criteria(quote).startswith("gAAAAA")
    try:
        migrate(BEFORE)
        assert json.loads(raw_criteria(quote)) == criteria  # in clear, as before 0010
    finally:
        migrate(AFTER)
    assert raw_criteria(quote).startswith("gAAAAA")
    assert DossierQuote.objects.get(pk=quote.pk).criteria == criteria
    assert criteria["bracket"] == 3  # QF 933,33: tranche 4 of the Paris grid, kept for agents and exports
