"""gunicorn's configuration for Portail Famille in production: `gunicorn -c gunicorn.conf.py` (docs/deploiement.md).

Every value can be moved by an environment variable, so the systemd unit or `make prod-check` need no other file.
The WSGI application is portal.wsgi, whose default settings are production's (portal.settings.base)."""

import gc
import os

wsgi_app = "portal.wsgi:application"
bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")

# Workers from the CPUs this process may use (a container's or a cgroup's share, not the host's): gunicorn's
# advice of 2 × CPUs + 1 sync workers. A worker blocked on DGFiP or FranceConnect (5 s timeout each) only holds
# its own request; GUNICORN_THREADS > 1 switches to threaded workers (gthread) for more of them per worker.
_cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
workers = int(os.environ.get("WEB_CONCURRENCY", 2 * _cpus + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "1"))

# The longest request: a DGFiP lookup (two income years, a retry each, 5 s timeouts) stays well under a minute;
# anything longer runs in the task worker. nginx's proxy_read_timeout is set just above it.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "60"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5  # behind nginx on the same host or the load balancer's network
# Recycle each worker after a while: a slow leak never grows without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10
# The application is imported once in the master and each worker forks from it: a worker that max_requests
# recycles under load serves again at once instead of spending a second importing Django and the portal while its
# share of the connections waits (make bench: the home page's p95 went from 2.5 s to 0.6 s). A code change then
# needs a restart, not a HUP (docs/deploiement.md). GUNICORN_PRELOAD=false imports in each worker instead.
preload_app = os.environ.get("GUNICORN_PRELOAD", "true").lower() in ("1", "true", "yes")


# What a worker holds from its start (Django, the portal, the warm-up's URLconf, catalogues and templates, some 170 000
# objects) is frozen out of the garbage collector's reach: each full collection walked them all, 100 ms in the middle
# of one request in ten on the agents' list (its p95 at 170 ms for a p50 of 67 ms; 92 ms frozen). Frozen in the master
# before each fork too, so that collections in the workers do not write to the memory pages they share with it.


def pre_fork(server, worker):
    gc.freeze()


def post_worker_init(worker):
    """Each worker (at start, and when max_requests recycles it) loads the URLconf, catalogues and layout before it
    accepts a connection, so no family's request pays a second for it (another application given on the command
    line, make bench's bare page, has nothing to warm), then freezes what it holds."""
    if worker.app.app_uri == wsgi_app:
        from portal.wsgi import warm_up

        warm_up()
    gc.freeze()


# The reverse proxy's X-Forwarded-* headers are trusted from these addresses only.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")

# JSON lines on stdout (journald keeps them): the access log with method, path, status, bytes and duration,
# gunicorn's own messages with their level.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
access_log_format = "%(m)s %(U)s %(s)s"
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
        "access": {
            "()": "portal.logformat.AccessJsonFormatter",
            "fmt": "%(asctime)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "name": "logger"},
        },
    },
    "handlers": {
        "error": {"class": "logging.StreamHandler", "formatter": "json", "stream": "ext://sys.stdout"},
        "access": {"class": "logging.StreamHandler", "formatter": "access", "stream": "ext://sys.stdout"},
    },
    # gunicorn's defaults name a root logger: replaced, or its handler would be missing.
    "root": {"handlers": ["error"], "level": "INFO"},
    "loggers": {
        "gunicorn.error": {"handlers": ["error"], "level": loglevel.upper(), "propagate": False},
        "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
    },
}
