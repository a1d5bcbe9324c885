from django.apps import apps
from django.core.management.base import BaseCommand
from django.db import transaction

from portal.fields import EncryptedField


def encrypted_fields(model) -> list[str]:
    return [field.name for field in model._meta.concrete_fields if isinstance(field, EncryptedField)]


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted field (tax data and every figure derived from it: quotes, contracts…) with the "
        "first key of FIELD_ENCRYPTION_KEYS, after a new key was put first. Older keys can be removed once this "
        "has run."
    )

    def handle(self, *args, **options):
        count = 0
        with transaction.atomic():
            for model in apps.get_models():
                fields = encrypted_fields(model)
                if not fields:
                    continue
                rows = model._base_manager.select_for_update().only("pk", *fields)
                for row in rows.iterator():  # read with any key; an UPDATE, not save(): no model side effect
                    model._base_manager.filter(pk=row.pk).update(**{name: getattr(row, name) for name in fields})
                    count += 1
        self.stdout.write(f"{count} enregistrement(s) rechiffré(s) avec la clé la plus récente.")
