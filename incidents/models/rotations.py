"""On-call rotations: layers of people taking turns, and overrides on top."""

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse
from simple_history.models import HistoricalRecords

from .rosters import validate_time_zone


class Rotation(models.Model):
    name = models.CharField(max_length=100, unique=True)
    slug = models.SlugField(max_length=100, unique=True)
    team = models.ForeignKey(
        "incidents.Team", on_delete=models.PROTECT, related_name="rotations"
    )
    time_zone = models.CharField(
        max_length=64,
        default="UTC",
        validators=[validate_time_zone],
        help_text="Handoff times are wall-clock times in this zone (they follow DST).",
    )
    description = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("incidents:oncall") + f"#rotation-{self.slug}"


class RotationLayer(models.Model):
    """People taking turns in shifts. Where several layers cover an instant, the highest wins."""

    class ShiftUnit(models.TextChoices):
        HOURS = "hours", "Hours"
        DAYS = "days", "Days"
        WEEKS = "weeks", "Weeks"

    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="layers")
    level = models.PositiveSmallIntegerField(
        default=1, help_text="A higher level overrides lower ones where it has someone on call."
    )
    name = models.CharField(max_length=100, default="Primary")
    starts_on = models.DateField(
        help_text="The first shift starts on this day at the handoff time."
    )
    handoff_time = models.TimeField(
        help_text="Wall-clock time of each handoff, in the rotation's zone."
    )
    shift_length = models.PositiveSmallIntegerField(default=1)
    shift_unit = models.CharField(max_length=5, choices=ShiftUnit.choices, default=ShiftUnit.WEEKS)
    active_from = models.TimeField(
        null=True, blank=True, help_text="Optional daily window (e.g. business hours) start."
    )
    active_until = models.TimeField(null=True, blank=True, help_text="Optional daily window end.")
    history = HistoricalRecords()

    class Meta:
        ordering = ["rotation", "-level", "id"]
        constraints = [
            models.UniqueConstraint(fields=["rotation", "level"], name="unique_layer_level"),
            models.CheckConstraint(condition=models.Q(shift_length__gte=1), name="shift_positive"),
        ]

    def __str__(self):
        return f"{self.rotation} · {self.name}"

    def clean(self):
        if (self.active_from is None) != (self.active_until is None):
            raise ValidationError("Give both ends of the daily window, or neither.")
        if self.active_from is not None and self.active_from == self.active_until:
            raise ValidationError("The daily window must not start and end at the same time.")


class LayerParticipant(models.Model):
    layer = models.ForeignKey(RotationLayer, on_delete=models.CASCADE, related_name="participants")
    person = models.ForeignKey(
        "incidents.Person", on_delete=models.CASCADE, related_name="rotation_turns"
    )
    position = models.PositiveSmallIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["layer", "position", "id"]

    def __str__(self):
        return f"{self.position}. {self.person}"


class Override(models.Model):
    """``person`` covers the rotation, or only ``replaces``'s shifts, for a stretch of time."""

    rotation = models.ForeignKey(Rotation, on_delete=models.CASCADE, related_name="overrides")
    person = models.ForeignKey(
        "incidents.Person", on_delete=models.CASCADE, related_name="overrides_covering"
    )
    replaces = models.ForeignKey(
        "incidents.Person",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="overrides_covered",
        help_text="Empty: covers whoever is on call.",
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["rotation", "starts_at"]
        indexes = [models.Index(fields=["rotation", "starts_at", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")), name="override_has_length"
            )
        ]

    def __str__(self):
        return f"{self.person} covers {self.rotation} {self.starts_at:%Y-%m-%d %H:%M}"

    def clean(self):
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": "The override must end after it starts."})
