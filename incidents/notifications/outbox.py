"""Writing Notification rows and asking for their delivery once they are committed.

Rows are created in the transaction of whatever caused them (a fired timer, a published
update) with an idempotency key of cause + recipient + contact method, so re-running the
same cause writes nothing new. Delivery is requested with ``transaction.on_commit``; a
request the broker loses is asked for again by ``release_due``.
"""

import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models import ContactMethod, Notification, NotificationRule, Person

State = Notification.State
# A delivery request the broker lost (a flushed or restarted Redis, a killed worker holding
# it) is asked for again after this long; a row left ``sending`` by a killed worker goes back
# to the queue after that long (longer than any channel's own timeout).
RE_ENQUEUE_AFTER = timedelta(seconds=settings.NOTIFICATION_REQUEST_AGAIN_SECONDS)
SENDING_STALE_AFTER = timedelta(
    seconds=settings.NOTIFICATION_SENDING_STALE_SECONDS
)
DELIVERY_MESSAGE_ROWS = 10
DELIVERY_MESSAGES_AT_LEAST = 8  # up to 8 rows: a message each
GATHER_SECONDS = 0.2  # how long gathered requests wait for a full message


@dataclass(frozen=True)
class Message:
    """What to tell a person; channels shape it (short for SMS, rich for email).

    ``subject`` and ``body`` are the email wording. A message made by ``render`` also names
    its ``template`` (the reason) and keeps the ``context`` it was rendered with, so that
    ``render.shape`` can render the SMS and chat wording from the same facts.
    """

    subject: str
    body: str
    template: str = ""
    context: dict | None = field(default=None, compare=False)


def idempotency_key(cause: str, person_id: int, method_id: int) -> str:
    return f"{cause}|p{person_id}|m{method_id}"


def usable_rules(person: Person, urgency: str) -> list[NotificationRule]:
    """The person's rules for ``urgency`` whose contact method has not failed."""
    return [
        rule
        for rule in person.notification_rules.all()
        if rule.urgency == urgency and rule.contact_method.is_usable
    ]


def notify_person(
    *, person: Person, urgency: str, reason: str, cause: str, message: Message, now: datetime,
    incident=None, timer=None, render=None,
) -> list[Notification]:
    """Queue one notification per usable rule of ``person`` for ``urgency``.

    Returns the rows created now (none for a cause already handled). ``render`` may shape
    the message per channel: ``render(message, method) -> Message``.
    """
    created = []
    for rule in usable_rules(person, urgency):
        method: ContactMethod = rule.contact_method
        shaped = render(message, method) if render else message
        row = queue_one(
            person=person, method=method, urgency=urgency, reason=reason, cause=cause,
            message=shaped, deliver_after=now + timedelta(minutes=rule.delay_minutes),
            now=now, incident=incident, timer=timer, requested=True,
        )
        if row is not None:
            created.append(row)
    request_delivery([n for n in created if n.enqueued_at is not None], stamped=True)
    return created


def queue_one(
    *, person: Person, method: ContactMethod, urgency: str, reason: str, cause: str,
    message: Message, deliver_after: datetime, now: datetime, incident=None, timer=None,
    requested: bool = False,
) -> Notification | None:
    """Write one outbox row; None when this cause already reached ``method``.

    ``requested``: the caller asks for its delivery in this transaction, with
    ``request_delivery(..., stamped=True)`` when it is due now.
    """
    try:
        with transaction.atomic():
            return Notification.objects.create(
                incident=incident,
                reason=reason,
                cause=cause,
                timer=timer,
                recipient=person,
                contact_method=method,
                channel=method.kind,
                urgency=urgency,
                subject=message.subject[:300],
                body=message.body,
                idempotency_key=idempotency_key(cause, person.pk, method.pk),
                deliver_after=deliver_after,
                queued_at=now,
                enqueued_at=now if requested and deliver_after <= now else None,
            )
    except IntegrityError:
        return None  # this cause already reached this person on this method


def request_delivery(notifications, *, stamped: bool = False) -> None:
    """Ask the workers to deliver these rows once the current transaction commits (inside
    ``delivery_batch``, together with the batch's other rows).

    ``stamped``: the rows were written with ``enqueued_at`` already set.
    """
    ids = [n.pk for n in notifications]
    if not ids:
        return
    if not stamped:
        Notification.objects.filter(pk__in=ids).update(enqueued_at=timezone.now())
    batch = getattr(_batches, "current", None)
    if batch is not None:
        batch.extend(ids)
    else:
        transaction.on_commit(partial(_send_requests, ids))


_batches = threading.local()


@contextmanager
def delivery_batch():
    """Collect the delivery requests made inside, and send them together when the
    transaction commits: a page of 200 people asks for 400 deliveries one person at a time,
    a sweep batch for one per fired timer. Nested batches belong to the outermost one."""
    if getattr(_batches, "current", None) is not None:
        yield
        return
    _batches.current = batch = []
    try:
        yield
    finally:
        _batches.current = None
    # Not reached when the block raised: its rows are being rolled back with it.
    if batch:
        transaction.on_commit(partial(_send_requests, batch))


def _send_requests(ids: list[int]) -> None:
    """A large batch goes out as messages of up to ``DELIVERY_MESSAGE_ROWS`` rows (a message
    costs about as much as a send), a small one as a message per row, so that every worker
    process can take a part of it. (The ids of rows a rolled-back savepoint took back ride
    along and find no row.)"""
    gathering = getattr(_batches, "gathering", None)
    if gathering is not None:
        gathering.add(ids)
        return
    _publish(ids)


def _publish(ids: list[int], size: int = 0) -> None:
    from ..tasks import notifications_deliver

    size = size or min(DELIVERY_MESSAGE_ROWS, -(-len(ids) // DELIVERY_MESSAGES_AT_LEAST))
    for start in range(0, len(ids), size):
        notifications_deliver.delay(ids[start:start + size])


class _Gathered:
    def __init__(self):
        self.ids: list[int] = []
        self.since = 0.0

    def add(self, ids: list[int]) -> None:
        if not self.ids:
            self.since = time.monotonic()
        self.ids.extend(ids)
        self.send_due()

    def send_due(self) -> None:
        """Full messages now; the rest too once the oldest has waited long enough."""
        if self.ids and time.monotonic() - self.since >= GATHER_SECONDS:
            self.send_all()
            return
        full = len(self.ids) - len(self.ids) % DELIVERY_MESSAGE_ROWS
        if full:
            # What is left keeps the older start: it may leave early, never late.
            _publish(self.ids[:full], DELIVERY_MESSAGE_ROWS)
            del self.ids[:full]

    def send_all(self) -> None:
        if self.ids:
            _publish(self.ids)
        self.ids = []


@contextmanager
def requests_gathered():
    """For a caller that commits many small transactions in a row (a sweep working through
    timers falling due a few milliseconds apart): the delivery requests of their commits
    are gathered into full messages, sent once there are ``DELIVERY_MESSAGE_ROWS`` rows or
    the oldest has waited ``GATHER_SECONDS`` (checked at each commit and at ``send_due``),
    and all at the end. A request lost with a killed process is asked for again by
    ``release_due``: its rows are committed."""
    if getattr(_batches, "gathering", None) is not None:
        yield _batches.gathering
        return
    _batches.gathering = gathered = _Gathered()
    try:
        yield gathered
    finally:
        _batches.gathering = None
        gathered.send_all()


def release_due(now: datetime, limit: int = 2000, *, requests_waiting: int | None = 0) -> int:
    """Request delivery of queued rows whose time has come and that no worker was asked
    about recently: delayed rule steps (SMS after 5 minutes), and requests a broker lost.
    Also returns rows stuck in ``sending`` (a worker killed mid-delivery) to the queue.

    ``requests_waiting``: delivery requests the broker still holds (None: unknown). While
    some wait, the rows asked for long ago are behind them in the queue, not lost: asking
    again would only double a backlog the workers are already behind on. Then only rows
    never asked for (held bundles, retries, delayed rules) are released.
    """
    Notification.objects.filter(
        state=State.SENDING, enqueued_at__lt=now - SENDING_STALE_AFTER
    ).update(state=State.QUEUED)
    due = Notification.objects.filter(state=State.QUEUED, deliver_after__lte=now)
    if requests_waiting:
        due = due.filter(enqueued_at__isnull=True)
    else:
        due = due.exclude(enqueued_at__gte=now - RE_ENQUEUE_AFTER)
    with transaction.atomic():
        # Two releases at once (several sweeps, several workers) take disjoint rows: the
        # second would otherwise ask for the same rows again before the first commits.
        ids = list(
            due.order_by("deliver_after")
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)[:limit]
        )
        request_delivery([Notification(pk=pk) for pk in ids])
    return len(ids)


def cancel_pending(*, incident, urgency: str | None = None) -> int:
    """Cancel queued, not yet sent rows of ``incident`` (e.g. the SMS step after an ack)."""
    rows = Notification.objects.filter(incident=incident, state=State.QUEUED)
    if urgency:
        rows = rows.filter(urgency=urgency)
    return rows.update(state=State.CANCELLED, error="Cancelled: no longer needed.")
