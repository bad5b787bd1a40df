"""Alert intake: integrations (per service, secret key), raw events, and grouped alerts."""

import secrets

from django.db import models
from django.utils import timezone

from .choices import IncidentType, Severity


def new_integration_key() -> str:
    return secrets.token_hex(16)  # 32 characters, like a PagerDuty integration key


class Integration(models.Model):
    class Kind(models.TextChoices):
        PAGERDUTY = "pagerduty", "PagerDuty Events API v2"
        ALERTMANAGER = "alertmanager", "Prometheus Alertmanager"
        GRAFANA = "grafana", "Grafana alerting"
        WEBHOOK = "webhook", "Generic webhook (no-code tools)"

    class AutoDeclare(models.TextChoices):
        FIRST_ALERT = "first", "Declare on the first alert"
        THRESHOLD = "threshold", "Declare after N alerts within M minutes"
        NEVER = "never", "Never declare (record alerts only)"

    name = models.CharField(max_length=100)
    service = models.ForeignKey(
        "incidents.Service", on_delete=models.CASCADE, related_name="integrations"
    )
    kind = models.CharField(max_length=15, choices=Kind.choices)
    key = models.CharField(max_length=64, unique=True, default=new_integration_key)
    key_rotated_at = models.DateTimeField(default=timezone.now)
    enabled = models.BooleanField(default=True)
    default_severity = models.CharField(
        max_length=4, choices=Severity.choices, default=Severity.SEV2
    )
    severity_mapping = models.JSONField(
        default=dict,
        blank=True,
        help_text='Source severity → incident severity, e.g. {"critical": "sev1"}.',
    )
    incident_type = models.CharField(
        max_length=30, choices=IncidentType.choices, blank=True,
        help_text="The type of the incidents its alerts declare (playbooks for that type are "
        "attached). Empty: left to the people handling it.",
    )
    connector = models.ForeignKey(
        "incidents.Connector", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="integrations",
        help_text="The connector its alerts are about, if one: playbooks for it are attached.",
    )
    auto_declare = models.CharField(
        max_length=10, choices=AutoDeclare.choices, default=AutoDeclare.FIRST_ALERT
    )
    alert_threshold = models.PositiveSmallIntegerField(default=3)
    threshold_window_minutes = models.PositiveSmallIntegerField(default=10)
    degradation_threshold = models.FloatField(
        null=True,
        blank=True,
        help_text="An event carrying a numeric metric above this counts as a degradation.",
    )
    rate_limit_per_minute = models.PositiveIntegerField(default=600)
    signature_header = models.CharField(
        max_length=60, blank=True, help_text="Grafana: header carrying an HMAC-SHA256 signature."
    )
    signature_secret = models.CharField(max_length=200, blank=True)
    signature_timestamp_header = models.CharField(
        max_length=60,
        blank=True,
        help_text="Grafana: the header carrying the signing time (the contact point's "
        "timestamp header, e.g. X-Grafana-Alerting-Timestamp). Set, the time is part of the "
        "signed message, and a request without it or more than 5 minutes old is refused.",
    )
    last_event_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["service__name", "name"]

    def __str__(self):
        return f"{self.name} ({self.get_kind_display()})"


class IntegrationEvent(models.Model):
    """Every request an integration received: accepted ones keep the raw body until processed."""

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", "Accepted"
        PROCESSED = "processed", "Processed"
        REJECTED = "rejected", "Rejected"

    # No index of its own: the (integration, received_at) index below serves every lookup
    # by integration, and each index is one more write per event an alert storm sends.
    integration = models.ForeignKey(
        Integration, null=True, on_delete=models.CASCADE, related_name="events", db_index=False
    )
    received_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    reason = models.CharField(max_length=500, blank=True)
    payload = models.JSONField(null=True, blank=True)
    alert_count = models.PositiveIntegerField(
        default=1, help_text="Alerts the request carried: the rate limit counts these."
    )
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-received_at", "-id"]
        indexes = [
            models.Index(fields=["integration", "received_at"]),
            # The processor's queue, in the order it claims it (received_at, then id), so
            # the claim can walk the index and stop at the batch's last row (see
            # processing._queue_read_in_order).
            models.Index(
                fields=["received_at", "id"],
                condition=models.Q(outcome="accepted"),
                name="event_queue",
            ),
        ]

    def __str__(self):
        return f"{self.get_outcome_display()} at {self.received_at:%H:%M:%S}"


class Alert(models.Model):
    """A group of events with one dedup key (PagerDuty) or fingerprint (Alertmanager)."""

    class Status(models.TextChoices):
        TRIGGERED = "triggered", "Triggered"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    integration = models.ForeignKey(Integration, on_delete=models.CASCADE, related_name="alerts")
    service = models.ForeignKey(
        "incidents.Service", on_delete=models.CASCADE, related_name="alerts"
    )
    dedup_key = models.CharField(max_length=255)
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="alerts",
    )
    status = models.CharField(max_length=15, choices=Status.choices, default=Status.TRIGGERED)
    summary = models.CharField(max_length=1024)
    source = models.CharField(max_length=255, blank=True)
    source_severity = models.CharField(max_length=20, blank=True)
    details = models.JSONField(default=dict, blank=True)
    links = models.JSONField(default=list, blank=True)
    event_count = models.PositiveIntegerField(default=1)
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-last_seen_at", "-id"]
        indexes = [models.Index(fields=["service", "first_seen_at"])]
        constraints = [
            # One live group per key: a trigger after resolve opens a new group.
            models.UniqueConstraint(
                fields=["integration", "dedup_key"],
                condition=~models.Q(status="resolved"),
                name="one_live_alert_per_key",
            )
        ]

    def __str__(self):
        return self.summary[:80]
