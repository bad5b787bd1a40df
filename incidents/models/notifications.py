"""The notification outbox: one row per message to one person over one contact method."""

from django.db import models
from django.utils import timezone

from .choices import Urgency


class Notification(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENDING = "sending", "Sending"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"
        CANCELLED = "cancelled", "Cancelled"

    class Reason(models.TextChoices):
        ESCALATION = "escalation", "Escalation step"
        MANUAL_PAGE = "manual_page", "Manual page"
        BREACH = "breach", "Missed response target"
        UPDATE = "update", "Status update"
        REMINDER = "reminder", "Reminder"
        SEAT = "seat", "Seat on an incident"
        DRILL = "drill", "Drill"
        TEST = "test", "Test notification"

    incident = models.ForeignKey(
        "incidents.Incident",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    reason = models.CharField(max_length=15, choices=Reason.choices)
    cause = models.CharField(
        max_length=80, help_text='What caused it, e.g. "timer:42" or "update:7".'
    )
    timer = models.ForeignKey(
        "incidents.Timer", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recipient = models.ForeignKey(
        "incidents.Person", on_delete=models.CASCADE, related_name="notifications"
    )
    contact_method = models.ForeignKey(
        "incidents.ContactMethod", on_delete=models.CASCADE, related_name="notifications"
    )
    channel = models.CharField(max_length=10)
    urgency = models.CharField(max_length=10, choices=Urgency.choices)
    subject = models.CharField(max_length=300)
    body = models.TextField()
    idempotency_key = models.CharField(max_length=200, unique=True)
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    deliver_after = models.DateTimeField(default=timezone.now)
    attempts = models.PositiveSmallIntegerField(default=0)
    queued_at = models.DateTimeField(default=timezone.now)
    enqueued_at = models.DateTimeField(
        null=True, blank=True, help_text="When a delivery task was last asked for."
    )
    sent_at = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)
    delivery_log = models.TextField(blank=True)
    bundle_key = models.CharField(
        max_length=120,
        blank=True,
        help_text="Set when several pages to one person went out as one message.",
    )

    class Meta:
        ordering = ["-queued_at", "-id"]
        indexes = [
            models.Index(fields=["state", "deliver_after"]),
            models.Index(fields=["incident", "queued_at"]),
            models.Index(fields=["recipient", "queued_at"]),
        ]

    def __str__(self):
        return f"{self.get_urgency_display()} to {self.recipient} via {self.channel} ({self.state})"

    @property
    def latency_seconds(self) -> float | None:
        if self.sent_at is None:
            return None
        return (self.sent_at - self.queued_at).total_seconds()
