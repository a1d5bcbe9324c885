"""Sliding-window rate limits shared by every worker, with the `limits` library.

A moving window counts the hits of the last N seconds at each hit, so no window of that length ever holds more than
the limit (a per-calendar-minute counter lets twice the limit through across a minute boundary). The counters live
where Django's default cache lives: Redis when `CACHE_URL=redis://…` (shared by all workers), in memory otherwise
(one process, as the local-memory cache; `check --deploy` warns about it).

When the store cannot be reached (Redis down, or too slow), `hit` and `allows` raise `Unavailable`: a limit that
cannot be counted refuses, it never lets the call through uncounted. Every caller guards an external lookup
(DGFiP, API Particulier), so refusing costs the family a « réessayez » and the commune nothing."""

import math
import threading
import time

from django.conf import settings
from limits import RateLimitItem, parse, parse_many
from limits.errors import StorageError
from limits.storage import MemoryStorage, Storage, storage_from_string
from limits.strategies import MovingWindowRateLimiter

NAMESPACE = "portail-famille"
REDIS_BACKENDS = ("django.core.cache.backends.redis.RedisCache",)

# A store that does not answer within this many seconds counts as down: a request never hangs on it.
STORE_TIMEOUT_SECONDS = 1.0


class Unavailable(Exception):
    """The counters' store did not answer: nothing was counted, and the caller must refuse what the limit guards."""


_limiters: dict[str, MovingWindowRateLimiter] = {}
_lock = threading.Lock()


def storage_uri() -> str:
    cache = settings.CACHES["default"]
    if cache["BACKEND"] in REDIS_BACKENDS:
        location = cache["LOCATION"]
        return location[0] if isinstance(location, list | tuple) else location
    return "memory://"


def _limiter() -> MovingWindowRateLimiter:
    uri = storage_uri()
    with _lock:
        if uri not in _limiters:
            storage: Storage = (
                MemoryStorage()
                if uri == "memory://"
                else storage_from_string(
                    uri,
                    wrap_exceptions=True,
                    socket_connect_timeout=STORE_TIMEOUT_SECONDS,
                    socket_timeout=STORE_TIMEOUT_SECONDS,
                )
            )
            _limiters[uri] = MovingWindowRateLimiter(storage)
        return _limiters[uri]


def _item(rate: str | RateLimitItem) -> RateLimitItem:
    return parse(rate) if isinstance(rate, str) else rate


def _namespace() -> str:
    """The cache's KEY_PREFIX keeps apart the portals (or test runs) that share one Redis: so do the windows."""
    prefix = settings.CACHES["default"].get("KEY_PREFIX", "")
    return f"{NAMESPACE}:{prefix}" if prefix else NAMESPACE


def hit(rate: str | RateLimitItem, *keys: str) -> bool:
    """Count one hit for `keys` under `rate` ("50/minute", "5/hour"); False, and nothing counted, when the
    window is already full. Raises Unavailable when the store does not answer."""
    try:
        return _limiter().hit(_item(rate), _namespace(), *keys)
    except StorageError as error:
        raise Unavailable(type(error.storage_error).__name__) from error


def allows(rate: str | RateLimitItem, *keys: str) -> bool:
    """Whether one more hit would pass, without counting it. Raises Unavailable when the store does not answer."""
    try:
        return _limiter().test(_item(rate), _namespace(), *keys)
    except StorageError as error:
        raise Unavailable(type(error.storage_error).__name__) from error


def _items(rates: str) -> list[RateLimitItem]:
    return parse_many(rates)


def allows_all(rates: str, *keys: str) -> bool:
    """Whether one more hit passes every window of `rates` ("5/15 minutes;20/day"), without counting it."""
    return all(allows(item, *keys) for item in _items(rates))


def hit_all(rates: str, *keys: str) -> None:
    """Count one hit in every window of `rates` that still has room."""
    for item in _items(rates):
        hit(item, *keys)


def retry_after(rates: str, *keys: str) -> int:
    """Seconds until one more hit passes every window of `rates`: 0 when it already does. In a moving window a
    place frees up when the oldest hit it holds becomes older than the window."""
    wait = 0.0
    for item in _items(rates):
        if not allows(item, *keys):
            reset_at, _remaining = _limiter().get_window_stats(item, _namespace(), *keys)
            wait = max(wait, reset_at - time.time())
    return max(math.ceil(wait), 1) if wait > 0 else 0


def reset_memory() -> None:
    """Forget the in-memory counters (between tests); shared Redis counters are never flushed from here."""
    with _lock:
        for limiter in _limiters.values():
            if isinstance(limiter.storage, MemoryStorage):
                limiter.storage.reset()
