"""Delivering one outbox row: claim it, send it through its channel, record the result.

A row is claimed with a compare-and-set (queued → sending), so however many times a
delivery is requested, one worker sends it; a row already sent is never sent again.
"""

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from ..models import ContactMethod, Notification
from .channels import DeliveryError, channel_for

log = logging.getLogger(__name__)
State = Notification.State
MAX_ATTEMPTS = 5
BACKOFF_SECONDS = (2, 8, 30, 120)  # before attempts 2, 3, 4, 5


def deliver(notification_id: int, now: datetime | None = None) -> str:
    """Send the row if it is still queued and due. Returns its state afterwards."""
    now = now or timezone.now()
    claimed = Notification.objects.filter(
        pk=notification_id, state=State.QUEUED, deliver_after__lte=now
    ).update(state=State.SENDING, attempts=F("attempts") + 1, enqueued_at=now)
    notification = (
        Notification.objects.select_related("contact_method", "recipient", "incident")
        .filter(pk=notification_id)
        .first()
    )
    if notification is None or not claimed:
        return notification.state if notification else "missing"
    try:
        result = channel_for(notification.channel).send(notification)
    except DeliveryError as error:
        return _failed(notification, error, timezone.now())
    Notification.objects.filter(pk=notification.pk).update(
        state=State.SENT, sent_at=timezone.now(), error="", delivery_log=result.log[:10_000]
    )
    return State.SENT


def _failed(notification: Notification, error: "DeliveryError", now: datetime) -> str:
    log_text = (notification.delivery_log + f"\nattempt {notification.attempts}: {error}").strip()
    if not error.permanent and notification.attempts < MAX_ATTEMPTS:
        wait = BACKOFF_SECONDS[min(notification.attempts, len(BACKOFF_SECONDS)) - 1]
        Notification.objects.filter(pk=notification.pk).update(
            state=State.QUEUED,
            deliver_after=now + timedelta(seconds=wait),
            enqueued_at=None,
            error=str(error),
            delivery_log=log_text[-10_000:],
        )
        return State.QUEUED
    with transaction.atomic():
        Notification.objects.filter(pk=notification.pk).update(
            state=State.FAILED, failed_at=now, error=str(error), delivery_log=log_text[-10_000:]
        )
        if error.permanent:
            # Flag the address for the roster admins; it is skipped until someone fixes it.
            ContactMethod.objects.filter(pk=notification.contact_method_id).update(
                failure_reason=str(error)[:300], failed_at=now
            )
        for hook in _failure_hooks:
            hook(notification, now)
    return State.FAILED


_failure_hooks = []


def on_final_failure(hook):
    """Register ``hook(notification, now)``, run when a row fails for good (the escalation
    engine moves on at once when every urgent method of a recipient has failed)."""
    _failure_hooks.append(hook)
    return hook
