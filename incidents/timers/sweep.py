import logging
from datetime import datetime

from django.db import connection, transaction
from django.utils import timezone

from ..models import Timer
from .registry import handler_for

log = logging.getLogger(__name__)
State = Timer.State
BATCH = 200


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
    several processes at once: each row is claimed by exactly one of them."""
    fired = 0
    while fired < limit:
        claimed = _fire_batch(now or timezone.now())
        fired += claimed
        if claimed < BATCH:
            break
    return fired


def _fire_batch(now: datetime) -> int:
    skip_locked = connection.features.has_select_for_update_skip_locked
    with transaction.atomic():
        due = Timer.objects.filter(state=State.PENDING, due_at__lte=now).order_by("due_at", "id")
        if skip_locked:
            rows = list(due.select_for_update(skip_locked=True, of=("self",))[:BATCH])
        else:
            rows = list(due[:BATCH])
        fired = 0
        for timer in rows:
            # On PostgreSQL the row lock already makes the claim ours; elsewhere the
            # conditional update is the claim (0 rows: another sweeper fired it first).
            claim = Timer.objects.filter(pk=timer.pk, state=State.PENDING)
            if not claim.update(state=State.FIRED, fired_at=now):
                continue
            timer.state, timer.fired_at = State.FIRED, now
            fired += 1
            _run_handler(timer, now)
    return fired


def _run_handler(timer: Timer, now: datetime) -> None:
    handler = handler_for(timer.kind)
    if handler is None:
        Timer.objects.filter(pk=timer.pk).update(error=f"No handler for kind {timer.kind!r}.")
        log.error("timer %s: no handler for kind %r", timer.pk, timer.kind)
        return
    try:
        # A savepoint: a failing handler rolls back its own writes, not the whole batch.
        with transaction.atomic():
            handler(timer, now)
    except Exception as exc:  # a bug in one handler must not stop every other clock
        log.exception("timer %s (%s) failed", timer.pk, timer.kind)
        Timer.objects.filter(pk=timer.pk).update(error=f"{type(exc).__name__}: {exc}"[:2000])
