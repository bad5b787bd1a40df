import logging
import time
from datetime import datetime

from django.db import OperationalError, connection, transaction
from django.utils import timezone

from ..models import Timer
from ..notifications.outbox import delivery_batch, requests_gathered
from .registry import handler_for, loader_for

log = logging.getLogger(__name__)
State = Timer.State
BATCH = 200
DRAIN_SECONDS = 1.0
# Once a sweep has caught up, the next batch starts at least this long after the last one
# began: timers falling due a few milliseconds apart then fire a few dozen per transaction
# rather than one or two.
CAUGHT_UP_GAP_SECONDS = 0.05


def schedule(*, kind: str, due_at: datetime, incident=None, **reference) -> Timer:
    """Write a pending timer. Call inside the transaction that makes it necessary."""
    return Timer.objects.create(kind=kind, due_at=due_at, incident=incident, reference=reference)


def cancel(*, incident=None, kinds=None, **reference) -> int:
    """Cancel pending timers of ``incident`` (of ``kinds``, matching ``reference``)."""
    timers = Timer.objects.filter(state=State.PENDING)
    if incident is not None:
        timers = timers.filter(incident=incident)
    if kinds:
        timers = timers.filter(kind__in=list(kinds))
    for key, value in reference.items():
        timers = timers.filter(**{f"reference__{key}": value})
    return timers.update(state=State.CANCELLED, fired_at=timezone.now())


def sweep_due(now: datetime | None = None, limit: int = 10_000) -> int:
    """Fire every pending timer due by ``now``; returns how many fired. Safe to run in
    several processes at once: each row is claimed by exactly one of them.

    Without ``now`` (the beat task) every batch reads the clock afresh, and the sweep goes
    on while it finds due rows, for up to ``DRAIN_SECONDS``: what falls due while a large
    batch runs fires in this sweep rather than waiting for the next one, and a backlog is
    worked off by the sweeps that follow (each records its heartbeat in between).
    """
    fired = 0
    retry_later: set[int] = set()
    started = time.monotonic()
    # Each batch commits on its own; their delivery requests leave together, in full messages.
    with requests_gathered() as requests:
        while fired < limit:
            began = time.monotonic()
            claimed, done = _fire_batch(now or timezone.now(), retry_later)
            fired += done
            if now is not None:
                if claimed < BATCH:
                    break
                continue
            if not claimed or time.monotonic() - started > DRAIN_SECONDS:
                break
            requests.send_due()
            if claimed < BATCH:
                time.sleep(max(0.0, began + CAUGHT_UP_GAP_SECONDS - time.monotonic()))
    return fired


def _fire_batch(now: datetime, retry_later: set[int]) -> tuple[int, int]:
    """Claim up to ``BATCH`` due rows and run their handlers in one transaction.

    Returns (rows claimed, rows fired). A handler that hits a transient database error (a
    deadlock, a serialization failure, a lock timeout) leaves its timer pending for the
    next sweep; ``retry_later`` keeps this sweep from picking it up again at once.
    """
    skip_locked = connection.features.has_select_for_update_skip_locked
    # The deliveries the handlers ask for leave together at commit, a few broker messages
    # for the whole batch rather than one per page.
    with transaction.atomic(), delivery_batch():
        due = Timer.objects.filter(state=State.PENDING, due_at__lte=now).order_by("due_at", "id")
        if retry_later:
            due = due.exclude(pk__in=retry_later)
        if skip_locked:
            rows = list(due.select_for_update(skip_locked=True, of=("self",))[:BATCH])
            # The row locks already make these rows ours: one statement marks them all.
            if rows:
                Timer.objects.filter(pk__in=[t.pk for t in rows]).update(
                    state=State.FIRED, fired_at=now
                )
        else:
            # No row locks here: the conditional update is the claim (0 rows: another
            # sweeper fired it first).
            rows = [
                timer
                for timer in due[:BATCH]
                if Timer.objects.filter(pk=timer.pk, state=State.PENDING).update(
                    state=State.FIRED, fired_at=now
                )
            ]
        _load(rows)
        fired = 0
        # Handlers write to their incident's row. Taking those row locks in one order in
        # every sweeper keeps two sweepers from deadlocking on each other's incidents.
        for timer in sorted(rows, key=_lock_order):
            timer.state, timer.fired_at = State.FIRED, now
            if _run_handler(timer, now):
                fired += 1
            else:
                Timer.objects.filter(pk=timer.pk).update(state=State.PENDING, fired_at=None)
                retry_later.add(timer.pk)
    return len(rows), fired


def _load(timers: list[Timer]) -> None:
    """Run each kind's bulk ``load`` over its timers of the batch, in a savepoint: one that
    fails leaves its handlers to read for themselves, as they would unprepared."""
    by_kind: dict[str, list[Timer]] = {}
    for timer in timers:
        by_kind.setdefault(timer.kind, []).append(timer)
    for kind, group in by_kind.items():
        load = loader_for(kind)
        if load is None:
            continue
        try:
            with transaction.atomic():
                load(group)
        except Exception:
            log.exception("timers of kind %r: bulk load failed; handlers read alone", kind)


def _lock_order(timer: Timer):
    return (timer.incident_id or 0, timer.due_at, timer.pk)


def _run_handler(timer: Timer, now: datetime) -> bool:
    """Run the handler of ``timer`` in a savepoint. False: a transient database error
    rolled it back and the timer is to be tried again; True otherwise."""
    handler = handler_for(timer.kind)
    if handler is None:
        Timer.objects.filter(pk=timer.pk).update(error=f"No handler for kind {timer.kind!r}.")
        log.error("timer %s: no handler for kind %r", timer.pk, timer.kind)
        return True
    try:
        # A savepoint: a failing handler rolls back its own writes, not the whole batch.
        with transaction.atomic():
            handler(timer, now)
    except OperationalError:
        # Not the handler's fault, and gone on the next try: losing the page for it would
        # silently end an escalation.
        log.warning("timer %s (%s): transient database error, retrying", timer.pk,
                    timer.kind, exc_info=True)
        return False
    except Exception as exc:  # a bug in one handler must not stop every other clock
        log.exception("timer %s (%s) failed", timer.pk, timer.kind)
        Timer.objects.filter(pk=timer.pk).update(error=f"{type(exc).__name__}: {exc}"[:2000])
    return True
