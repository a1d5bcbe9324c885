"""`seed_scale`, the bench's dataset, at a tiny scale: it seeds once, refreshes the planner's statistics, and a
second run adds nothing."""

from importlib import import_module
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.db import connection

from cantine.management.commands.seed_scale import FAMILY_EMAIL
from cantine.models import Dossier
from portal.models import User


def analysed_tables():
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT relname FROM pg_stat_user_tables WHERE relname = 'cantine_dossier' AND last_analyze IS NOT NULL"
            )
        else:
            cursor.execute("SELECT tbl FROM sqlite_stat1 WHERE tbl = 'cantine_dossier'")
        return cursor.fetchall()


@pytest.mark.django_db(transaction=True)  # VACUUM runs outside a transaction
def test_seeds_once_and_leaves_the_planner_statistics_fresh(settings):
    # An earlier transactional test's flush emptied the barème its data migration ships (it fills empty tables).
    import_module("cantine.migrations.0004_psu_bareme").ship(apps, None)
    settings.DEBUG = True
    call_command("seed_scale", "--scale", "0.0005", stdout=StringIO())
    assert User.objects.filter(email=FAMILY_EMAIL).exists()
    assert analysed_tables()
    dossiers = Dossier.objects.count()
    assert dossiers > 50

    out = StringIO()
    call_command("seed_scale", "--scale", "0.0005", stdout=out)
    assert "déjà présent" in out.getvalue()
    assert Dossier.objects.count() == dossiers
