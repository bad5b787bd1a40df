"""Escalation policies: who is paged, in which order, at which tier and severity."""

from django.core.exceptions import ValidationError
from django.db import models

from .choices import Severity, Tier, Urgency


class AudienceGroup(models.Model):
    """A standing group paged or informed as one: leadership, the cross-functional group…"""

    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    members = models.ManyToManyField("incidents.Person", related_name="audiences", blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class EscalationPolicy(models.Model):
    """Chosen by the highest tier among an incident's services and its severity."""

    name = models.CharField(max_length=100)
    tier = models.PositiveSmallIntegerField(choices=Tier.choices)
    severity = models.CharField(max_length=4, choices=Severity.choices)
    repeat_rounds = models.PositiveSmallIntegerField(
        default=2, help_text="How many times the whole policy runs while unacknowledged."
    )
    repeat_after_minutes = models.PositiveIntegerField(
        default=10, help_text="Wait after the last step before the next round starts."
    )
    fallback_rotation = models.ForeignKey(
        "incidents.Rotation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="Paged when a step reaches nobody. Empty: the owner team's manager.",
    )
    fallback_person = models.ForeignKey(
        "incidents.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["tier", "severity"]
        verbose_name_plural = "escalation policies"
        constraints = [
            models.UniqueConstraint(fields=["tier", "severity"], name="one_policy_per_cell"),
            models.CheckConstraint(condition=models.Q(repeat_rounds__gte=1), name="rounds_min_1"),
        ]

    def __str__(self):
        return self.name


class EscalationStep(models.Model):
    policy = models.ForeignKey(EscalationPolicy, on_delete=models.CASCADE, related_name="steps")
    position = models.PositiveSmallIntegerField(default=0)
    delay_minutes = models.PositiveIntegerField(
        default=0, help_text="Counted from the previous step (from the start for the first)."
    )
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.URGENT)

    class Meta:
        ordering = ["policy", "position", "id"]

    def __str__(self):
        return f"{self.policy} · step {self.position + 1} (+{self.delay_minutes} min)"


class TargetKind(models.TextChoices):
    ROTATION = "rotation", "On-call of a rotation"
    SERVICE_ROTATION = "service_rotation", "On-call of the affected services' rotations"
    PERSON = "person", "A person"
    TEAM = "team", "Every member of a team"
    TEAM_MANAGER = "team_manager", "The owner teams' managers"
    INCIDENT_ROLE = "incident_role", "An incident role holder"
    AUDIENCE = "audience", "An audience group"


class StepTarget(models.Model):
    step = models.ForeignKey(EscalationStep, on_delete=models.CASCADE, related_name="targets")
    kind = models.CharField(max_length=20, choices=TargetKind.choices)
    rotation = models.ForeignKey(
        "incidents.Rotation", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    person = models.ForeignKey(
        "incidents.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    team = models.ForeignKey(
        "incidents.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    audience = models.ForeignKey(
        AudienceGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    incident_role = models.CharField(max_length=20, blank=True)

    class Meta:
        ordering = ["step", "id"]

    def __str__(self):
        subject = self.rotation or self.person or self.team or self.audience or self.incident_role
        return f"{self.get_kind_display()}: {subject}" if subject else self.get_kind_display()

    def clean(self):
        needed = {
            TargetKind.ROTATION: ("rotation", self.rotation_id),
            TargetKind.PERSON: ("person", self.person_id),
            TargetKind.TEAM: ("team", self.team_id),
            TargetKind.AUDIENCE: ("audience", self.audience_id),
            TargetKind.INCIDENT_ROLE: ("incident_role", self.incident_role),
        }.get(self.kind)
        if needed and not needed[1]:
            raise ValidationError({needed[0]: "This target kind needs this field."})


class BreachRule(models.Model):
    """Who else hears of a missed response target, e.g. a missed SEV1 triage pages the
    engineering manager and informs leadership."""

    class Target(models.TextChoices):
        TRIAGE = "triage", "Triage"
        DECISION = "decision", "First decision"
        UPDATE = "update", "Update cadence"

    severity = models.CharField(max_length=4, choices=Severity.choices)
    target = models.CharField(max_length=10, choices=Target.choices)
    kind = models.CharField(max_length=20, choices=TargetKind.choices)
    audience = models.ForeignKey(
        AudienceGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    person = models.ForeignKey(
        "incidents.Person", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    incident_role = models.CharField(max_length=20, blank=True)
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.URGENT)

    class Meta:
        ordering = ["severity", "target", "id"]

    def __str__(self):
        return f"{self.get_severity_display()} missed {self.get_target_display().lower()}"
