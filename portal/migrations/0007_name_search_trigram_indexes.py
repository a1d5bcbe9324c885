"""Trigram indexes for the agents' searches on names and e-mail addresses (PostgreSQL only: pg_trgm).

The admin's `icontains` search is `UPPER(col::text) LIKE UPPER('%…%')` on PostgreSQL: a GIN index on that very
expression with gin_trgm_ops serves it over 100 000 rows. Other databases get nothing (SQLite has no pg_trgm)."""

from django.db import migrations

INDEXES = [
    ("portal_child_last_name_trgm", "portal_child", "last_name"),
    ("portal_child_first_names_trgm", "portal_child", "first_names"),
    ("portal_adult_last_name_trgm", "portal_adult", "last_name"),
    ("portal_adult_first_names_trgm", "portal_adult", "first_names"),
    ("portal_user_email_trgm", "portal_user", "email"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for name, table, column in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin ((UPPER("{column}"::text)) gin_trgm_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _table, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("portal", "0006_audit_actions")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
