"""Per-integration rate limit (``rate_limit_per_minute``), shared by every web process.

The count lives where all processes see it, never in one process's memory:

1. Redis at ``REDIS_URL`` when the portal has one (one round trip per request, where Django's
   cache API would need four, add, exists, incr and get, a cost every alert pays);
2. otherwise Django's cache, when it is a shared one (Memcached, database, files);
3. otherwise the database: the integration's events of the last 60 seconds.

What is counted is alerts, not requests: an Alertmanager or Grafana notification carrying N
alerts counts N (a request's first alert is counted before its body is read, so that a sender
over its limit costs no parsing; the rest once the body is read), so a sender cannot pass a
thousand alerts a request under a limit of requests.

The cache and Redis count per minute and weigh the previous minute by how much of it still
lies in the last 60 seconds (a sliding window, like PagerDuty's, without a row per event).
The database counts the stored events of the sliding minute exactly.

Far below its limit, an integration's count need not be exact to the event, and asking
Redis for every event cost a sixth of the endpoint's time in an alert storm. So each process
tallies events itself and settles its tallies with the shared counter, all in one round
trip, about every :data:`SETTLE_SECONDS` (one clock for the process: with a clock per
integration, the tallies of busy integrations drifted apart and each of them started a
settling of its own, a round trip per ten events in an alert storm instead of one per
thirty); once an integration's count nears its limit
(:data:`NEAR_SHARE` of it) each of its events is counted in the shared counter as it comes.
A process never lets through more than the near share on its own tally; what the other
processes counted meanwhile is seen at the next settling, so a burst within one settling
period can pass the limit by at most the near share per process, once.
"""

import hashlib
import logging
import math
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import caches
from django.db.models import Sum

from ..models import IntegrationEvent

log = logging.getLogger(__name__)
WINDOW_SECONDS = 60
LOCAL_CACHES = (
    "django.core.cache.backends.locmem.LocMemCache",
    "django.core.cache.backends.dummy.DummyCache",
)
SETTLE_SECONDS = 0.1
NEAR_SHARE = 0.5
# How old an integration's settled count may be and still be counted on: an integration
# sending now and then has nothing pending at most settlings, and need not cost a round
# trip for each of its events. The near share holds whatever the age.
FRESH_SECONDS = 10.0
_redis_lock = threading.Lock()
_redis_client = None


def allow(integration, now: datetime, *, alerts: int = 1, counted: int = 0) -> bool:
    """Count ``alerts`` more alerts against ``integration``'s limit; False when it is over.
    ``counted``: alerts of this same request that an earlier call counted already."""
    limit = integration.rate_limit_per_minute
    if limit <= 0 or alerts <= 0:
        return True
    try:
        counter = _counter()
        if counter is not None:
            name = _counter_name(integration)
            if _counted(counter, name, limit, now, alerts) <= limit:
                return True
            if counted:
                # The rest of a request refused: only its first alert, counted already,
                # stays counted (as a refused request always did); a refused batch of a
                # thousand must not use up the next minute too.
                _give_back(name, now, alerts)
            return False
    except Exception:  # a counter that is down must not stop alerts: fall back to the rows
        log.warning("rate limit counter unavailable, counting stored events", exc_info=True)
    # The stored events hold none of this request's alerts yet, counted ones included.
    return _stored_count(integration, now, limit) + counted + alerts <= limit


def _counter_name(integration) -> str:
    # Keyed on the secret key as well as the id: ids repeat across databases sharing one
    # Redis (a fresh test database, a restored backup), keys do not; hashed, never stored.
    digest = hashlib.sha256(f"{integration.pk}:{integration.key}".encode()).hexdigest()
    return f"intake-rate:{digest[:24]}"


@dataclass
class _Tally:
    """What this process knows of one integration's count in one minute."""

    minute: int
    seen: float  # the weighted count at the last settling (infinite before the first)
    settled_at: float
    pending: int = 0  # events counted here since then, not yet in the shared counter


_tallies: dict[str, _Tally] = {}
_tally_lock = threading.Lock()
_settled_at = -math.inf  # the process's last settling
TALLIES_MAX = 4096
_monotonic = time.monotonic  # a test moves it


def _counted(counter, name: str, limit: int, now: datetime, alerts: int = 1) -> float:
    """Count ``alerts``; the weighted count of the sliding minute, exact near ``limit``."""
    minute_float, second = divmod(now.timestamp(), WINDOW_SECONDS)
    minute = int(minute_float)
    moment = _monotonic()
    with _tally_lock:
        tally = _tallies.get(name)
        if (
            tally is not None
            and tally.minute == minute
            and moment - _settled_at < SETTLE_SECONDS
            and moment - tally.settled_at < FRESH_SECONDS
            and tally.seen + tally.pending + alerts <= limit * NEAR_SHARE
        ):
            tally.pending += alerts
            return tally.seen + tally.pending
        if tally is None:
            if len(_tallies) >= TALLIES_MAX:
                _tallies.clear()
            tally = _tallies[name] = _Tally(minute, math.inf, moment)
        if tally.minute < minute - 1:
            tally.minute, tally.pending = minute, 0
        tally.pending += alerts
        settling = _take_pending(minute, moment)
    counts = counter(
        [(f"{key}:{minute}", f"{key}:{minute - 1}", add) for key, add in settling.items()]
    )
    weight = 1 - second / WINDOW_SECONDS
    weighted = {
        key: this_minute + last_minute * weight
        for key, (this_minute, last_minute) in zip(settling, counts, strict=True)
    }
    with _tally_lock:
        for key, count in weighted.items():
            if (settled := _tallies.get(key)) is not None:
                settled.seen = count
    # This event's own count, not the tally's: another thread may have started the tallies
    # afresh (TALLIES_MAX) while this one waited for the counter.
    return weighted[name]


def _give_back(name: str, now: datetime, alerts: int) -> None:
    """Take ``alerts`` back out of the count: the next settling subtracts them."""
    minute = int(now.timestamp() // WINDOW_SECONDS)
    with _tally_lock:
        tally = _tallies.get(name)
        if tally is not None and tally.minute == minute:
            tally.pending -= alerts
            tally.seen -= alerts


def _take_pending(minute: int, moment: float) -> dict[str, int]:
    """Every tally with events pending, to settle in one round trip: in an alert storm over
    many integrations, one settling a period for them all rather than one for each.

    Events tallied in the minute before (at most one period ago) count in this one: a little
    early, never missed. Older ones no longer matter to the window.
    """
    global _settled_at
    _settled_at = moment
    settling = {}
    for key, tally in _tallies.items():
        if not tally.pending:
            continue
        if tally.minute >= minute - 1:
            settling[key] = tally.pending
        tally.minute, tally.settled_at, tally.pending = minute, moment, 0
    return settling


def _stored_count(integration, now: datetime, limit: int) -> int:
    """The alerts of the events stored in the sliding minute (at most ``limit`` events
    read: each counted one holds an alert at least)."""
    since = now - timedelta(seconds=WINDOW_SECONDS)
    recent = IntegrationEvent.objects.filter(
        integration=integration, received_at__gt=since, alert_count__gt=0
    )
    window = recent.values("alert_count")[:limit]
    return window.aggregate(alerts=Sum("alert_count"))["alerts"] or 0


def _counter():
    """A function [(current key, previous key, events to add)] → [(count after adding
    them, previous count)]."""
    if getattr(settings, "REDIS_URL", ""):
        return _redis_counter
    cache_backend = settings.CACHES.get("default", {}).get("BACKEND", LOCAL_CACHES[0])
    if cache_backend not in LOCAL_CACHES:
        return _cache_counter
    return None


def _cache_counter(items: list[tuple[str, str, int]]) -> list[tuple[int, int]]:
    cache = caches["default"]
    counts = []
    for current, previous, add in items:
        cache.add(current, 0, timeout=WINDOW_SECONDS * 3)
        counts.append((cache.incr(current, add), cache.get(previous, 0)))
    return counts


def _redis_counter(items: list[tuple[str, str, int]]) -> list[tuple[int, int]]:
    pipeline = _redis().pipeline(transaction=False)
    for current, previous, add in items:
        pipeline.incrby(current, add)
        pipeline.expire(current, WINDOW_SECONDS * 3)
        pipeline.get(previous)
    replies = pipeline.execute()
    return [
        (int(count), int(before or 0))
        for count, _, before in zip(replies[0::3], replies[1::3], replies[2::3], strict=True)
    ]


def _redis():
    global _redis_client
    with _redis_lock:
        if _redis_client is None:
            import redis

            _redis_client = redis.Redis.from_url(
                settings.REDIS_URL, socket_timeout=0.5, socket_connect_timeout=0.5
            )
        return _redis_client
