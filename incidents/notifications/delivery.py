"""Delivering outbox rows: claim them, send through their channel, record the result.

1. Rows are claimed with a compare-and-set (queued → sending), so however many times a
   delivery is requested, one worker sends it; a row already sent is never sent again.
   A page that comes within a minute of the last message to the same method is held and
   then goes out bundled with the others (``bundles``). A request names up to ten rows:
   they are read, checked for holds and claimed with one statement each, then sent one
   message after another.
2. The channel sends one message for the rows claimed, named by its identity (the same on
   every try). One statement right after the send records the result and Apprise's log
   lines on every row: a worker killed between the two is what sends a message twice.
3. A temporary failure puts the rows back in the queue with a later ``deliver_after``
   (exponential backoff, no Celery countdown: the sweep's ``release_due`` asks again when
   it is time). A permanent failure, or the last attempt, fails them for good: a permanent
   one flags the contact method for the roster admins, and the ``on_final_failure`` hooks
   run (the escalation moves on when every urgent method of a recipient has failed).
"""

import logging
import time
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Case, CharField, DateTimeField, F, Func, TextField, Value, When
from django.db.models.functions import Cast, Concat, Right
from django.utils import timezone

from ..models import ContactMethod, Notification
from . import bundles, render
from .channels import DeliveryError, SendResult, channel_for
from .failover import escalate_when_unreachable

log = logging.getLogger(__name__)
State = Notification.State
MAX_ATTEMPTS = 5
BACKOFF_SECONDS = (2, 8, 30, 120)  # before attempts 2, 3, 4, 5
LOG_LIMIT = 10_000
# Rows claimed together wait for the messages before them; past this, their claim is
# stamped again so that no slow channel makes them look abandoned.
KEEP_CLAIM_SECONDS = settings.NOTIFICATION_SENDING_STALE_SECONDS / 3
DECIDING_FIELDS = (
    "state", "deliver_after", "incident_id", "reason", "recipient_id", "contact_method_id",
    "urgency", "delivery_log",
)


def deliver(notification_id: int, now: datetime | None = None) -> str:
    """Send the row if it is still queued and due. Returns its state afterwards."""
    return deliver_many([notification_id], now)[notification_id]


def deliver_many(ids: list[int], now: datetime | None = None) -> dict[int, str]:
    """Send those of the rows that are still queued and due; their states afterwards."""
    now = now or timezone.now()
    states = dict.fromkeys(ids, "missing")
    due = []
    # Only what deciding needs (the claim loads the rows it sends in full).
    for row in Notification.objects.filter(pk__in=ids).only(*DECIDING_FIELDS):
        states[row.pk] = row.state
        if row.state == State.QUEUED and row.deliver_after <= now:
            due.append(row)
    due = _hold_storms(due, now)
    key, messages = bundles.claim(due, now)
    render.prepare([row for rows in messages for row in rows])
    claimed_at = time.monotonic()
    for number, rows in enumerate(messages):
        if time.monotonic() - claimed_at > KEEP_CLAIM_SECONDS:
            waiting = [row for later in messages[number:] for row in later]
            bundles.keep_claim(key, waiting, timezone.now())
            claimed_at = time.monotonic()
        states.update(_send(rows))
    # Rows another worker claimed first (into its bundle): as that worker left them.
    taken = [row.pk for row in due if states[row.pk] == State.QUEUED]
    if taken:
        states.update(Notification.objects.filter(pk__in=taken).values_list("pk", "state"))
    return states


def _hold_storms(rows: list[Notification], now: datetime) -> list[Notification]:
    """Hold the pages whose method had a message less than a window ago; the rest."""
    holds = bundles.hold_until(rows, now)
    if not holds:
        return rows
    going = []
    for row in rows:
        until = holds.get((row.contact_method_id, row.urgency)) if bundles.bundles(row) else None
        if until is None or until <= now or not bundles.hold(row, until, now):
            going.append(row)
    return going


def _send(rows: list[Notification]) -> dict[int, str]:
    """Send the claimed rows as one message; their states afterwards, by id."""
    try:
        outgoing = render.outgoing(rows)
        result: SendResult = channel_for(rows[0].channel).send(outgoing)
    except DeliveryError as error:
        return _failed(rows, error, timezone.now())
    except Exception as error:  # a bug or an unforeseen library error: retry, then fail
        log.exception("notification %s: unexpected error while sending", rows[0].pk)
        error = DeliveryError(f"Unexpected error: {type(error).__name__}: {error}")
        return _failed(rows, error, timezone.now())
    return _sent(rows, result, timezone.now())


def _sent(rows: list[Notification], result: SendResult, now: datetime) -> dict[int, str]:
    """Mark ``rows`` sent with one UPDATE, the first statement after the send.

    A worker killed between the send and this statement leaves its rows "sending", and they
    are sent again once that claim is stale: one statement keeps that window as short as it
    can be, and all of a message's rows on one side of it (the identity the message carried
    lets a receiver drop the second copy). What differs per row, its attempt number, is read
    in SQL: the log entry is appended there, on SQLite and PostgreSQL alike.
    """
    bundled = len(rows) > 1
    # The claim key is shared by every row of a request; a bundle's own names its first row.
    bundle_key = f"{rows[0].bundle_key}-{rows[0].pk}" if bundled else ""
    note = ""
    if bundled:
        references = ", ".join(row.incident.reference for row in rows if row.incident)
        note = f" as one message with {len(rows) - 1} other(s) ({references})"
    entry = _entry(
        f"{_stamp(now)} attempt ", Cast("attempts", CharField()), f": sent{note}\n{result.log}"
    )
    Notification.objects.filter(pk__in=[row.pk for row in rows], state=State.SENDING).update(
        state=State.SENT, sent_at=now, error="", bundle_key=bundle_key, delivery_log=entry
    )
    return {row.pk: State.SENT for row in rows}


def _failed(rows: list[Notification], error: DeliveryError, now: datetime) -> dict[int, str]:
    """Put ``rows`` back in the queue with a backoff, or fail them for good: one UPDATE
    for each of the two (what differs per row follows from its attempt number)."""
    final = [row for row in rows if error.permanent or row.attempts >= MAX_ATTEMPTS]
    retried = [row for row in rows if not (error.permanent or row.attempts >= MAX_ATTEMPTS)]
    if retried:
        _retry_later(retried, error, now)
    states = {row.pk: State.QUEUED for row in retried}
    states.update({row.pk: State.FAILED for row in final})
    if final:
        _fail_for_good(final, error, now)
    return states


def _retry_later(rows: list[Notification], error: DeliveryError, now: datetime) -> None:
    waits = {row.attempts: _backoff(row.attempts) for row in rows}
    entries = {
        attempts: f"{_stamp(now)} attempt {attempts}: {error}; next try at {_stamp(now + wait)}"
        f"\n{error.log}".rstrip()
        for attempts, wait in waits.items()
    }
    Notification.objects.filter(pk__in=[row.pk for row in rows], state=State.SENDING).update(
        state=State.QUEUED,
        deliver_after=_by_attempts({n: now + wait for n, wait in waits.items()}, DateTimeField()),
        enqueued_at=None,
        bundle_key="",
        error=str(error),
        delivery_log=_entry(_by_attempts(entries, TextField())),
    )


def _fail_for_good(rows: list[Notification], error: DeliveryError, now: datetime) -> None:
    why = "permanent failure" if error.permanent else f"gave up after {MAX_ATTEMPTS} attempts"
    with transaction.atomic():
        Notification.objects.filter(pk__in=[row.pk for row in rows], state=State.SENDING).update(
            state=State.FAILED,
            failed_at=now,
            bundle_key="",
            error=str(error),
            delivery_log=_entry(
                f"{_stamp(now)} attempt ",
                Cast("attempts", CharField()),
                f": {error} ({why})\n{error.log}",
            ),
        )
        for row in rows:
            row.state, row.failed_at, row.error = State.FAILED, now, str(error)
        if error.permanent and error.flag_method:
            # Flag the address for the roster admins; it is skipped until someone fixes it.
            ContactMethod.objects.filter(pk=rows[0].contact_method_id).update(
                failure_reason=str(error)[:300], failed_at=now
            )
        for row in rows:
            _run_hooks(row, now)


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=BACKOFF_SECONDS[min(attempts, len(BACKOFF_SECONDS)) - 1])


def _by_attempts(values: dict[int, object], output_field) -> Case:
    """``values[attempts]`` for each row, in SQL: a few branches, as attempts are few.
    (The last one is the default too: never NULL, whatever the row holds by then.)"""
    branches = [When(attempts=n, then=Value(value, output_field)) for n, value in values.items()]
    last = values[max(values)]
    return Case(*branches, default=Value(last, output_field), output_field=output_field)


def _run_hooks(notification: Notification, now: datetime) -> None:
    for hook in _failure_hooks:
        try:
            # A savepoint: a failing hook undoes its own writes, never the recorded failure.
            with transaction.atomic():
                hook(notification, now)
        except Exception:
            log.exception("notification %s: failure hook %r failed", notification.pk, hook)


_failure_hooks = []


def on_final_failure(hook):
    """Register ``hook(notification, now)``, run when a row fails for good (the escalation
    engine moves on at once when every urgent method of a recipient has failed)."""
    _failure_hooks.append(hook)
    return hook


on_final_failure(escalate_when_unreachable)


def _stamp(moment: datetime) -> str:
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M:%S")


def _entry(*parts) -> Func:
    """The row's delivery log with an entry joined from ``parts`` (text or SQL) appended,
    in SQL, as ``(log + "\\n" + entry).strip()[-LOG_LIMIT:]`` would be in Python: no
    newline before the first entry, none after the last part (given as text, or stripped
    already), the last ``LOG_LIMIT`` characters kept."""
    *parts, last = parts
    parts = [Value(part) if isinstance(part, str) else part for part in parts]
    last = Value(last.rstrip()) if isinstance(last, str) else last
    separator = Case(When(delivery_log="", then=Value("")), default=Value("\n"))
    joined = Concat(F("delivery_log"), separator, *parts, last, output_field=TextField())
    return Right(joined, LOG_LIMIT)
