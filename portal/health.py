"""Health of the parts the portal needs: database, broker, and the timer sweep."""

from django.conf import settings
from django.db import connection

from .models import Heartbeat

SWEEP = "timers-sweep"


def database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means "down"; the message says which
        return False, f"{type(exc).__name__}: {exc}"
    return True, connection.vendor


def broker_ok() -> tuple[bool, str]:
    from .celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            transport = conn.transport_cls
    except Exception as exc:  # kombu raises many kinds; all mean the broker is unreachable
        return False, f"{type(exc).__name__}: {exc}"
    return True, str(transport)


def sweep_age() -> float | None:
    return Heartbeat.age_seconds(SWEEP)


def sweep_is_stale(age: float | None) -> bool:
    return age is None or age > settings.SWEEP_STALE_AFTER_SECONDS
