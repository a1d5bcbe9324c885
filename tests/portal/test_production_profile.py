"""Production's profile (portal.settings.base and gunicorn.conf.py): persistent and checked database connections,
sessions in the cache and the database, JSON log lines, gunicorn's workers from the CPUs and an access log without
addresses nor query strings. `make prod-check` (bin/prod_check.py) runs the whole profile against PostgreSQL and
Redis; these are the pieces, each able to fail."""

import gc
import json
import logging
import os
import runpy
from pathlib import Path

import pytest

from portal.logformat import AccessJsonFormatter
from tests.portal.test_settings import PRODUCTION_ENV, run_manage

ROOT = Path(__file__).resolve().parents[2]

SHOW = (
    "import json, logging; from django.conf import settings; "
    "logging.getLogger('portal').warning('profil de production'); "
    "print(json.dumps({'conn_max_age': settings.DATABASES['default']['CONN_MAX_AGE'], "
    "'health_checks': settings.DATABASES['default']['CONN_HEALTH_CHECKS'], "
    "'sessions': settings.SESSION_ENGINE, 'cache': settings.CACHES['default'], "
    "'fallbacks': settings.SECRET_KEY_FALLBACKS}))"
)


def production_settings(**env):
    result = run_manage("shell", "-c", SHOW, env={**PRODUCTION_ENV, **env})
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1]), result.stderr


def test_production_keeps_database_connections_and_checks_them():
    shown, _logs = production_settings()
    assert (shown["conn_max_age"], shown["health_checks"]) == (60, True)
    assert shown["sessions"] == "portal.sessions"  # cached_db that survives a cache outage
    assert shown["cache"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"


def test_connection_age_cache_prefix_and_key_fallbacks_come_from_the_environment():
    shown, _logs = production_settings(
        CONN_MAX_AGE="0", CACHE_KEY_PREFIX="beauval", SECRET_KEY_FALLBACKS="ancienne-cle-1,ancienne-cle-2"
    )
    assert shown["conn_max_age"] == 0
    assert shown["cache"]["KEY_PREFIX"] == "beauval"
    assert shown["fallbacks"] == ["ancienne-cle-1", "ancienne-cle-2"]


def test_production_logs_are_json_lines():
    _shown, logs = production_settings()
    record = json.loads(next(line for line in logs.splitlines() if "profil de production" in line))
    assert (record["level"], record["logger"], record["message"]) == ("WARNING", "portal", "profil de production")


def test_development_logs_stay_plain_text():
    _shown, logs = production_settings(LOG_FORMAT="plain")
    line = next(line for line in logs.splitlines() if "profil de production" in line)
    assert line.endswith("WARNING portal profil de production")


def test_an_unknown_log_format_is_refused_in_french():
    result = run_manage("check", env={**PRODUCTION_ENV, "LOG_FORMAT": "xml"})
    assert result.returncode != 0
    assert "LOG_FORMAT vaut « json » ou « plain »" in result.stderr


def gunicorn_config(monkeypatch, **env):
    for name in ("WEB_CONCURRENCY", "GUNICORN_THREADS", "GUNICORN_BIND", "GUNICORN_TIMEOUT", "GUNICORN_PRELOAD"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(ROOT / "gunicorn.conf.py"))


def test_gunicorn_workers_follow_the_cpus_this_process_may_use(monkeypatch):
    config = gunicorn_config(monkeypatch)
    assert config["workers"] == 2 * len(os.sched_getaffinity(0)) + 1
    assert config["wsgi_app"] == "portal.wsgi:application"
    assert config["timeout"] == 60 and config["accesslog"] == "-"
    assert config["preload_app"] is True  # a recycled worker forks from the loaded master


def test_gunicorn_settings_move_with_the_environment(monkeypatch):
    config = gunicorn_config(
        monkeypatch, WEB_CONCURRENCY="3", GUNICORN_THREADS="4", GUNICORN_BIND="0.0.0.0:9000", GUNICORN_TIMEOUT="90"
    )
    assert (config["workers"], config["threads"], config["bind"], config["timeout"]) == (3, 4, "0.0.0.0:9000", 90)
    assert gunicorn_config(monkeypatch, GUNICORN_PRELOAD="false")["preload_app"] is False


def test_the_access_log_is_json_without_the_address_the_agent_nor_the_query_string():
    """gunicorn gives its atoms as the record's args: a FranceConnect callback's query carries the code."""
    atoms = {
        "h": "203.0.113.7",
        "m": "GET",
        "U": "/franceconnect/callback/",
        "q": "code=secret-code&state=abc",
        "r": "GET /franceconnect/callback/?code=secret-code&state=abc HTTP/1.1",
        "s": "302",
        "B": 0,
        "D": 15300,
        "a": "Mozilla/5.0",
    }
    record = logging.LogRecord("gunicorn.access", logging.INFO, __file__, 1, "%(m)s %(U)s %(s)s", (atoms,), None)
    formatter = AccessJsonFormatter("%(asctime)s %(name)s %(message)s")

    line = formatter.format(record)

    fields = json.loads(line)
    assert fields["method"] == "GET" and fields["path"] == "/franceconnect/callback/"
    assert (fields["status"], fields["bytes"], fields["duration_ms"]) == (302, 0, 15.3)
    assert "secret-code" not in line and "203.0.113.7" not in line and "Mozilla" not in line


def test_each_portal_worker_warms_up_before_taking_requests(monkeypatch):
    """gunicorn's post_worker_init loads the URLconf, catalogues and layout for the portal, not for another app."""
    import portal.wsgi

    warmed = []
    monkeypatch.setattr(portal.wsgi, "warm_up", lambda: warmed.append(True))
    hook = gunicorn_config(monkeypatch)["post_worker_init"]

    class Worker:
        def __init__(self, app_uri):
            self.app = type("App", (), {"app_uri": app_uri})()

    hook(Worker("bench.bare:application"))
    assert warmed == []
    hook(Worker("portal.wsgi:application"))
    assert warmed == [True]


def test_each_worker_freezes_what_it_holds_from_its_start_out_of_the_collectors_reach(monkeypatch):
    """The master before each fork, the worker once warmed up: the garbage collector's full passes skip them."""
    import portal.wsgi

    monkeypatch.setattr(portal.wsgi, "warm_up", lambda: None)
    config = gunicorn_config(monkeypatch)
    gc.unfreeze()
    try:
        config["pre_fork"](server=None, worker=None)
        assert gc.get_freeze_count() > 0
        gc.unfreeze()
        config["post_worker_init"](type("Worker", (), {"app": type("App", (), {"app_uri": "bench.bare:application"})()}))
        assert gc.get_freeze_count() > 0
    finally:
        gc.unfreeze()


def test_the_warm_up_touches_neither_the_database_nor_the_cache(monkeypatch):
    """Without the django_db mark, any query fails the test; the cache is made to fail too."""
    from django.core.cache import cache
    from django.urls import clear_url_caches, get_resolver

    import portal.wsgi

    monkeypatch.setattr(cache, "get", lambda *args, **kwargs: pytest.fail("cache read"))
    clear_url_caches()
    assert not get_resolver()._populated
    portal.wsgi.warm_up()
    assert get_resolver()._populated
