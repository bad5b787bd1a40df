"""The profile page's "send me a test notification": one routine message to one method."""

import uuid
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ..models import ContactMethod, Notification, Urgency
from . import outbox, render

# A second click within this time shows the test already on its way instead of another.
REPEAT_AFTER = timedelta(seconds=30)


@transaction.atomic
def queue_test_notification(*, method: ContactMethod, now: datetime | None = None) -> Notification:
    """Queue a test to ``method`` (flagged or not: a test is how a fix is checked)."""
    now = now or timezone.now()
    recent = (
        Notification.objects.filter(
            contact_method=method, reason=Notification.Reason.TEST, queued_at__gt=now - REPEAT_AFTER
        )
        .order_by("-queued_at")
        .first()
    )
    if recent is not None:
        return recent
    person = method.person
    message = render.shape(render.test_message(person, method), method)
    row = outbox.queue_one(
        person=person,
        method=method,
        urgency=Urgency.ROUTINE,
        reason=Notification.Reason.TEST,
        cause=f"test:{uuid.uuid4().hex}",
        message=message,
        deliver_after=now,
        now=now,
    )
    outbox.request_delivery([row])
    return row
