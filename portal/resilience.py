"""When a dependency the portal does not own fails: the shared cache (Redis) and the rate limits counted on it.

Decided per use (the README's « Pannes » says so to the commune):

- what is only a copy (FranceConnect's discovery document and keys, the streak of an alert) is read and written
  through `cache_get` / `cache_set`: a cache down is a miss, and the portal asks the source again;
- what is a limit (portal.ratelimit: the DGFiP quota, lookups by numéro fiscal, API Particulier's windows) fails
  safe: `ratelimit.Unavailable`, the lookup is refused with a « réessayez » and nothing is asked outside;
- anything else that reaches a view uncaught is turned by `portal.middleware.DependencyFailureMiddleware` into a
  French 503 page: what the family had saved is in the database, which the cache never holds.

Logs name the failure's type, never a key (keys may hold a hash of an account) nor a value."""

import logging

import redis.exceptions
from django.core.cache import cache
from django.db import transaction
from limits.errors import StorageError

from portal import ratelimit

logger = logging.getLogger(__name__)

# What a cache or a rate limit raises when its store is down or too slow. Django's RedisCache raises redis-py's
# errors as they are (ConnectionError and TimeoutError are RedisErrors); `limits` wraps its own (StorageError).
CACHE_ERRORS = (redis.exceptions.RedisError, StorageError, ratelimit.Unavailable)


def cache_get(key: str, default=None):
    """The cached value, or `default` when the cache does not answer (then the caller fetches it again)."""
    try:
        return cache.get(key, default)
    except CACHE_ERRORS as error:
        logger.warning("cache unavailable on read (%s): treated as a miss", type(error).__name__)
        return default


def cache_set(key: str, value, timeout: float | None) -> bool:
    """Keep `value` if the cache answers; whether it did."""
    try:
        cache.set(key, value, timeout)
    except CACHE_ERRORS as error:
        logger.warning("cache unavailable on write (%s): value not kept", type(error).__name__)
        return False
    return True


def cache_delete(key: str) -> None:
    try:
        cache.delete(key)
    except CACHE_ERRORS as error:
        logger.warning("cache unavailable on delete (%s)", type(error).__name__)


def enqueue_on_commit(task, *args) -> None:
    """Queue `task(*args)` once the current transaction commits. A queue that refuses it (its table unreachable,
    the backend misconfigured) is logged and never raised: the action it follows is committed and the family's
    page must say so. (Django's own `robust=True` cannot log a functools.partial and raises AttributeError.)"""

    def enqueue():
        try:
            task.enqueue(*args)
        except Exception as error:  # whatever the backend raises, the committed action stands
            logger.error("task queue refused %s (%s): not queued", task.name, type(error).__name__)

    transaction.on_commit(enqueue)
