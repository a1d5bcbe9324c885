"""The parking agents review applications, issue cards and export them; "Responsable" also keeps the zones and
the tariff. Written out as they stand, so that later changes do not rewrite history."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

PARKING_AGENT = [
    "view_application",
    "change_application",
    "view_applicationdocument",
    "view_card",
    "view_zonemap",
    "view_zone",
    "view_streetsegment",
    "view_parkinggrid",
]
GROUPS = {
    "Agent stationnement": PARKING_AGENT,
    "Responsable": [
        *PARKING_AGENT,
        *(f"{verb}_{model}" for verb in ("add", "change") for model in ("zonemap", "zone", "streetsegment", "parkinggrid")),
    ],
}


def create_groups(apps, schema_editor):
    # Permissions are otherwise created after the last migration (post_migrate): create this app's now.
    app_config = apps.get_app_config("stationnement")
    models_module, app_config.models_module = getattr(app_config, "models_module", None), True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.add(*Permission.objects.filter(content_type__app_label="stationnement", codename__in=codenames))


def remove_permissions(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group = Group.objects.filter(name=name).first()
        if group is not None:
            group.permissions.remove(*Permission.objects.filter(content_type__app_label="stationnement", codename__in=codenames))
    Group.objects.filter(name="Agent stationnement", permissions__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("stationnement", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_groups, remove_permissions)]
