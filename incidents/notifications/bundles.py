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


def _method(row: Notification) -> tuple[int, str]:
    """What a bundle shares: one contact method (so one person) and one urgency."""
    return row.contact_method_id, row.urgency


def _pages_to(methods) -> Q:
    """Pages (not tests, with an incident) to any of ``methods``: (method id, urgency)."""
    either = Q()
    for method_id, urgency in methods:
        either |= Q(contact_method_id=method_id, urgency=urgency)
    return either & Q(incident__isnull=False) & ~Q(reason=Notification.Reason.TEST)


def hold_until(rows: list[Notification], now: datetime) -> dict[tuple[int, str], datetime]:
    """For the methods of ``rows`` that had a message less than a window ago: when their
    pages may go, by (method id, urgency). One query for any number of rows."""
    methods = {_method(row) for row in rows if bundles(row)}
    if not methods:
        return {}
    recent = Q(state=State.SENT, sent_at__gt=now - BUNDLE_WINDOW) | Q(
        state=State.SENDING, enqueued_at__gt=now - BUNDLE_WINDOW
    )
    last = (
        Notification.objects.filter(
            _pages_to(methods) & recent,
            recipient_id__in={row.recipient_id for row in rows},
        )
        .values_list("contact_method_id", "urgency")
        .annotate(last=Max(Coalesce("sent_at", "enqueued_at")))
    )
    return {(method_id, urgency): at + BUNDLE_WINDOW for method_id, urgency, at in last}


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


def claim(rows: list[Notification], now: datetime) -> tuple[str, list[list[Notification]]]:
    """Claim ``rows`` and, for each page among them, every other due page of its method
    within the window, with one conditional update. Returns the claim key and the messages
    to send: the rows this call claimed, a page's with its companions, oldest first."""
    if not rows:
        return "", []
    key = uuid.uuid4().hex
    methods = {_method(row) for row in rows if bundles(row)}
    wanted = Q(pk__in=[row.pk for row in rows])
    if methods:
        wanted |= _pages_to(methods) & Q(deliver_after__gt=now - BUNDLE_WINDOW)
    people = {row.recipient_id for row in rows}
    # The recipients and methods stand outside the OR: the planner can then use the
    # recipient index instead of scanning every queued row in the window.
    Notification.objects.filter(
        wanted,
        recipient_id__in=people,
        contact_method_id__in={row.contact_method_id for row in rows},
        state=State.QUEUED,
        deliver_after__lte=now,
    ).update(state=State.SENDING, attempts=F("attempts") + 1, enqueued_at=now, bundle_key=key)
    claimed = (
        Notification.objects.filter(recipient_id__in=people, bundle_key=key, state=State.SENDING)
        .select_related("contact_method", "recipient", "incident", "timer")
        # The policy snapshot is the largest field of an incident, and no message shows it.
        .defer("incident__escalation_snapshot")
        .order_by("queued_at", "pk")
    )
    messages: dict[object, list[Notification]] = {}
    for row in claimed:
        messages.setdefault(_method(row) if bundles(row) else row.pk, []).append(row)
    return key, list(messages.values())


def keep_claim(key: str, rows: list[Notification], now: datetime) -> None:
    """Stamp ``rows`` of claim ``key``, still waiting to be sent, as claimed ``now``: a long
    run of slow sends must not make them look abandoned (``SENDING_STALE_AFTER``)."""
    Notification.objects.filter(
        pk__in=[row.pk for row in rows], bundle_key=key, state=State.SENDING
    ).update(enqueued_at=now)
    for row in rows:
        row.enqueued_at = now
