"""Incidents, the seats people take on them, their timeline, decisions and tasks."""

import secrets

from django.conf import settings
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.urls import reverse
from django.utils import timezone

from .choices import IncidentType, Severity


class IncidentStatus(models.TextChoices):
    TRIAGE = "triage", "Triage"
    INVESTIGATING = "investigating", "Investigating"
    IDENTIFIED = "identified", "Identified"
    MONITORING = "monitoring", "Monitoring"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


OPEN_STATUSES = (
    IncidentStatus.TRIAGE,
    IncidentStatus.INVESTIGATING,
    IncidentStatus.IDENTIFIED,
    IncidentStatus.MONITORING,
)


def new_public_id() -> str:
    """An opaque id for what the public sees (status page anchors, feed entries): the
    number says how many incidents, drills included, there have been; this says nothing."""
    return secrets.token_hex(8)


class IncidentQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status__in=OPEN_STATUSES)


class IncidentManager(models.Manager.from_queryset(IncidentQuerySet)):
    def get_queryset(self):
        # The search vector is written by incidents.search and read only inside the
        # database: loading it would carry every note's words into each page, and an
        # instance that had it would write a stale copy back on save().
        return super().get_queryset().defer("search_vector")


class Incident(models.Model):
    title = models.CharField(max_length=200)
    severity = models.CharField(max_length=4, choices=Severity.choices)
    status = models.CharField(
        max_length=15, choices=IncidentStatus.choices, default=IncidentStatus.TRIAGE
    )
    summary = models.TextField(blank=True, help_text="What is known so far.")
    services = models.ManyToManyField("incidents.Service", related_name="incidents", blank=True)
    incident_type = models.CharField(
        max_length=30, choices=IncidentType.choices, blank=True,
        help_text="What it is about; playbooks for this type are attached. Empty: not known yet.",
    )
    is_drill = models.BooleanField(default=False)
    public_id = models.CharField(
        max_length=16, unique=True, default=new_public_id, editable=False,
        help_text="Names the incident on the public status page and feed.",
    )
    duplicate_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="duplicates"
    )
    declared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Milestones: the one source for clocks and metrics (indexed for the dashboard).
    declared_at = models.DateTimeField(default=timezone.now, db_index=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    triaged_at = models.DateTimeField(null=True, blank=True)
    first_decision_at = models.DateTimeField(null=True, blank=True)
    mitigated_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True, db_index=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    last_update_at = models.DateTimeField(
        null=True, blank=True, help_text="When the last status update was published."
    )
    reopened_count = models.PositiveSmallIntegerField(default=0)
    escalation_level = models.PositiveSmallIntegerField(
        default=0, help_text="How many escalation steps have run (manual ones included)."
    )
    escalation_snapshot = models.JSONField(
        default=dict, blank=True, help_text="The policy as it was when escalation started."
    )
    paging_gap = models.CharField(
        max_length=300, blank=True, help_text="Why a step reached nobody; flagged on the board."
    )
    # Bumped by every workflow that changes what the board shows; the board's version token.
    updated_at = models.DateTimeField(default=timezone.now, db_index=True)
    declare_token = models.CharField(
        max_length=64, null=True, blank=True, unique=True, editable=False,
        help_text="The declare form's one-time token: a second post of the same form finds "
        "this incident instead of declaring another.",
    )
    # PostgreSQL only (GIN-indexed by a migration): title, summary, timeline notes and status
    # updates, kept up to date by incidents.search as they are written. NULL on SQLite.
    search_vector = SearchVectorField(null=True, blank=True, editable=False)

    objects = IncidentManager()

    class Meta:
        ordering = ["-declared_at"]
        indexes = [models.Index(fields=["status", "severity"])]

    def __str__(self):
        return f"{self.reference} {self.title}"

    def get_absolute_url(self):
        return reverse("incidents:incident_detail", args=[self.pk])

    @property
    def number(self) -> int:
        return self.pk

    @property
    def reference(self) -> str:
        return f"INC-{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class IncidentRoleKind(models.TextChoices):
    COMMANDER = "commander", "Incident commander"
    COMMUNICATIONS_LEAD = "communications_lead", "Communications lead"
    TECHNICAL_LEAD = "technical_lead", "Technical lead (no-code)"
    BUSINESS_LIAISON = "business_liaison", "Business liaison"
    CUSTOM = "custom", "Custom role"


STANDARD_ROLES = (
    IncidentRoleKind.COMMANDER,
    IncidentRoleKind.COMMUNICATIONS_LEAD,
    IncidentRoleKind.TECHNICAL_LEAD,
    IncidentRoleKind.BUSINESS_LIAISON,
)


class IncidentRole(models.Model):
    """A seat on one incident and who holds it now (past holders are in the timeline)."""

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="roles")
    kind = models.CharField(max_length=20, choices=IncidentRoleKind.choices)
    custom_name = models.CharField(max_length=60, blank=True)
    holder = models.ForeignKey(
        "incidents.Person", on_delete=models.PROTECT, related_name="incident_roles"
    )
    assigned_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["incident", "kind", "custom_name"]
        constraints = [
            models.UniqueConstraint(
                fields=["incident", "kind", "custom_name"], name="one_holder_per_seat"
            )
        ]

    def __str__(self):
        return f"{self.title}: {self.holder}"

    @property
    def title(self) -> str:
        return self.custom_name if self.kind == IncidentRoleKind.CUSTOM else self.get_kind_display()


class AppendOnlyQuerySet(models.QuerySet):
    """Timeline events are never edited or deleted: a correction is a new event."""

    def update(self, **kwargs):
        raise TypeError("Timeline events are append-only.")

    def delete(self):
        raise TypeError("Timeline events are append-only.")


class TimelineEvent(models.Model):
    class Kind(models.TextChoices):
        DECLARED = "declared", "Declared"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        UNACKNOWLEDGED = "unacknowledged", "Acknowledgement withdrawn"
        ROLE_CHANGE = "role_change", "Role change"
        SEVERITY_CHANGE = "severity_change", "Severity change"
        STATUS_CHANGE = "status_change", "Status change"
        SERVICES_CHANGE = "services_change", "Affected services change"
        NOTE = "note", "Note"
        DECISION = "decision", "Decision"
        UPDATE_POSTED = "update_posted", "Update posted"
        ESCALATION = "escalation", "Escalation"
        NOTIFICATION = "notification", "Notification"
        ALERT = "alert", "Alert"
        TASK = "task", "Task"
        TARGET_BREACHED = "target_breached", "Response target breached"
        MERGED = "merged", "Merged"
        REOPENED = "reopened", "Reopened"
        TYPE_CHANGE = "type_change", "Incident type change"
        PLAYBOOK = "playbook", "Playbook"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="timeline")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    actor_name = models.CharField(
        max_length=150, help_text="Who acted, kept as text so history survives account changes."
    )
    text = models.TextField()
    details = models.JSONField(default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["incident", "at"]), models.Index(fields=["kind", "at"])]

    def __str__(self):
        return f"{self.at:%H:%M} {self.get_kind_display()}: {self.text[:60]}"

    def save(self, *args, **kwargs):
        # An integrity guard, not business logic: nothing may rewrite the record.
        if self.pk is not None:
            raise TypeError("Timeline events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("Timeline events are append-only.")


class Decision(models.Model):
    class Kind(models.TextChoices):
        ROLLBACK = "rollback", "Rollback"
        WORKAROUND = "workaround", "Workaround"
        OTHER = "other", "Other"

    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="decisions")
    decision = models.TextField()
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.OTHER)
    options_considered = models.TextField(blank=True)
    rationale = models.TextField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_by_name = models.CharField(max_length=150)
    decided_at = models.DateTimeField(default=timezone.now)
    reversible = models.BooleanField(default=True)
    outcome = models.TextField(blank=True)
    outcome_recorded_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-decided_at", "-id"]

    def __str__(self):
        return self.decision[:80]


class Task(models.Model):
    incident = models.ForeignKey(Incident, on_delete=models.CASCADE, related_name="tasks")
    title = models.CharField(max_length=200)
    assignee = models.ForeignKey(
        "incidents.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="tasks"
    )
    source = models.CharField(
        max_length=100, blank=True, help_text="e.g. the playbook it came from"
    )
    created_at = models.DateTimeField(default=timezone.now)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by_name = models.CharField(max_length=150, blank=True)

    class Meta:
        ordering = ["done_at", "created_at", "id"]

    def __str__(self):
        return self.title

    @property
    def is_done(self) -> bool:
        return self.done_at is not None
