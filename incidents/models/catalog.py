"""The service catalog: services, connectors, their dependencies and response targets."""

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

from .choices import TIER_MEANING, Platform, ServiceStatus, Severity, Tier


class Team(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    manager = models.ForeignKey(
        "incidents.Person",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_teams",
        help_text="Paged when an escalation step finds nobody else to reach.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class Connector(models.Model):
    """A no-code integration a service relies on (e.g. the Stripe module in Make)."""

    name = models.CharField(max_length=100, unique=True)
    vendor = models.CharField(max_length=100)
    platform = models.CharField(max_length=20, choices=Platform.choices)
    description = models.TextField(blank=True)
    failing_since = models.DateTimeField(
        null=True, blank=True, help_text="Set while the connector is reported failing."
    )
    failure_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name


class AutomaticStatus(models.TextChoices):
    """What an automatic status change of a public service does (a field of Service)."""

    HOLD = "hold", "Hold it for a person to publish"
    PUBLISH = "publish", "Publish it at once, marked as detected automatically"


class Service(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    description = models.TextField(blank=True)
    tier = models.PositiveSmallIntegerField(choices=Tier.choices, default=Tier.IMPORTANT)
    business_process = models.CharField(
        max_length=100, help_text="The business process it serves, e.g. customer onboarding."
    )
    owner_team = models.ForeignKey(Team, on_delete=models.PROTECT, related_name="services")
    platform = models.CharField(max_length=20, choices=Platform.choices)
    public = models.BooleanField(default=False, help_text="Shown on the public status page.")
    status = models.CharField(
        max_length=20, choices=ServiceStatus.choices, default=ServiceStatus.OPERATIONAL
    )
    automatic_status = models.CharField(
        "automatic status changes",
        max_length=10,
        choices=AutomaticStatus.choices,
        default=AutomaticStatus.HOLD,
        help_text="What happens when an incident no person declared or resolved (an alert, a "
        "failing connector) changes the status of this public service.",
    )
    status_automatic = models.BooleanField(
        default=False,
        help_text="The status shown was set by the portal with no person in the loop; the "
        "status page says it was detected automatically.",
    )
    held_status = models.CharField(
        max_length=20, choices=ServiceStatus.choices, blank=True,
        help_text="An automatic status change waiting for a person to publish it.",
    )
    held_incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
    )
    held_at = models.DateTimeField(null=True, blank=True)
    rotation = models.ForeignKey(
        "incidents.Rotation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="services",
        help_text="The on-call rotation that answers for this service.",
    )
    depends_on = models.ManyToManyField(
        "self",
        symmetrical=False,
        through="ServiceDependency",
        related_name="dependents",
        blank=True,
    )
    connectors = models.ManyToManyField(Connector, related_name="services", blank=True)

    class Meta:
        ordering = ["tier", "name"]
        indexes = [models.Index(fields=["tier", "status"])]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("incidents:service_detail", args=[self.slug])

    @property
    def tier_meaning(self) -> str:
        return TIER_MEANING[Tier(self.tier)]


class ServiceStatusChange(models.Model):
    """A service's status from ``at`` on, recorded as it changes: the history the status
    page's uptime is computed from. Before a service's first row nothing is known."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="status_changes")
    status = models.CharField(max_length=20, choices=ServiceStatus.choices)
    at = models.DateTimeField()
    automatic = models.BooleanField(default=False)
    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
    )

    class Meta:
        ordering = ["service", "at", "pk"]
        indexes = [models.Index(fields=["service", "at"])]

    def __str__(self):
        return f"{self.service} → {self.get_status_display()} at {self.at:%Y-%m-%d %H:%M}"


class ServiceDependency(models.Model):
    """``service`` needs ``depends_on`` to work. The edges must form a DAG."""

    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="dependency_edges")
    depends_on = models.ForeignKey(
        Service, on_delete=models.CASCADE, related_name="dependent_edges"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "depends_on"], name="unique_dependency"),
            models.CheckConstraint(
                condition=~models.Q(service=models.F("depends_on")), name="no_self_dependency"
            ),
        ]
        verbose_name_plural = "service dependencies"

    def __str__(self):
        return f"{self.service} → {self.depends_on}"

    def clean(self):
        from ..catalog.graph import dependency_cycle

        if self.service_id and self.depends_on_id:
            # Ignoring this row itself: turning an existing edge around is not a cycle.
            cycle = dependency_cycle(self.service_id, self.depends_on_id, ignoring=self.pk)
            if cycle:
                raise ValidationError(
                    "This dependency would create a cycle: " + " → ".join(cycle) + "."
                )


class ResponseTarget(models.Model):
    """How fast a severity must be handled; a row with a service overrides the default row.

    Each target is a separate clock started at declaration.
    """

    severity = models.CharField(max_length=4, choices=Severity.choices)
    service = models.ForeignKey(
        Service,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="response_targets",
        help_text="Empty for the organisation-wide default of this severity.",
    )
    definition = models.TextField(blank=True, help_text="What this severity means.")
    acknowledge_minutes = models.PositiveIntegerField()
    triage_minutes = models.PositiveIntegerField(null=True, blank=True)
    decision_minutes = models.PositiveIntegerField(null=True, blank=True)
    update_minutes = models.PositiveIntegerField(
        null=True, blank=True, help_text="Update cadence; empty for none."
    )

    class Meta:
        ordering = ["severity", "service__name"]
        constraints = [
            models.UniqueConstraint(
                fields=["severity", "service"], name="unique_target_per_service"
            ),
            models.UniqueConstraint(
                fields=["severity"],
                condition=models.Q(service__isnull=True),
                name="unique_default_target",
            ),
        ]

    def __str__(self):
        scope = self.service.name if self.service_id else "default"
        return f"{self.get_severity_display()} ({scope})"
