"""Durable timers: every clock the portal keeps is a row here (see "How time works")."""

from django.db import models
from django.utils import timezone


class Timer(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", "Pending"
        FIRED = "fired", "Fired"
        CANCELLED = "cancelled", "Cancelled"

    kind = models.CharField(max_length=40)
    due_at = models.DateTimeField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.CASCADE, related_name="timers"
    )
    reference = models.JSONField(
        default=dict, blank=True, help_text="What it is about: step and round, target, drill…"
    )
    created_at = models.DateTimeField(default=timezone.now)
    fired_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["due_at", "id"]
        indexes = [
            # The sweep's query: pending rows by due time. Partial, so it stays small.
            models.Index(
                fields=["due_at"],
                condition=models.Q(state="pending"),
                name="timer_pending_due",
            ),
            models.Index(fields=["incident", "state"]),
        ]

    def __str__(self):
        return f"{self.kind} due {self.due_at:%Y-%m-%d %H:%M:%S} ({self.state})"

    def is_due(self, now) -> bool:
        return self.state == self.State.PENDING and self.due_at <= now
