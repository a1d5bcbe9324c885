"""The agents' groups and their permissions (cantine.roles says which services each group sees).

Seeing tax figures (cantine.view_fiscal_data) is not given to the agent groups: a commune grants it per person.
The lists are written out here, as they stood, so that later changes to the models do not rewrite history."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

AGENT = [
    ("cantine", "view_dossier"),
    ("cantine", "change_dossier"),
    ("cantine", "view_crechechoice"),
    ("cantine", "view_dossierstatuschange"),
    ("cantine", "view_dossiermessage"),
    ("cantine", "view_service"),
    ("cantine", "view_period"),
    ("cantine", "view_establishment"),
    ("portal", "view_household"),
    ("portal", "view_adult"),
    ("portal", "view_child"),
    ("impot_client", "view_taxnotice"),
    ("impot_client", "view_consent"),
]
GROUPS = {
    "Agent restauration scolaire": AGENT,
    "Agent petite enfance": AGENT,
    "Responsable": [
        *AGENT,
        ("cantine", "view_fiscal_data"),
        ("cantine", "export_dossiers"),
        ("cantine", "view_auditentry"),
        ("cantine", "view_tariffgrid"),
        ("cantine", "add_tariffgrid"),
        ("cantine", "change_tariffgrid"),
        ("cantine", "view_psueffortrate"),
        ("cantine", "change_psueffortrate"),
        ("cantine", "view_psuresourcelimit"),
        ("cantine", "change_psuresourcelimit"),
        ("impot_client", "view_taxdata"),
    ],
}


def create_groups(apps, schema_editor):
    # Permissions are otherwise created after the last migration (post_migrate): create them now. Migration
    # states have no models module, which create_permissions requires; restored after, for other callers
    # (tests/browser/test_agent_journey.py runs this again after a transactional test emptied the tables).
    for app_config in apps.get_app_configs():
        models_module, app_config.models_module = getattr(app_config, "models_module", None), True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in GROUPS.items():
        group, _created = Group.objects.get_or_create(name=name)
        group.permissions.add(
            *(
                Permission.objects.get(content_type__app_label=app_label, codename=codename)
                for app_label, codename in codenames
            )
        )


def delete_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("cantine", "0006_messages_and_tariff_override"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("portal", "0001_initial"),
        ("impot_client", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_groups, delete_groups)]
