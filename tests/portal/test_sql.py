"""portal.sql.keys_among: many keys bound as one parameter, on SQLite and on PostgreSQL."""

import pytest
from django.db import connection

from portal.models import User
from portal.sql import keys_among
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def bound(queryset):
    """The rows' keys and the parameters their query was sent with."""
    sent = []

    def record(execute, sql, params, many, context):
        sent.append(params)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(record):
        keys = set(queryset.values_list("pk", flat=True))
    return keys, sent[0]


def test_the_rows_of_the_keys_whatever_their_number_in_one_parameter():
    users = [UserFactory() for _n in range(5)]
    wanted = [users[0].pk, users[3].pk, users[4].pk]
    many = [*wanted, *range(10_000_000, 10_003_000)]  # thousands of keys no row has
    for keys in (wanted, many):
        found, params = bound(User.objects.filter(pk__in=keys_among(keys)))
        assert found == set(wanted)
        assert len(params) == 1
    assert len(bound(User.objects.filter(pk__in=many))[1]) == len(many)  # what it replaces
    assert not User.objects.filter(pk__in=keys_among([])).exists()


def test_keys_are_integers_never_sql():
    with pytest.raises(ValueError):
        keys_among(["1); DROP TABLE portal_user; --"])
