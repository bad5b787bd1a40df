"""Writing Notification rows and asking for their delivery once they are committed.

Rows are created in the transaction of whatever caused them (a fired timer, a published
update) with an idempotency key of cause + recipient + contact method, so re-running the
same cause writes nothing new. Delivery is requested with ``transaction.on_commit``; a
request the broker loses is asked for again by ``release_stalled``.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..models import ContactMethod, Notification, NotificationRule, Person

State = Notification.State
RE_ENQUEUE_AFTER = timedelta(seconds=60)
SENDING_STALE_AFTER = timedelta(minutes=3)


@dataclass(frozen=True)
class Message:
    """What to tell a person; channels shape it (short for SMS, rich for email)."""

    subject: str
    body: str


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
        key = idempotency_key(cause, person.pk, method.pk)
        try:
            with transaction.atomic():
                row = Notification.objects.create(
                    incident=incident,
                    reason=reason,
                    cause=cause,
                    timer=timer,
                    recipient=person,
                    contact_method=method,
                    channel=method.kind,
                    urgency=urgency,
                    subject=shaped.subject[:300],
                    body=shaped.body,
                    idempotency_key=key,
                    deliver_after=now + timedelta(minutes=rule.delay_minutes),
                    queued_at=now,
                )
        except IntegrityError:
            continue  # this cause already reached this person on this method
        created.append(row)
    request_delivery([n for n in created if n.deliver_after <= now])
    return created


def request_delivery(notifications) -> None:
    """Ask a worker to deliver these rows once the current transaction commits."""
    ids = [n.pk for n in notifications]
    if not ids:
        return
    Notification.objects.filter(pk__in=ids).update(enqueued_at=timezone.now())

    def enqueue():
        from ..tasks import notification_deliver

        for pk in ids:
            notification_deliver.delay(pk)

    transaction.on_commit(enqueue)


def release_due(now: datetime, limit: int = 2000) -> int:
    """Request delivery of queued rows whose time has come and that no worker was asked
    about recently: delayed rule steps (SMS after 5 minutes), and requests a broker lost.
    Also returns rows stuck in ``sending`` (a worker killed mid-delivery) to the queue."""
    Notification.objects.filter(
        state=State.SENDING, enqueued_at__lt=now - SENDING_STALE_AFTER
    ).update(state=State.QUEUED)
    with transaction.atomic():
        due = list(
            Notification.objects.filter(state=State.QUEUED, deliver_after__lte=now)
            .exclude(enqueued_at__gte=now - RE_ENQUEUE_AFTER)
            .order_by("deliver_after")
            .values_list("pk", flat=True)[:limit]
        )
        request_delivery([Notification(pk=pk) for pk in due])
    return len(due)


def cancel_pending(*, incident, urgency: str | None = None) -> int:
    """Cancel queued, not yet sent rows of ``incident`` (e.g. the SMS step after an ack)."""
    rows = Notification.objects.filter(incident=incident, state=State.QUEUED)
    if urgency:
        rows = rows.filter(urgency=urgency)
    return rows.update(state=State.CANCELLED, error="Cancelled: no longer needed.")
