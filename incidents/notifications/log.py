"""What the delivery log and the channel health summary show."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Count, Q

from ..models import ContactMethod, Notification

State = Notification.State
HEALTH_WINDOW = timedelta(hours=24)
LOG_LIMIT = 500


def for_incident(incident, limit: int = LOG_LIMIT) -> list[Notification]:
    """The incident's notifications, oldest first (who, which channel, when, what happened)."""
    return list(
        Notification.objects.filter(incident=incident)
        .select_related("recipient", "contact_method")
        .order_by("queued_at", "pk")[:limit]
    )


@dataclass(frozen=True)
class ChannelHealth:
    kind: str
    label: str
    sent: int
    failed: int
    retrying: int
    waiting: int
    flagged_methods: int
    last_error: str
    last_error_at: datetime | None

    @property
    def failing(self) -> bool:
        return self.failed > 0 or self.retrying > 0


def channel_health(now: datetime, window: timedelta = HEALTH_WINDOW) -> list[ChannelHealth]:
    """Per channel over the last ``window``: sent and failed counts, rows waiting for a retry
    or their time, methods flagged as failing, and the last error."""
    since = now - window
    counts = {
        row["channel"]: row
        for row in Notification.objects.filter(
            Q(sent_at__gte=since) | Q(failed_at__gte=since) | Q(state=State.QUEUED)
        )
        .values("channel")
        .annotate(
            sent=Count("pk", filter=Q(state=State.SENT, sent_at__gte=since)),
            failed=Count("pk", filter=Q(state=State.FAILED, failed_at__gte=since)),
            retrying=Count("pk", filter=Q(state=State.QUEUED, attempts__gt=0)),
            waiting=Count("pk", filter=Q(state=State.QUEUED)),
        )
    }
    flagged = dict(
        ContactMethod.objects.exclude(failure_reason="")
        .values("kind")
        .annotate(n=Count("pk"))
        .values_list("kind", "n")
    )
    health = []
    for kind, label in ContactMethod.Kind.choices:
        row = counts.get(kind, {})
        last = (
            Notification.objects.filter(channel=kind, state=State.FAILED, failed_at__gte=since)
            .order_by("-failed_at", "-pk")
            .values("error", "failed_at")
            .first()
        )
        health.append(
            ChannelHealth(
                kind=kind,
                label=label,
                sent=row.get("sent", 0),
                failed=row.get("failed", 0),
                retrying=row.get("retrying", 0),
                waiting=row.get("waiting", 0),
                flagged_methods=flagged.get(kind, 0),
                last_error=last["error"] if last else "",
                last_error_at=last["failed_at"] if last else None,
            )
        )
    return health
