"""Model fields encrypted at rest with Fernet (cryptography), for fiscal amounts and numéros fiscaux.

The database holds only Fernet tokens: a dump, a backup or a read-only SQL access shows no figure.
Keys come from FIELD_ENCRYPTION_KEYS, newest first: MultiFernet encrypts with the first and decrypts
with any, so keys rotate without downtime (see the rotate_encryption_keys command). Encrypted columns
cannot be filtered or sorted on, which is fine: the portal always reads them through their row."""

import json
from decimal import Decimal
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.db import models


@lru_cache(maxsize=4)
def _multifernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(key) for key in keys])


def multifernet() -> MultiFernet:
    return _multifernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


class EncryptedField(models.TextField):
    """Stores `str(value)` encrypted; subclasses say which Python type comes back."""

    python_type = str

    def get_prep_value(self, value):
        if value is None or value == "":
            return value
        return multifernet().encrypt(str(value).encode()).decode("ascii")

    def from_db_value(self, value, expression, connection):
        if value is None or value == "":
            return value
        return self.python_type(multifernet().decrypt(value.encode("ascii")).decode())

    def to_python(self, value):
        if value is None or value == "" or isinstance(value, self.python_type):
            return value
        return self.python_type(_decrypted(value))

    def value_from_object(self, obj):
        """What serializers (dumpdata) and model_to_dict read: the Fernet token, never the figure (a serializer
        writes an int or a Decimal as it is); to_python reads a token back. Pages read the attribute, in clear."""
        return self.get_prep_value(super().value_from_object(obj))

    def value_to_string(self, obj):
        return self.value_from_object(obj)


FERNET_PREFIX = "gAAAAA"  # every Fernet token: version byte 0x80, then the timestamp's high bytes


def _decrypted(value):
    """A serialised value (dumpdata, loaddata) is a Fernet token: its clear text; anything else as it is."""
    if isinstance(value, str) and value.startswith(FERNET_PREFIX):
        return multifernet().decrypt(value.encode("ascii")).decode()
    return value


class EncryptedCharField(EncryptedField):
    pass


class EncryptedIntegerField(EncryptedField):
    python_type = int


class EncryptedDecimalField(EncryptedField):
    python_type = Decimal


class EncryptedJSONField(EncryptedField):
    """A list or a dict, as encrypted JSON: for texts that quote fiscal figures (a tariff's explanation)."""

    python_type = staticmethod(json.loads)

    def get_prep_value(self, value):
        return None if value is None else super().get_prep_value(json.dumps(value, ensure_ascii=False))

    def to_python(self, value):
        return json.loads(_decrypted(value)) if isinstance(value, str) else value
