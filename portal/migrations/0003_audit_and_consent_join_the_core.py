"""The audit log (from cantine) and the consent records (from impot_client) join the core that every démarche
shares. Only Django's state moves: the tables keep their names and their rows (Meta.db_table), and the content
types are relabelled so the agents' groups keep their permissions on them."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

MOVED = (("cantine", "auditentry"), ("impot_client", "consent"))


def relabel_content_types(apps, schema_editor, *, forward=True):
    """The moved models' content types change app, with the permissions the groups hold on them. If both exist
    (post_migrate made the new one after a flush, then the roles were granted again), the old one's grants go to
    the new one's permissions and the old one is dropped."""
    content_types = apps.get_model("contenttypes", "ContentType")
    permissions = apps.get_model("auth", "Permission")
    for old_label, model in MOVED:
        source_label, target_label = (old_label, "portal") if forward else ("portal", old_label)
        source = content_types.objects.filter(app_label=source_label, model=model).first()
        if source is None:
            continue
        target = content_types.objects.filter(app_label=target_label, model=model).first()
        if target is None:
            source.app_label = target_label
            source.save(update_fields=["app_label"])
            continue
        for old in permissions.objects.filter(content_type=source):
            new = permissions.objects.filter(content_type=target, codename=old.codename).first()
            if new is not None:
                for group in old.group_set.all():
                    group.permissions.add(new)
                for user in old.user_set.all():
                    user.user_permissions.add(new)
        source.delete()


def relabel_back(apps, schema_editor):
    relabel_content_types(apps, schema_editor, forward=False)


class Migration(migrations.Migration):

    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("portal", "0002_operational_alerts"),
        ("cantine", "0011_confirm_action"),
        ("impot_client", "0002_tax_data_confirmation_and_declarant_keys"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='AuditEntry',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('action', models.CharField(choices=[('viewed_fiscal_data', 'a consulté les données fiscales'), ('decided', 'a changé le statut'), ('entered_figures', "a saisi les montants d'un avis d'imposition"), ('overrode_tariff', 'a modifié le tarif'), ('recomputed_tariff', 'a recalculé le tarif'), ('exported', 'a exporté'), ('changed_grid', 'a modifié une grille tarifaire'), ('offered_place', 'a proposé une place en crèche'), ('confirmed_declarants', "a confirmé les déclarants d'un numéro fiscal")], max_length=30, verbose_name='action')),
                        ('detail', models.JSONField(blank=True, default=dict, verbose_name='détail')),
                        ('ip_address', models.GenericIPAddressField(blank=True, null=True, verbose_name='adresse IP')),
                        ('at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='le')),
                        ('actor', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='agent')),
                        ('dossier', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='audit', to='cantine.dossier', verbose_name='demande')),
                    ],
                    options={
                        'verbose_name': "entrée du journal d'audit",
                        'verbose_name_plural': "journal d'audit",
                        'db_table': 'cantine_auditentry',
                        'ordering': ['-at', '-pk'],
                    },
                ),
                migrations.CreateModel(
                    name='Consent',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('decision', models.CharField(choices=[('granted', 'Autorisé'), ('refused', 'Refusé (tarif le plus élevé)')], max_length=10, verbose_name='réponse')),
                        ('mode', models.CharField(blank=True, choices=[('franceconnect', 'Via FranceConnect'), ('numero_fiscal', 'Par numéro fiscal')], max_length=20, verbose_name='mode')),
                        ('fields', models.JSONField(blank=True, default=list, verbose_name='données demandées')),
                        ('purpose', models.TextField(verbose_name='finalité')),
                        ('text_hash', models.CharField(help_text='SHA-256 du texte lu par la famille.', max_length=64, verbose_name='empreinte du texte affiché')),
                        ('given_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='donné le')),
                        ('withdrawn_at', models.DateTimeField(blank=True, null=True, verbose_name='retiré le')),
                        ('dossier', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='consents', to='cantine.dossier', verbose_name='demande')),
                        ('household', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='consents', to='portal.household', verbose_name='foyer')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='compte')),
                    ],
                    options={
                        'verbose_name': 'consentement',
                        'verbose_name_plural': 'consentements',
                        'db_table': 'impot_client_consent',
                        'ordering': ['-given_at'],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('withdrawn_at__isnull', True)), fields=('dossier',), name='one_live_consent_per_dossier'), models.CheckConstraint(condition=models.Q(models.Q(('decision', 'refused'), ('mode', '')), models.Q(('decision', 'granted'), models.Q(('mode', ''), _negated=True)), _connector='OR'), name='consent_mode_only_when_granted')],
                    },
                ),
            ],
            database_operations=[],
        ),
        migrations.RunPython(relabel_content_types, relabel_back),
    ]
