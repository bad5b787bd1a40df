"""Action items: what a review decided to change, who owns it, and where it stands."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from ..matrix import Quadrant, quadrant

SCORE_VALIDATORS = [MinValueValidator(1), MaxValueValidator(5)]


class ActionItem(models.Model):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        IN_PROGRESS = "in_progress", "In progress"
        DONE = "done", "Done"
        DROPPED = "dropped", "Dropped"

    review = models.ForeignKey(
        "reviews.Review", on_delete=models.CASCADE, related_name="action_items"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner_team = models.ForeignKey(
        "incidents.Team", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="action_items",
    )
    owner_person = models.ForeignKey(
        "incidents.Person", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="action_items",
    )
    due_on = models.DateField()
    impact = models.PositiveSmallIntegerField(
        validators=SCORE_VALIDATORS, help_text="1 barely helps · 5 prevents a repeat."
    )
    effort = models.PositiveSmallIntegerField(
        validators=SCORE_VALIDATORS, help_text="1 an hour's work · 5 a project of weeks."
    )
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    status_note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    status_changed_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    reminder_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["due_on", "id"]
        indexes = [models.Index(fields=["status", "due_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(impact__gte=1, impact__lte=5), name="impact_1_to_5"
            ),
            models.CheckConstraint(
                condition=models.Q(effort__gte=1, effort__lte=5), name="effort_1_to_5"
            ),
            models.CheckConstraint(
                condition=models.Q(owner_team__isnull=False) | models.Q(owner_person__isnull=False),
                name="action_item_has_owner",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("reviews:action_item_detail", args=[self.pk])

    def clean(self):
        if self.owner_team_id is None and self.owner_person_id is None:
            raise ValidationError("Give the action item an owner: a team, a person or both.")

    @property
    def quadrant(self) -> Quadrant:
        return quadrant(self.impact, self.effort)

    @property
    def status_label(self) -> str:
        return self.get_status_display()

    @property
    def is_closed(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.DROPPED)

    def is_overdue(self, today) -> bool:
        return not self.is_closed and self.due_on < today

    @property
    def owner_label(self) -> str:
        names = [str(owner) for owner in (self.owner_person, self.owner_team) if owner]
        return " · ".join(names)
