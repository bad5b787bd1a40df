"""Drills: a rehearsed incident that measures whether the escalation path reaches people."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from incidents.models import Severity, Urgency


class Drill(models.Model):
    class Status(models.TextChoices):
        PLANNED = "planned", "Planned"
        SCHEDULED = "scheduled", "Scheduled"
        RUNNING = "running", "Running"
        FINISHED = "finished", "Finished"
        CANCELLED = "cancelled", "Cancelled"

    title = models.CharField(max_length=200)
    playbook = models.ForeignKey(
        "playbooks.Playbook",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="drills",
        help_text="The scenario's playbook: its checklist is added to the drill incident.",
    )
    scenario = models.TextField(
        blank=True, help_text="What is pretended to be broken; becomes the incident summary."
    )
    services = models.ManyToManyField("incidents.Service", related_name="drills")
    severity = models.CharField(max_length=4, choices=Severity.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PLANNED)
    policy_name = models.CharField(
        max_length=100, blank=True, help_text="The policy the stakeholders were derived from."
    )
    plan_notes = models.TextField(
        blank=True, help_text="What deriving the stakeholders found: gaps, unresolved seats."
    )
    scheduled_for = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    incident = models.OneToOneField(
        "incidents.Incident",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="drill",
    )
    start_error = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("playbooks:drill_detail", args=[self.pk])

    @property
    def reference(self) -> str:
        return f"DRILL-{self.pk}"

    @property
    def is_editable(self) -> bool:
        """Stakeholders and windows may change until the drill starts."""
        return self.status in (self.Status.PLANNED, self.Status.SCHEDULED)

    @property
    def has_started(self) -> bool:
        return self.started_at is not None

    @property
    def is_over(self) -> bool:
        """Ended by hand, or its incident resolved (which stops its paging too)."""
        if self.status == self.Status.FINISHED:
            return True
        return self.incident is not None and not self.incident.is_open

    @property
    def plan_note_lines(self) -> list[str]:
        return [line for line in self.plan_notes.splitlines() if line.strip()]


class DrillStakeholder(models.Model):
    """Someone the drill expects the escalation path to reach, and how soon."""

    drill = models.ForeignKey(Drill, on_delete=models.CASCADE, related_name="stakeholders")
    person = models.ForeignKey(
        "incidents.Person", null=True, on_delete=models.SET_NULL, related_name="+"
    )
    person_name = models.CharField(max_length=150, help_text="Kept if the person is deleted.")
    source = models.CharField(
        max_length=200, help_text="Where the expectation comes from, e.g. step 1: on-call."
    )
    step = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="The policy step (from 0) that pages them; empty: added."
    )
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.URGENT)
    pages_at_minutes = models.PositiveIntegerField(
        default=0, help_text="Minutes from the start when the path is due to reach them."
    )
    reach_window_minutes = models.PositiveIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(24 * 60)],
        help_text="They count as reached when they acknowledge within this many minutes.",
    )

    class Meta:
        ordering = ["drill", "pages_at_minutes", "person_name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["drill", "person"], name="one_stake_per_person")
        ]

    def __str__(self):
        return f"{self.person_name} within {self.reach_window_minutes} min"

    @property
    def needs_acknowledgement(self) -> bool:
        """Urgent pages carry an acknowledge link; routine ones only inform."""
        return self.urgency == Urgency.URGENT
