"""When a page cannot reach a person at all, the escalation does not wait for its next step.

Registered as an ``on_final_failure`` hook by ``delivery``. It acts on urgent escalation
pages only: once every urgent row of one recipient for one escalation step (one cause) has
failed for good — methods already flagged when the step ran were never tried, so they
count as failed too — the next step runs at once, if the incident is still open and
unacknowledged. One step's failures escalate once, however many of its recipients fail.
"""

from datetime import datetime

from ..models import Incident, Notification, TimelineEvent, Timer, Urgency
from ..services import timeline

State = Notification.State


def escalate_when_unreachable(notification: Notification, now: datetime) -> bool:
    """Run the next escalation step now if ``notification``'s recipient cannot be reached.

    Returns True when it escalated.
    """
    from ..escalation import engine

    if (
        notification.reason != Notification.Reason.ESCALATION
        or notification.urgency != Urgency.URGENT
        or notification.incident_id is None
    ):
        return False
    same_page = Notification.objects.filter(
        incident_id=notification.incident_id,
        recipient_id=notification.recipient_id,
        cause=notification.cause,
        urgency=Urgency.URGENT,
    )
    if same_page.exclude(state=State.FAILED).exists():
        return False  # another method is still trying, or got through
    incident = Incident.objects.filter(pk=notification.incident_id).first()
    if incident is None or not incident.is_open or incident.acknowledged_at is not None:
        return False
    already = TimelineEvent.objects.filter(
        incident=incident,
        kind=TimelineEvent.Kind.ESCALATION,
        details__unreachable_cause=notification.cause,
    ).exists()
    if already:
        return False
    pending = Timer.objects.filter(
        incident=incident, kind=engine.STEP, state=Timer.State.PENDING
    ).exists()
    name = notification.recipient.name
    outcome = (
        "escalating to the next step at once." if pending else "no further step to escalate to."
    )
    timeline.record(
        incident,
        TimelineEvent.Kind.ESCALATION,
        f"Every urgent contact method of {name} failed for this page; {outcome}",
        at=now,
        unreachable_cause=notification.cause,
        person=notification.recipient_id,
    )
    return pending and engine.escalate_now(incident, now=now)
