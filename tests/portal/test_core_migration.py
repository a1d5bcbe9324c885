"""portal/0003 moves the audit log and the consent records into the core: only Django's state moves. A database
migrated at the previous layout keeps every row, and the agents' groups keep their permissions on both."""

import pytest
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from portal.models import AuditEntry, Consent
from tests.factories import DossierFactory, UserFactory

BEFORE = [
    ("portal", "0002_operational_alerts"),
    ("cantine", "0011_confirm_action"),
    ("impot_client", "0002_tax_data_confirmation_and_declarant_keys"),
]


def migrate(targets):
    MigrationExecutor(connection).migrate(targets)


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def rows(table: str) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} ORDER BY id")  # noqa: S608  a constant table name
        return cursor.fetchall()


def group_permissions(name: str) -> set[str]:
    group = Group.objects.get(name=name)
    return {
        f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")
    }


@pytest.mark.django_db(transaction=True)
def test_rows_and_permissions_survive_the_move_both_ways(migrations_data):
    dossier = DossierFactory()
    agent = UserFactory(is_staff=True)
    AuditEntry.objects.create(actor=agent, action=AuditEntry.Action.VIEWED_FISCAL_DATA, dossier=dossier)
    assert Consent.objects.filter(dossier=dossier).exists()  # the factory's: its income declined
    audit, consents = rows("cantine_auditentry"), rows("impot_client_consent")
    assert len(audit) == len(consents) == 1
    assert {"portal.view_auditentry", "portal.view_consent"} <= group_permissions("Responsable")
    try:
        migrate(BEFORE)
        before = rows("impot_client_consent")
        # the columns later migrations added (the consent's source...) are not there yet
        assert (rows("cantine_auditentry"), before) == (audit, [row[: len(before[0])] for row in consents])
        assert {"cantine.view_auditentry", "impot_client.view_consent"} <= group_permissions("Responsable")
        assert not ContentType.objects.filter(
            app_label="portal", model__in=["auditentry", "consent"]
        ).exists()
    finally:
        migrate(latest())
    assert (rows("cantine_auditentry"), rows("impot_client_consent")) == (audit, consents)
    assert {"portal.view_auditentry", "portal.view_consent"} <= group_permissions("Responsable")
    assert "impot_client.view_consent" not in group_permissions("Agent restauration scolaire")
    assert "portal.view_consent" in group_permissions("Agent restauration scolaire")
    assert not ContentType.objects.filter(app_label="cantine", model="auditentry").exists()
    assert AuditEntry.objects.get().dossier == dossier and Consent.objects.get().dossier == dossier
