"""Storms: several pages for one person within a minute go out as one message per method.

The first page of a storm goes at once: nobody waits for a bundle to fill. A page that
becomes due less than ``BUNDLE_WINDOW`` after the last message to the same contact method
(same urgency) is *held* until that minute is over (its ``deliver_after`` moves on, and the
sweep's ``release_due`` asks for it then); the delivery that comes first afterwards claims
every due page of that method in one compare-and-set update and sends them as one message.

Why this cannot lose or duplicate a page: a row leaves ``queued`` only through that one
conditional update, which gives all the rows it takes the same fresh claim key, and the
worker that made the update sends exactly the rows carrying its key. A row taken by
another worker's bundle is no longer ``queued``, so its own delivery task claims nothing.
A held row is still a queued row in the database, found again by the sweep like any other.

Test notifications and messages without an incident are never bundled or held.
"""

import uuid
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import F, Max, Q
from django.db.models.functions import Coalesce

from ..models import Notification

State = Notification.State
BUNDLE_WINDOW = timedelta(seconds=settings.NOTIFICATION_BUNDLE_SECONDS)


def bundles(row: Notification) -> bool:
    return row.incident_id is not None and row.reason != Notification.Reason.TEST


def _same_method(row: Notification) -> Q:
    return Q(
        recipient_id=row.recipient_id,
        contact_method_id=row.contact_method_id,
        urgency=row.urgency,
        incident__isnull=False,
    ) & ~Q(reason=Notification.Reason.TEST)


def hold_until(row: Notification, now: datetime) -> datetime | None:
    """When ``row`` may go, if a message left for its method less than a window ago."""
    recent = Q(state=State.SENT, sent_at__gt=now - BUNDLE_WINDOW) | Q(
        state=State.SENDING, enqueued_at__gt=now - BUNDLE_WINDOW
    )
    last = (
        Notification.objects.filter(_same_method(row) & recent)
        .exclude(pk=row.pk)
        .aggregate(last=Max(Coalesce("sent_at", "enqueued_at")))["last"]
    )
    return None if last is None else last + BUNDLE_WINDOW


def hold(row: Notification, until: datetime, now: datetime) -> bool:
    """Move a queued row's delivery to ``until``; False if it is no longer queued."""
    note = f"{now:%Y-%m-%d %H:%M:%S} held until {until:%H:%M:%S} to bundle with other pages"
    return bool(
        Notification.objects.filter(pk=row.pk, state=State.QUEUED).update(
            deliver_after=until,
            enqueued_at=None,
            delivery_log=(row.delivery_log + "\n" + note).strip()[-10_000:],
        )
    )


def claim(row: Notification, now: datetime, *, with_companions: bool) -> list[Notification]:
    """Claim ``row`` (and, for a page, every other due page of its method within the window)
    with one conditional update; returns the rows this call claimed, oldest first."""
    key = f"{row.pk}-{uuid.uuid4().hex[:16]}"
    wanted = Q(pk=row.pk)
    if with_companions:
        wanted |= _same_method(row) & Q(deliver_after__gt=now - BUNDLE_WINDOW)
    # The row's own recipient and method stand outside the OR: the planner can then use the
    # recipient index instead of scanning every queued row in the window.
    Notification.objects.filter(
        wanted,
        recipient_id=row.recipient_id,
        contact_method_id=row.contact_method_id,
        state=State.QUEUED,
        deliver_after__lte=now,
    ).update(state=State.SENDING, attempts=F("attempts") + 1, enqueued_at=now, bundle_key=key)
    return list(
        Notification.objects.filter(
            recipient_id=row.recipient_id, bundle_key=key, state=State.SENDING
        )
        .select_related("contact_method", "recipient", "incident", "timer")
        # The policy snapshot is the largest field of an incident, and no message shows it.
        .defer("incident__escalation_snapshot")
        .order_by("queued_at", "pk")
    )
