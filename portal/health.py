"""What `/healthz` checks: each dependency the configuration requires, so that a load balancer takes a web node out
when it cannot serve, and an operator reads which one failed.

- the database, always;
- the cache, when it is shared (Redis): the rate limits and the DGFiP token live there;
- the task queue, when it is django-tasks-db's: its table answers. A worker that does not keep up does not make
  the node unhealthy (pages are served, mails wait in the queue), it is reported as `worker: "late"` when a task
  has been ready for longer than TASKS_WORKER_LATE_AFTER_SECONDS.

Nothing personal is read or logged: a count, an age, a type of error."""

import logging
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, connection
from django.utils import timezone

from portal import ratelimit
from portal.resilience import CACHE_ERRORS

logger = logging.getLogger(__name__)

OK, UNAVAILABLE = "ok", "unavailable"
TASKS_DB_BACKEND = "django_tasks_db.DatabaseBackend"


def database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError:
        logger.exception("health check: database unavailable")
        return UNAVAILABLE
    return OK


def cache_required() -> bool:
    return settings.CACHES["default"]["BACKEND"] in ratelimit.REDIS_BACKENDS


def shared_cache() -> str:
    """A write and a read of a throw-away key: both must answer."""
    key, value = "portal:healthz", uuid.uuid4().hex
    try:
        cache.set(key, value, timeout=10)
        if cache.get(key) != value:
            raise LookupError("value not read back")
    except (*CACHE_ERRORS, LookupError) as error:
        logger.error("health check: cache unavailable (%s)", type(error).__name__)
        return UNAVAILABLE
    return OK


def tasks_required() -> bool:
    return settings.TASKS["default"]["BACKEND"] == TASKS_DB_BACKEND


def task_queue() -> tuple[str, str | None]:
    """The queue's table, and whether the worker keeps up: ("ok", "ok" | "late" | None when nothing waits)."""
    from django_tasks_db.models import DBTaskResult  # the app is installed only with its backend

    try:
        oldest = DBTaskResult.objects.ready().order_by("enqueued_at").values_list("enqueued_at", flat=True).first()
    except DatabaseError:
        logger.exception("health check: task queue unavailable")
        return UNAVAILABLE, None
    if oldest is None:
        return OK, None
    late = timezone.now() - oldest > timedelta(seconds=settings.TASKS_WORKER_LATE_AFTER_SECONDS)
    if late:
        logger.warning("health check: a task has waited more than %ss", settings.TASKS_WORKER_LATE_AFTER_SECONDS)
    return OK, "late" if late else OK


def report() -> tuple[dict, bool]:
    """The JSON body and whether every required dependency answers."""
    body = {"database": database()}
    if cache_required():
        body["cache"] = shared_cache()
    if tasks_required():
        body["tasks"], worker = task_queue()
        if worker is not None:
            body["worker"] = worker
    healthy = all(body[name] == OK for name in ("database", "cache", "tasks") if name in body)
    return {"status": OK if healthy else "error", **body}, healthy
