"""Sliding-window limits for forms anyone can post: at most ``limit`` hits per key per window.

The counts are rows in the database, not the cache: without Redis the cache is each web
process's own memory, so a limit kept there would be multiplied by the number of processes
and forgotten on each restart. These forms take a handful of requests an hour; a row per
request costs nothing there.
"""

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.crypto import salted_hmac

from .models import ThrottleHit

HOUR = timedelta(hours=1)


def _key_hash(scope: str, key: str) -> str:
    return salted_hmac(f"portal.throttle.{scope}", key).hexdigest()


def hits(scope: str, key: str, *, per: timedelta = HOUR, now: datetime | None = None) -> int:
    """How many hits ``key`` has had in ``scope`` within the last ``per``."""
    now = now or timezone.now()
    return ThrottleHit.objects.filter(
        scope=scope, key_hash=_key_hash(scope, key), at__gt=now - per
    ).count()


def record(scope: str, key: str, *, per: timedelta = HOUR, now: datetime | None = None) -> None:
    """Count a hit, and forget the scope's hits that have left the window."""
    now = now or timezone.now()
    ThrottleHit.objects.filter(scope=scope, at__lte=now - per).delete()
    ThrottleHit.objects.create(scope=scope, key_hash=_key_hash(scope, key), at=now)


def take(scope: str, key: str, *, limit: int, per: timedelta = HOUR, now=None) -> bool:
    """True, and counted, when ``key`` is under ``limit`` in ``scope``; False otherwise (a
    refused request is not counted, so the window empties while the sender keeps trying)."""
    now = now or timezone.now()
    if hits(scope, key, per=per, now=now) >= limit:
        return False
    record(scope, key, per=per, now=now)
    return True


# Providers that ignore dots in the local part: one inbox answers to every spelling.
DOTLESS_DOMAINS = frozenset({"gmail.com", "googlemail.com"})


def mailbox(email: str) -> str:
    """The inbox an address reaches, as a key for limits: case folded, a ``+tag`` dropped
    (``Victim+1@Example.com`` and ``victim@example.com`` are one inbox), and dots dropped
    where the provider ignores them."""
    local, _, domain = email.strip().lower().rpartition("@")
    local = local.split("+", 1)[0]
    if domain in DOTLESS_DOMAINS:
        local = local.replace(".", "")
    return f"{local}@{domain}"
