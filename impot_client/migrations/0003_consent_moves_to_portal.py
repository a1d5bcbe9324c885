"""Consent records now belong to portal (portal/0003): the tax data points at them there, and only Django's state
forgets them here; the table and its rows stay."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ("impot_client", "0002_tax_data_confirmation_and_declarant_keys"),
        ("portal", "0003_audit_and_consent_join_the_core"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="taxdata",
                    name="consent",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="tax_data",
                        to="portal.consent",
                        verbose_name="consentement",
                    ),
                ),
                migrations.DeleteModel(name="Consent"),
            ]
        ),
    ]
