"""The integration a request names, remembered between requests, and events written only
while that integration is still as remembered.

Every event needs its integration (its limit, its signature secret) before anything is
stored. Reading it from the database cost a round trip and a sixth of the endpoint's time
at a few hundred events a second, for a row that almost never changes. Each process
therefore remembers the integrations it has seen, and the database stays the authority:

- every event is written by one statement that inserts it only if the integration's row
  still holds what was remembered (key, kind, enabled, signature settings);
- when it does not (disabled, key rotated, secret changed in the admin), the write raises
  :class:`IntegrationChanged`, the memory is dropped, and :func:`with_integration` handles
  the request once more with the row read afresh.

So a disabled or rotated key is refused from the next event on, in every process. A new
rate limit takes effect within :data:`REMEMBER_SECONDS` (a limit is about the last minute
anyway), and so may an answer that writes nothing (a 429 for a key disabled meanwhile).
"""

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

from django.db import DEFAULT_DB_ALIAS, InterfaceError, OperationalError, connections
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper

from ..models import Integration, IntegrationEvent

log = logging.getLogger(__name__)
REMEMBER_SECONDS = 10.0
# Integrations remembered per process; more and the memory starts afresh (keys nobody
# holds are never remembered, so only real integrations count towards it).
REMEMBERED_MAX = 1024
KEY_MAX = 64

T = TypeVar("T")


class IntegrationChanged(Exception):
    """The integration's row no longer holds what this process remembered of it."""


_remembered: dict[tuple[str, str], tuple[float, Integration]] = {}
_remembered_lock = threading.Lock()


def find_integration(key: str, kind: str, *, fresh: bool = False) -> Integration | None:
    """The enabled integration of ``kind`` with this ``key``; None for anything else, so an
    unknown key, a disabled one and one of another kind look the same to the sender.
    ``fresh``: read the row even when it is remembered."""
    # A NUL (``%00`` in a path) is in no key, and PostgreSQL refuses it in a query.
    if not isinstance(key, str) or not 0 < len(key) <= KEY_MAX or "\x00" in key:
        return None
    moment = time.monotonic()
    if not fresh:
        remembered = _remembered.get((key, kind))
        if remembered is not None and moment - remembered[0] < REMEMBER_SECONDS:
            return remembered[1]
    integration = _read(key, kind)
    with _remembered_lock:
        if integration is None:
            _remembered.pop((key, kind), None)
        else:
            if len(_remembered) >= REMEMBERED_MAX:
                _remembered.clear()
            _remembered[(key, kind)] = (moment, integration)
    return integration


def forget(integration: Integration) -> None:
    with _remembered_lock:
        _remembered.pop((integration.key, integration.kind), None)


def with_integration(key: str, kind: str, handle: Callable[[Integration], T]) -> T | None:
    """``handle(integration)`` for the integration ``key`` names; None when there is none.
    When a write finds the integration changed, ``handle`` runs again with the row read
    afresh, so its answer always follows the integration as it is now."""
    for fresh in (False, True):
        integration = find_integration(key, kind, fresh=fresh)
        if integration is None:
            return None
        try:
            return handle(integration)
        except IntegrationChanged:  # store_event has forgotten it already
            continue
    return None  # changed again within this request: as good as gone


def store_event(
    integration: Integration,
    *,
    received_at: datetime,
    outcome: str,
    reason: str,
    payload,
    alert_count: int = 1,
) -> int:
    """Insert one event and return its id; :class:`IntegrationChanged` (nothing written)
    when the integration's row no longer matches ``integration``."""
    db = _database()
    params = [
        integration.pk,
        _RECEIVED_AT.get_db_prep_save(received_at, db),
        outcome,
        reason,
        _PAYLOAD.get_db_prep_save(payload, db),
        alert_count,
        *(getattr(integration, name) for name in _GUARDED_FIELDS),
    ]
    row = _fetch_one(db, _STORE_SQL, params)
    if row is None:
        forget(integration)
        raise IntegrationChanged(integration.pk)
    return row[0]


# Written out once: the ORM's create() cost a quarter of the endpoint's time per event.
# The columns are IntegrationEvent's; the guard compares what decides whether an event
# may be stored at all.
_GUARDED_FIELDS = (
    "id", "key", "kind", "signature_header", "signature_secret", "signature_timestamp_header"
)
_REMEMBERED_FIELDS = (*_GUARDED_FIELDS, "rate_limit_per_minute")
_RECEIVED_AT = IntegrationEvent._meta.get_field("received_at")
_PAYLOAD = IntegrationEvent._meta.get_field("payload")
_STORE_SQL = """
    INSERT INTO incidents_integrationevent
        (integration_id, received_at, outcome, reason, payload, alert_count, processed_at)
    SELECT %s, %s, %s, %s, %s, %s, NULL
    WHERE EXISTS (
        SELECT 1 FROM incidents_integration
        WHERE enabled AND id = %s AND key = %s AND kind = %s
            AND signature_header = %s AND signature_secret = %s
            AND signature_timestamp_header = %s
    )
    RETURNING id
"""
_READ_SQL = """
    SELECT id, key, kind, signature_header, signature_secret, signature_timestamp_header,
        rate_limit_per_minute
    FROM incidents_integration WHERE key = %s AND kind = %s AND enabled
"""


def _database():
    """This thread's connection, looked up once. ``django.db.connection`` looks it up again
    on every attribute: a dozen lookups an event, about 40 µs of CPU (a fifth of the view's
    own time)."""
    return connections[DEFAULT_DB_ALIAS]


def _read(key: str, kind: str) -> Integration | None:
    db = _database()
    row = _fetch_one(db, _READ_SQL, [key, kind])
    if row is None:
        return None
    found = dict(zip(_REMEMBERED_FIELDS, row, strict=True))
    # from_db takes the loaded fields in the model's own order.
    names = [f.attname for f in Integration._meta.concrete_fields if f.attname in found]
    return Integration.from_db(db.alias, names, [found[name] for name in names])


def _fetch_one(db, statement: str, params: list):
    """Run ``statement`` and return its first row, sparing the request Django's health check.

    With ``CONN_HEALTH_CHECKS``, the first query of each request is preceded by a
    ``SELECT 1`` that finds a connection the database dropped (a restart, a failover): one
    round trip more per event, a third of the endpoint's database work. Here the statement
    goes first instead; if the connection turns out broken, it is replaced and the
    statement sent again, which is what the check would have done. Only when the check was
    due (the request's first query, outside a transaction): otherwise the error stands.
    """
    trusted = _skip_health_check(db)
    try:
        return _execute(db, statement, params)
    except (InterfaceError, OperationalError):
        if not trusted or db.in_atomic_block:
            raise
        log.warning("the database connection was broken; reconnecting", exc_info=True)
        db.close()
        return _execute(db, statement, params)


def _skip_health_check(db) -> bool:
    due = db.connection is not None and db.health_check_enabled and not db.health_check_done
    if due:
        db.health_check_done = True
    return due


def _execute(db, statement: str, params: list):
    with _cursor(db) as cursor:
        cursor.execute(statement, params)
        return cursor.fetchone()


def _cursor(db):
    """A Django cursor (logged, errors translated); on PostgreSQL one that binds on the
    server, so that with ``prepare_threshold`` set (see settings) each connection prepares
    the intake's statements once: PostgreSQL then skips parsing and planning them, half of
    its work per event."""
    if db.vendor != "postgresql":
        return db.cursor()
    import psycopg

    db.close_if_health_check_failed()
    db.ensure_connection()
    db.validate_thread_sharing()
    with db.wrap_database_errors:
        cursor = psycopg.Cursor(db.connection)
    if db.queries_logged:
        return _LoggedAsWritten(cursor, db)
    return db.make_cursor(cursor)


class _LoggedAsWritten(CursorDebugWrapper):
    """Logs the statement as written: a prepared one leaves no text of its own to log."""

    def execute(self, sql, params=None):
        with self.debug_sql(sql, params):
            return CursorWrapper.execute(self, sql, params)
