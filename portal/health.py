"""Health of the parts the portal needs: database, broker, and the timer sweep.

What went wrong (a driver's or kombu's message, which can name hosts, ports and users) goes
to the server log only; the checks return a short fixed phrase in its place.
"""

import logging

from django.conf import settings
from django.db import connection

from .models import Heartbeat

SWEEP = "timers-sweep"
UNREACHABLE = "unreachable (the server log says why)"

logger = logging.getLogger(__name__)


def database_ok() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # any driver error means "down"; the log says which
        logger.exception("Health check: the database is unreachable")
        return False, UNREACHABLE
    return True, connection.vendor


def broker_ok() -> tuple[bool, str]:
    from .celery import app

    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            transport = conn.transport_cls
    except Exception:  # kombu raises many kinds; all mean the broker is unreachable
        logger.exception("Health check: the broker is unreachable")
        return False, UNREACHABLE
    return True, str(transport)


def sweep_age() -> float | None:
    return Heartbeat.age_seconds(SWEEP)


def sweep_is_stale(age: float | None) -> bool:
    return age is None or age > settings.SWEEP_STALE_AFTER_SECONDS


def report() -> dict:
    """Every check, as ``/healthz`` shows it to those allowed its details."""
    database_up, database_detail = database_ok()
    broker_up, broker_detail = broker_ok()
    age = sweep_age() if database_up else None
    sweep_up = database_up and not sweep_is_stale(age)
    return {
        "status": "ok" if database_up and broker_up and sweep_up else "unhealthy",
        "database": {"ok": database_up, "detail": database_detail},
        "broker": {"ok": broker_up, "detail": broker_detail},
        "sweep": {"ok": sweep_up, "last_age_seconds": None if age is None else round(age, 3)},
    }
