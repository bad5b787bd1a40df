"""Per-integration rate limit (``rate_limit_per_minute``), shared by every web process.

The count lives where all processes see it, never in one process's memory:

1. Redis at ``REDIS_URL`` when the portal has one (one round trip per request, where Django's
   cache API would need four, add, exists, incr and get, a cost every alert pays);
2. otherwise Django's cache, when it is a shared one (Memcached, database, files);
3. otherwise the database: the integration's events of the last 60 seconds.

The cache and Redis count per minute and weigh the previous minute by how much of it still
lies in the last 60 seconds (a sliding window, like PagerDuty's, without a row per event).
The database counts the stored events of the sliding minute exactly.
"""

import hashlib
import logging
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import caches

from ..models import IntegrationEvent

log = logging.getLogger(__name__)
WINDOW_SECONDS = 60
LOCAL_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)
_redis_lock = threading.Lock()
_redis_client = None


def allow(integration, now: datetime) -> bool:
    """Count this request against ``integration``'s limit; False when it is over."""
    limit = integration.rate_limit_per_minute
    if limit <= 0:
        return True
    try:
        counter = _counter()
        if counter is not None:
            return _weighted_count(counter, _counter_name(integration), now) <= limit
    except Exception:  # a counter that is down must not stop alerts: fall back to the rows
        log.warning("rate limit counter unavailable, counting stored events", exc_info=True)
    return _stored_count(integration, now, limit) < limit


def _counter_name(integration) -> str:
    # Keyed on the secret key as well as the id: ids repeat across databases sharing one
    # Redis (a fresh test database, a restored backup), keys do not; hashed, never stored.
    digest = hashlib.sha256(f"{integration.pk}:{integration.key}".encode()).hexdigest()
    return f"intake-rate:{digest[:24]}"


def _weighted_count(counter, name: str, now: datetime) -> float:
    minute, second = divmod(now.timestamp(), WINDOW_SECONDS)
    current = f"{name}:{int(minute)}"
    previous = f"{name}:{int(minute) - 1}"
    this_minute, last_minute = counter(current, previous)
    return this_minute + last_minute * (1 - second / WINDOW_SECONDS)


def _stored_count(integration, now: datetime, limit: int) -> int:
    since = now - timedelta(seconds=WINDOW_SECONDS)
    recent = IntegrationEvent.objects.filter(integration=integration, received_at__gt=since)
    return recent.values("pk")[:limit].count()


def _counter():
    """A function (current key, previous key) → (count after this request, previous count)."""
    if getattr(settings, "REDIS_URL", ""):
        return _redis_counter
    cache_backend = settings.CACHES.get("default", {}).get("BACKEND", LOCAL_CACHES[0])
    if cache_backend not in LOCAL_CACHES:
        return _cache_counter
    return None


def _cache_counter(current: str, previous: str) -> tuple[int, int]:
    cache = caches["default"]
    cache.add(current, 0, timeout=WINDOW_SECONDS * 3)
    count = cache.incr(current)
    return count, cache.get(previous, 0)


def _redis_counter(current: str, previous: str) -> tuple[int, int]:
    client = _redis()
    pipeline = client.pipeline(transaction=False)
    pipeline.incr(current)
    pipeline.expire(current, WINDOW_SECONDS * 3)
    pipeline.get(previous)
    count, _, before = pipeline.execute()
    return int(count), int(before or 0)


def _redis():
    global _redis_client
    with _redis_lock:
        if _redis_client is None:
            import redis

            _redis_client = redis.Redis.from_url(
                settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5
            )
        return _redis_client
