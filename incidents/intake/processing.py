"""Processing accepted events: grouping, declaring, acknowledging and resolving.

1. One processor at a time (a PostgreSQL advisory lock; SQLite's write lock serialises
   anyway), so the events of one dedup key are applied in the order they arrived.
2. A batch claims up to ``BATCH`` accepted rows with a compare-and-set (accepted →
   processed) in the transaction that applies them: a crash rolls both back, a second run
   finds nothing to do, so processing twice changes nothing.
3. The events of a batch are applied in the order they arrived, with the live alert of
   each (integration, dedup key) loaded in one query. An event that only repeats a trigger
   of a live alert on an open incident is a counter: all of those become one
   ``bulk_update``. Any other event runs in a savepoint of its own, with PagerDuty's
   semantics:
   - trigger: a new key opens an alert group and goes through ``alert_trigger`` (joins the
     service's open incident without paging again, or declares one per the rule); a
     trigger whose incident a person already resolved closes that group and opens a new one;
   - acknowledge: the group is acknowledged; once no group of its incident is still
     triggered, the incident is acknowledged (paging stops);
   - resolve: the group is resolved; once every group of its incident is, the incident is
     resolved, if alerts declared it (a person's incident is left for its commander).
4. An event that fails for a bug is written on its row's ``reason`` and does not block the
   others; a transient database error rolls the batch back for the next run.

Wake-ups come from :func:`.receive.wake` (a Celery task on the slow queue); the timer sweep
calls :func:`intake_backstop` so that events whose wake-up the broker lost are still done.
"""

import logging
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import OperationalError, connection, transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone

from ..escalation.triggers import alert_trigger
from ..models import (
    OPEN_STATUSES,
    Alert,
    Incident,
    IncidentStatus,
    Integration,
    IntegrationEvent,
    TimelineEvent,
)
from ..services import incident_acknowledge, incident_set_status, timeline
from .events import ACKNOWLEDGE, TRIGGER, AlertEvent
from .receive import REASON_MAX, enqueue_processing, parse

log = logging.getLogger(__name__)
Outcome = IntegrationEvent.Outcome
Status = Alert.Status

BATCH = 1000
SQLITE_BATCH = 100  # SQLite holds its one write lock for the whole batch: keep it short
LINGER_SECONDS = 0.6  # longer than receive.WAKE_INTERVAL: see the note there
SMALL_BATCH = 100
PACE_SECONDS = 0.05
# pg_try_advisory_xact_lock takes a bigint; any constant of our own will do.
LOCK_KEY = 0x1A7E_1A7E
RUN_LOCK_KEY = LOCK_KEY + 1
STALE_AFTER = timedelta(seconds=2)
PROCESS_INLINE_AFTER = timedelta(seconds=30)
# The event log is for seeing what senders sent; alerts and incidents keep what matters.
RETENTION = timedelta(days=30)
PRUNE_EVERY_SECONDS = 60
PRUNE_BATCH = 5000
_last_prune = 0.0


@dataclass(frozen=True)
class Item:
    row_id: int
    integration: Integration
    event: AlertEvent
    at: datetime


def process_pending(*, linger: bool = True, max_batches: int | None = None) -> int:
    """Process accepted events batch after batch until none is left; returns how many
    events were processed. Ends at once when another processor is running: that one
    drains the queue (and lingers before it stops, to catch events arriving meanwhile).

    "Running" includes lingering. Without that, every wake-up arriving while the processor
    slept between batches would linger too, each holding a worker process that deliveries
    need: an alert storm's wake-ups (a few a second) held up every page for tens of seconds.
    """
    if not _take_run_lock():
        return 0
    try:
        return _drain(linger=linger, max_batches=max_batches)
    finally:
        _release_run_lock()


def _drain(*, linger: bool, max_batches: int | None) -> int:
    total, batches, lingered = 0, 0, False
    while max_batches is None or batches < max_batches:
        done = process_batch()
        if done is None:
            break
        batches, total = batches + 1, total + done
        if done:
            lingered = False
            if done < SMALL_BATCH and linger:
                # A trickle: let a few more events arrive rather than spend a transaction
                # and its fixed queries on each one (the web tier needs that CPU more).
                time.sleep(PACE_SECONDS)
            continue
        if lingered or not linger:
            break
        time.sleep(LINGER_SECONDS)
        lingered = True
    return total


def intake_backstop(now: datetime) -> None:
    """For the timer sweep: accepted events left over a few seconds mean a lost wake-up
    (or a busy worker); ask again. Left much longer, no worker is taking them: process a
    batch here, so what was acknowledged to a sender is handled even then. Once a minute,
    also forget events older than the retention period."""
    global _last_prune
    if time.monotonic() - _last_prune >= PRUNE_EVERY_SECONDS:
        _last_prune = time.monotonic()
        events_prune(now)
    oldest = (
        IntegrationEvent.objects.filter(outcome=Outcome.ACCEPTED)
        .order_by("received_at")
        .values_list("received_at", flat=True)
        .first()
    )
    if oldest is None or now - oldest < STALE_AFTER:
        return
    enqueue_processing()
    if now - oldest >= PROCESS_INLINE_AFTER:
        try:
            process_pending(linger=False, max_batches=1)
        except Exception:  # the sweep's own work (timers, heartbeat) must go on
            log.exception("processing alert events from the sweep failed")


def events_prune(now: datetime) -> int:
    """Delete processed and rejected events older than ``RETENTION``, a bounded number per
    integration and call (the alerts and incidents they made stay)."""
    cutoff = now - RETENTION
    deleted = 0
    for integration_id in Integration.objects.values_list("pk", flat=True):
        old = (
            IntegrationEvent.objects.filter(integration_id=integration_id, received_at__lt=cutoff)
            .exclude(outcome=Outcome.ACCEPTED)
            .values_list("pk", flat=True)[:PRUNE_BATCH]
        )
        ids = list(old)
        if ids:
            deleted += IntegrationEvent.objects.filter(pk__in=ids).delete()[0]
    return deleted


def process_batch(limit: int | None = None) -> int | None:
    """Claim and apply one batch. None: another processor holds the lock."""
    if limit is None:
        limit = SQLITE_BATCH if connection.vendor == "sqlite" else BATCH
    now = timezone.now()
    with transaction.atomic():
        if not _take_lock():
            return None
        with _queue_read_in_order():
            rows = list(
                IntegrationEvent.objects.filter(outcome=Outcome.ACCEPTED)
                .order_by("received_at", "id")
                .values_list("id", "integration_id", "payload", "received_at")[:limit]
            )
        if not rows:
            return 0
        ids = [row[0] for row in rows]
        IntegrationEvent.objects.filter(pk__in=ids, outcome=Outcome.ACCEPTED).update(
            outcome=Outcome.PROCESSED, processed_at=now
        )
        try:
            with transaction.atomic():
                reasons = _apply_rows(rows)
        except OperationalError:
            raise
        except Exception:
            # A bug that breaks the batch as a whole must not stop the queue behind it:
            # apply the rows one by one, so only the row that causes it is marked failed.
            log.exception("alert event batch failed; applying its events one by one")
            reasons = _apply_one_by_one(rows)
        for row_id, reason in reasons.items():
            IntegrationEvent.objects.filter(pk=row_id).update(reason=reason[:REASON_MAX])
    return len(rows)


@contextmanager
def _queue_read_in_order():
    """Read the queue by walking its index in order: the one plan that stays cheap.

    Every processed event leaves a dead entry in the queue's partial index until VACUUM.
    For a few hundred rows the planner prefers a bitmap scan, or on a small table a
    sequential one, then a sort; either reads every dead entry (or row) on every batch:
    5 ms a batch after a minute of an alert storm, and growing. An ordered index scan stops
    at the batch's last row and marks the dead entries it passes, so the next batch skips
    them. Both settings are local to the transaction and put back at once.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute(_PLANNER_READ_SET, list(_INDEX_WALK))
        before = cursor.fetchone()[: len(_INDEX_WALK)]
        try:
            yield
        finally:
            cursor.execute(_PLANNER_PUT_BACK, list(before))


_INDEX_WALK = ("enable_bitmapscan", "enable_seqscan")
_PLANNER_READ_SET = (
    "SELECT current_setting(%s), current_setting(%s),"
    " set_config('enable_bitmapscan', 'off', true), set_config('enable_seqscan', 'off', true)"
)
_PLANNER_PUT_BACK = (
    "SELECT set_config('enable_bitmapscan', %s, true), set_config('enable_seqscan', %s, true)"
)


def _apply_one_by_one(rows) -> dict[int, str]:
    reasons: dict[int, str] = {}
    for row in rows:
        try:
            with transaction.atomic():
                reasons.update(_apply_rows([row]))
        except OperationalError:
            raise
        except Exception as error:
            log.exception("alert event %s failed", row[0])
            reasons[row[0]] = _failure(error)
    return reasons


def _failure(error: Exception) -> str:
    return f"Processing failed: {type(error).__name__}: {error}"


def _take_lock() -> bool:
    """The batch's lock, freed when its transaction ends."""
    return _try_advisory_lock(_TRY_XACT_LOCK, LOCK_KEY)


def _take_run_lock() -> bool:
    """A session lock held while a processor runs, lingering included; a killed worker's
    connection closes and frees it."""
    return _try_advisory_lock(_TRY_SESSION_LOCK, RUN_LOCK_KEY)


_TRY_XACT_LOCK = "SELECT pg_try_advisory_xact_lock(%s)"
_TRY_SESSION_LOCK = "SELECT pg_try_advisory_lock(%s)"


def _try_advisory_lock(statement: str, key: int) -> bool:
    if connection.vendor != "postgresql":
        return True  # SQLite: one process at a time writes anyway
    with connection.cursor() as cursor:
        cursor.execute(statement, [key])
        return bool(cursor.fetchone()[0])


def _release_run_lock() -> None:
    if connection.vendor != "postgresql":
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [RUN_LOCK_KEY])
    except OperationalError:  # the connection is gone, and its lock with it
        log.warning("could not release the intake processor's lock", exc_info=True)


@dataclass
class Live:
    """What the fast path needs of a live alert (the model object only on the slow path)."""

    pk: int
    incident_id: int | None


@dataclass
class Batch:
    """The state of one batch: live alerts by key, which of their incidents are open, and the
    repeats counted so far (alert id → [events added, last seen])."""

    live: dict[tuple[int, str], Live | None]
    open_incidents: dict[int, bool]
    counted: dict[int, list]


def _apply_rows(rows) -> dict[int, str]:
    integrations = Integration.objects.select_related("service").in_bulk(
        {row[1] for row in rows if row[1] is not None}
    )
    reasons: dict[int, str] = {}
    items: list[Item] = []
    latest: dict[int, datetime] = {}
    for row_id, integration_id, payload, at in rows:
        integration = integrations.get(integration_id)
        if integration is None:
            reasons[row_id] = "No integration to process this event for."
            continue
        latest[integration.pk] = max(at, latest.get(integration.pk, at))
        try:
            parsed = parse(integration.kind, payload)
        except Exception as error:  # parsers are pure and fuzzed, but a stored row must not jam
            log.exception("alert event %s could not be parsed", row_id)
            reasons[row_id] = _failure(error)
            continue
        if not parsed.ok or any(event.dedup_key is None for event in parsed.events):
            reasons[row_id] = "Not processed: " + "; ".join(parsed.errors or ["no dedup key"])
            continue
        items.extend(Item(row_id, integration, event, at) for event in parsed.events)

    batch = _load(items)
    for item in items:
        key = (item.integration.pk, item.event.dedup_key)
        live = batch.live.get(key)
        if _is_repeat(item, live, batch):
            counts = batch.counted.setdefault(live.pk, [0, item.at])
            counts[0] += 1
            counts[1] = max(counts[1], item.at)
            continue
        if live is not None and live.pk in batch.counted:
            _write_counts({live.pk: batch.counted.pop(live.pk)})  # the slow path reads them
        try:
            with transaction.atomic():
                alert = _apply(item, _alert(live), batch)
        except OperationalError:
            raise  # transient (deadlock, lock timeout): the whole batch is tried again
        except Exception as error:
            log.exception("event %s (%s) failed", item.row_id, item.event.dedup_key)
            reasons[item.row_id] = _failure(error)
            alert = _live_alert(*key)  # the savepoint undid this event's writes
        batch.live[key] = Live(alert.pk, alert.incident_id) if alert is not None else None
        if alert is not None and alert.incident is not None:
            batch.open_incidents[alert.incident_id] = alert.incident.is_open
    _write_counts(batch.counted)
    if latest:
        _write_last_event(latest)
    return reasons


def _load(items: list[Item]) -> Batch:
    """The live alert of every (integration, dedup key) of the batch and whether their
    incidents are open: two queries, however many events."""
    keys = {(item.integration.pk, item.event.dedup_key) for item in items}
    live: dict[tuple[int, str], Live | None] = {}
    incident_ids = set()
    if keys:
        rows = (
            Alert.objects.filter(
                integration_id__in={key[0] for key in keys},
                dedup_key__in={key[1] for key in keys},
            )
            .exclude(status=Status.RESOLVED)
            .values_list("pk", "integration_id", "dedup_key", "incident_id")
        )
        for pk, integration_id, dedup_key, incident_id in rows:
            if (integration_id, dedup_key) in keys:
                live[(integration_id, dedup_key)] = Live(pk, incident_id)
                incident_ids.add(incident_id)
    incident_ids.discard(None)
    statuses = Incident.objects.filter(pk__in=incident_ids).values_list("pk", "status")
    return Batch(
        live=live,
        open_incidents={pk: status in OPEN_STATUSES for pk, status in statuses},
        counted={},
    )


def _alert(live: Live | None) -> Alert | None:
    if live is None:
        return None
    return Alert.objects.select_related("incident").filter(pk=live.pk).first()


def _live_alert(integration_id: int, dedup_key: str) -> Alert | None:
    return (
        Alert.objects.filter(integration_id=integration_id, dedup_key=dedup_key)
        .exclude(status=Status.RESOLVED)
        .select_related("incident")
        .first()
    )


def _write_counts(counted: dict[int, list]) -> None:
    """Add the repeats to their alerts: one statement on PostgreSQL."""
    if not counted:
        return
    if connection.vendor != "postgresql":
        for pk, (added, seen) in counted.items():
            Alert.objects.filter(pk=pk).update(
                event_count=F("event_count") + added, last_seen_at=Greatest("last_seen_at", seen)
            )
        return
    table = connection.ops.quote_name(Alert._meta.db_table)
    values = ", ".join(["(%s::bigint, %s::integer, %s::timestamptz)"] * len(counted))
    parameters = [value for pk, (added, seen) in counted.items() for value in (pk, added, seen)]
    # Built from the model's table name and placeholders only; the values are parameters.
    statement = (
        f"UPDATE {table} AS alert SET event_count = alert.event_count + counts.added, "  # noqa: S608
        "last_seen_at = GREATEST(alert.last_seen_at, counts.seen) "
        f"FROM (VALUES {values}) AS counts (id, added, seen) WHERE alert.id = counts.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, parameters)


def _write_last_event(latest: dict[int, datetime]) -> None:
    if connection.vendor != "postgresql":
        for integration_id, at in latest.items():
            Integration.objects.filter(pk=integration_id).filter(
                Q(last_event_at__isnull=True) | Q(last_event_at__lt=at)
            ).update(last_event_at=at)
        return
    table = connection.ops.quote_name(Integration._meta.db_table)
    values = ", ".join(["(%s::bigint, %s::timestamptz)"] * len(latest))
    statement = (
        f"UPDATE {table} AS integration SET last_event_at = latest.at "  # noqa: S608
        f"FROM (VALUES {values}) AS latest (id, at) WHERE integration.id = latest.id "
        "AND (integration.last_event_at IS NULL OR integration.last_event_at < latest.at)"
    )
    with connection.cursor() as cursor:
        cursor.execute(statement, [value for pair in latest.items() for value in pair])


def _is_repeat(item: Item, live: Live | None, batch: Batch) -> bool:
    """One more trigger of a live alert whose incident is open and already has it: only a
    counter changes (the common case by far: sources repeat until the problem is gone)."""
    if item.event.action != TRIGGER or _degraded(item.integration, item.event.metric):
        return False
    if live is None or live.incident_id is None:
        return False
    return batch.open_incidents.get(live.incident_id, False)


def _degraded(integration: Integration, metric: float | None) -> bool:
    threshold = integration.degradation_threshold
    return threshold is not None and metric is not None and metric > threshold


def _apply(item: Item, alert: Alert | None, batch: Batch) -> Alert | None:
    """Apply one event to the live alert of its key; returns the live alert after it."""
    action = item.event.action
    if action == TRIGGER:
        return _trigger(item, alert)
    if action == ACKNOWLEDGE:
        _acknowledge(item, alert)
        return alert
    _resolve(item, alert, batch)
    return None


def _incident_of(alert: Alert) -> Incident | None:
    if not alert.incident_id:
        return None
    return Incident.objects.filter(pk=alert.incident_id).first()


def _trigger(item: Item, alert: Alert | None) -> Alert:
    integration, event, at = item.integration, item.event, item.at
    if alert is not None:
        incident = _incident_of(alert)
        if incident is not None and not incident.is_open:
            # A person resolved the incident while the source still fires. As in
            # PagerDuty, that group is over; this trigger opens a new one.
            Alert.objects.filter(pk=alert.pk).update(status=Status.RESOLVED, resolved_at=at)
            alert = None
    if alert is None:
        alert = Alert.objects.create(
            integration=integration,
            service=integration.service,
            dedup_key=event.dedup_key,
            summary=event.summary or event.dedup_key,
            source=event.source,
            source_severity=event.severity,
            details=event.details,
            links=list(event.links),
            first_seen_at=at,
            last_seen_at=at,
        )
        alert_trigger(alert, metric=event.metric, now=at)
        return alert
    Alert.objects.filter(pk=alert.pk).update(
        event_count=F("event_count") + 1, last_seen_at=Greatest("last_seen_at", at)
    )
    if alert.incident_id is None or _degraded(integration, event.metric):
        # Not on an incident yet (the rule may want one now), or the metric crossed the
        # degradation threshold (the rule raises the open incident).
        alert_trigger(alert, metric=event.metric, now=at)
    return alert


def _acknowledge(item: Item, alert: Alert | None) -> None:
    if alert is None:
        return  # nothing live under this key: PagerDuty drops it too
    Alert.objects.filter(pk=alert.pk, status=Status.TRIGGERED).update(status=Status.ACKNOWLEDGED)
    alert.status = Status.ACKNOWLEDGED
    incident = _incident_of(alert)
    if incident is None or not incident.is_open or incident.acknowledged_at is not None:
        return
    if Alert.objects.filter(incident=incident, status=Status.TRIGGERED).exists():
        return  # another alert of this incident is still unacknowledged
    incident_acknowledge(incident=incident, by=None, name=item.integration.name, at=item.at)


def _resolve(item: Item, alert: Alert | None, batch: Batch) -> None:
    if alert is None:
        return
    integration, at = item.integration, item.at
    alert.status, alert.resolved_at = Status.RESOLVED, at
    Alert.objects.filter(pk=alert.pk).update(
        status=Status.RESOLVED, resolved_at=at, last_seen_at=Greatest("last_seen_at", at)
    )
    incident = _incident_of(alert)
    if incident is None or not incident.is_open:
        return
    still_live = Alert.objects.filter(incident=incident).exclude(status=Status.RESOLVED).count()
    summary = alert.summary[:300]
    if still_live:
        timeline.record(
            incident,
            TimelineEvent.Kind.ALERT,
            f"Alert resolved ({integration.name}): {summary}. "
            f"{still_live} alert{'s' if still_live > 1 else ''} of this incident still open.",
            at=at,
            name=integration.name,
            alert=alert.pk,
        )
        return
    if not _declared_by_alerts(incident):
        timeline.record(
            incident,
            TimelineEvent.Kind.ALERT,
            f"Every alert of this incident is resolved ({integration.name}): {summary}. "
            "A person declared it, so it stays open until they resolve it.",
            at=at,
            name=integration.name,
            alert=alert.pk,
        )
        return
    batch.open_incidents[incident.pk] = False
    incident_set_status(
        incident=incident,
        status=IncidentStatus.RESOLVED,
        by=None,
        system=True,
        name=integration.name,
        at=at,
        note=f"Every alert resolved ({integration.name}).",
    )


def _declared_by_alerts(incident: Incident) -> bool:
    """Declared by an alert rule: no person declared it, and an alert of it was there
    when it was (the alert that declared it is stamped with the same moment)."""
    if incident.declared_by_id is not None:
        return False
    return Alert.objects.filter(incident=incident, first_seen_at__lte=incident.declared_at).exists()
