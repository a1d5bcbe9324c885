"""Figures derived from tax data: the quote's criteria encrypted (existing rows too), and when they were erased."""
import portal.fields
from django.db import migrations, models


def encrypt_criteria(apps, schema_editor):
    for quote in apps.get_model("cantine", "DossierQuote").objects.iterator():
        quote.criteria = quote.criteria_clear
        quote.save(update_fields=["criteria"])


def decrypt_criteria(apps, schema_editor):
    for quote in apps.get_model("cantine", "DossierQuote").objects.iterator():
        quote.criteria_clear = quote.criteria
        quote.save(update_fields=["criteria_clear"])


class Migration(migrations.Migration):

    dependencies = [
        ('cantine', '0009_creche_roles'),
    ]

    operations = [
        migrations.AddField(
            model_name='crechecontract',
            name='income_erased_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='revenus effacés le'),
        ),
        migrations.AddField(
            model_name='dossierquote',
            name='income_erased_at',
            field=models.DateTimeField(blank=True, null=True, verbose_name='revenus effacés le'),
        ),
        migrations.AlterField(
            model_name='dossiermessage',
            name='kind',
            field=models.CharField(choices=[('submitted', 'Demande reçue'), ('accepted', 'Demande acceptée'), ('rejected', 'Demande refusée'), ('documents_requested', 'Pièces demandées'), ('tariff_changed', 'Tarif modifié'), ('place_offered', 'Place en crèche proposée'), ('contract_drawn', "Contrat d'accueil établi"), ('income_withdrawn', 'Accord retiré, revenus effacés')], max_length=30, verbose_name='type'),
        ),
        # The criteria hold the QF and the PSU resources: moved to an encrypted column, row by row.
        migrations.RenameField(model_name='dossierquote', old_name='criteria', new_name='criteria_clear'),
        migrations.AddField(
            model_name='dossierquote',
            name='criteria',
            field=portal.fields.EncryptedJSONField(default=dict, verbose_name='critères appliqués'),
        ),
        migrations.RunPython(encrypt_criteria, decrypt_criteria),
        migrations.RemoveField(model_name='dossierquote', name='criteria_clear'),
    ]
