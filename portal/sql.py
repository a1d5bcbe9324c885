"""SQL the ORM does not write for us."""

import json

from django.db import connection
from django.db.models.expressions import RawSQL


def keys_among(keys) -> RawSQL:
    """`pk__in=keys_among(keys)`: the keys as one parameter, however many there are (an array on PostgreSQL, JSON
    on SQLite), where `pk__in=keys` binds one parameter per key: with a few thousand keys, the list's count and
    page queries spent most of their time having them quoted and parsed (the agents' flag filter, 222 ms). The array
    is bound as its text, which psycopg quotes at once, where it dumps a list of ints one by one (2.6 ms against
    0.8 ms for 2 000 keys)."""
    keys = [int(key) for key in keys]
    if connection.vendor == "postgresql":
        return RawSQL("SELECT unnest(%s::bigint[])", ("{" + ",".join(map(str, keys)) + "}",))
    return RawSQL("SELECT value FROM json_each(%s)", (json.dumps(keys),))
