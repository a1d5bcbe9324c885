"""The social tariff's income (IncomeFigures), the consent's fields, why the social tariff did not apply; the parking
agents and managers read the figures of the applications they check."""

import django.db.models.deletion
import django.utils.timezone
import portal.fields
from django.contrib.auth.management import create_permissions
from django.db import migrations, models

GROUPS = ("Agent stationnement", "Responsable")


def grant_view(apps, schema_editor):
    app_config = apps.get_app_config("stationnement")
    models_module, app_config.models_module = getattr(app_config, "models_module", None), True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = models_module
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    view = Permission.objects.filter(content_type__app_label="stationnement", codename="view_incomefigures")
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.add(*view)


def revoke_view(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    view = Permission.objects.filter(content_type__app_label="stationnement", codename="view_incomefigures")
    for group in Group.objects.filter(name__in=GROUPS):
        group.permissions.remove(*view)


class Migration(migrations.Migration):
    dependencies = [
        ("stationnement", "0002_roles"),
    ]

    operations = [
        migrations.AddField(
            model_name="application",
            name="consent_fields",
            field=models.JSONField(blank=True, default=list, verbose_name="données demandées"),
        ),
        migrations.AddField(
            model_name="application",
            name="income_problem",
            field=models.CharField(
                blank=True,
                help_text="Pourquoi les revenus demandés pour le tarif social n'ont pas été obtenus ou retenus.",
                max_length=20,
                verbose_name="tarif social non appliqué",
            ),
        ),
        migrations.CreateModel(
            name="IncomeFigures",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "source",
                    models.CharField(
                        choices=[
                            ("caf", "CAF (API Particulier)"),
                            ("msa", "MSA (API Particulier)"),
                            ("dgfip", "DGFiP (API Impôt particulier)"),
                        ],
                        max_length=5,
                        verbose_name="source",
                    ),
                ),
                (
                    "certified",
                    models.BooleanField(
                        default=False,
                        help_text="L'identité du demandeur est établie.",
                        verbose_name="via FranceConnect",
                    ),
                ),
                ("year", models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="année")),
                ("month", models.PositiveSmallIntegerField(blank=True, null=True, verbose_name="mois du QF")),
                (
                    "qf",
                    portal.fields.EncryptedIntegerField(
                        blank=True, null=True, verbose_name="quotient familial (€)"
                    ),
                ),
                (
                    "rfr",
                    portal.fields.EncryptedIntegerField(
                        blank=True, null=True, verbose_name="revenu fiscal de référence (€)"
                    ),
                ),
                (
                    "nb_parts",
                    portal.fields.EncryptedDecimalField(
                        blank=True, null=True, verbose_name="nombre de parts"
                    ),
                ),
                (
                    "identity_mismatch",
                    models.BooleanField(
                        default=False,
                        help_text="Les déclarants ou allocataires ne sont pas les adultes du foyer : pas de tarif social.",
                        verbose_name="personnes différentes",
                    ),
                ),
                (
                    "correlation_id",
                    models.CharField(blank=True, max_length=64, verbose_name="identifiant de corrélation"),
                ),
                (
                    "obtained_at",
                    models.DateTimeField(default=django.utils.timezone.now, verbose_name="obtenu le"),
                ),
                (
                    "application",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="income",
                        to="stationnement.application",
                        verbose_name="demande",
                    ),
                ),
            ],
            options={
                "verbose_name": "revenus du tarif social",
                "verbose_name_plural": "revenus du tarif social",
            },
        ),
        migrations.RunPython(grant_view, revoke_view),
    ]
