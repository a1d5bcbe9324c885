"""The crèche agents run the allocation committee; "Responsable" also sets the capacities and the published
criteria. Written out as they stood, like 0007_roles, so that later changes do not rewrite history."""

import importlib

from django.db import migrations

CRECHE_AGENT = [
    ("cantine", "view_crechecapacity"),
    ("cantine", "view_waitinglistcriterion"),
    ("cantine", "view_committeesession"),
    ("cantine", "add_committeesession"),
    ("cantine", "change_committeesession"),
    ("cantine", "view_placeoffer"),
    ("cantine", "view_crechecontract"),
]
GROUPS = {
    "Agent petite enfance": CRECHE_AGENT,
    "Responsable": [
        *CRECHE_AGENT,
        ("cantine", "add_crechecapacity"),
        ("cantine", "change_crechecapacity"),
        ("cantine", "change_waitinglistcriterion"),
    ],
}


def grant(apps, schema_editor):
    # 0007's step creates the permissions now (of these new models too) and leaves existing groups as they are.
    importlib.import_module("cantine.migrations.0007_roles").create_groups(apps, schema_editor)
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        Group.objects.get(name=name).permissions.add(
            *(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
                for app_label, codename in codenames
            )
        )


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        Group.objects.get(name=name).permissions.remove(
            *Permission.objects.filter(codename__in=[codename for _app, codename in codenames])
        )


class Migration(migrations.Migration):
    dependencies = [("cantine", "0008_creche_places")]

    operations = [migrations.RunPython(grant, revoke)]
