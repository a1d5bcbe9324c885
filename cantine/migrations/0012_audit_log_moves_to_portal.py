"""The audit log now belongs to portal (portal/0003): only Django's state forgets it here, the table stays."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ("cantine", "0011_confirm_action"),
        ("portal", "0003_audit_and_consent_join_the_core"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[migrations.DeleteModel(name="AuditEntry")]),
    ]
