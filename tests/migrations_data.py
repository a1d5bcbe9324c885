"""A transactional test empties every table when it ends, what the data migrations ship included: these put it
back with the migrations' own steps, each run on the models as they stood at its migration."""

import importlib

from django.apps import apps
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

ROLES = ("cantine", "0009_creche_roles")
CORE = ("portal", "0003_audit_and_consent_join_the_core")


def _migration(app_label: str, name: str):
    return importlib.import_module(f"{app_label}.migrations.{name}")


def restore_groups():
    """The agents' groups (0007's step runs first, from 0009's), then their permissions on the models that
    moved to the core follow them there (portal/0003)."""
    loader = MigrationExecutor(connection).loader
    _migration(*ROLES).grant(loader.project_state(ROLES).apps, None)
    _migration(*CORE).relabel_content_types(loader.project_state(CORE).apps, None)


def restore_shipped_data():
    restore_groups()
    _migration("cantine", "0004_psu_bareme").ship(apps, None)
    _migration("cantine", "0008_creche_places").publish_default_criteria(apps, None)
