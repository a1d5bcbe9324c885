"""PostgreSQL runs the portal's queries without JIT compilation (portal.settings.base): the income state's EXISTS
subqueries made PostgreSQL compile each batch job's query for seconds; and with random reads priced as on an SSD or
from RAM, so that it reads a few rows through their index rather than a whole table. SQLite is left as it is."""

import json

import pytest
from django.db import connection

from tests.portal.test_settings import PRODUCTION_ENV, run_manage

SHOW = (
    "import json; from django.conf import settings; "
    "print(json.dumps(settings.DATABASES['default'].get('OPTIONS', {})))"
)


def options(database_url):
    result = run_manage("shell", "-c", SHOW, env={**PRODUCTION_ENV, "DATABASE_URL": database_url})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_postgresql_connections_turn_jit_off_price_random_reads_and_keep_the_options_given():
    default = "-c jit=off -c random_page_cost=1.1"
    assert options("postgres://portail@db.example/portail")["options"] == default
    given = options("postgres://portail@db.example/portail?options=-c%20statement_timeout%3D5000")
    assert given["options"] == f"-c statement_timeout=5000 {default}"
    assert "options" not in options("sqlite:////tmp/portail.sqlite3")


def test_the_random_read_cost_moves_with_the_environment(monkeypatch):
    monkeypatch.setitem(PRODUCTION_ENV, "DATABASE_RANDOM_PAGE_COST", "2")
    assert options("postgres://portail@db.example/portail")["options"] == "-c jit=off -c random_page_cost=2.0"


@pytest.mark.django_db
def test_the_test_database_runs_without_jit_and_with_the_random_read_cost():
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL only")
    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        assert cursor.fetchone() == ("off",)
        cursor.execute("SHOW random_page_cost")
        assert cursor.fetchone() == ("1.1",)
