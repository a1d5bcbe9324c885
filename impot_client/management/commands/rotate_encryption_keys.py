from django.core.management.base import BaseCommand
from django.db import transaction

from impot_client.fields import EncryptedField
from impot_client.models import TaxData


class Command(BaseCommand):
    help = (
        "Re-encrypt fiscal data with the first key of FIELD_ENCRYPTION_KEYS, after a new key was put first. "
        "Older keys can be removed once this has run."
    )

    def handle(self, *args, **options):
        fields = [field.name for field in TaxData._meta.fields if isinstance(field, EncryptedField)]
        count = 0
        with transaction.atomic():
            for tax_data in TaxData.objects.select_for_update().iterator():
                tax_data.save(update_fields=fields)  # read with any key, written with the first
                count += 1
        self.stdout.write(f"{count} enregistrement(s) rechiffré(s) avec la clé la plus récente.")
