"""Post-incident reviews, the versions they publish, and who hears about them."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from incidents.models import Severity, Tier


class CauseClass(models.TextChoices):
    SYSTEMIC = "systemic", "Systemic (in the no-code environment)"
    EXTERNAL = "external", "External dependency"
    MIXED = "mixed", "Mixed"


class Review(models.Model):
    """One review of one incident (or of a near miss promoted to a review).

    The generated report lives in ``generated`` and is rewritten by every regeneration;
    the sections people write are fields of their own, which regeneration never touches.
    """

    class State(models.TextChoices):
        DRAFT = "draft", "Draft"
        IN_REVIEW = "in_review", "In review"
        PUBLISHED = "published", "Published"

    incident = models.OneToOneField(
        "incidents.Incident",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="review",
    )
    title = models.CharField(max_length=200)
    severity = models.CharField(max_length=4, choices=Severity.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    revision = models.PositiveSmallIntegerField(
        default=1, help_text="The revision being written; each publication keeps a version."
    )
    generated = models.JSONField(default=dict, blank=True)
    generated_at = models.DateTimeField(null=True, blank=True)
    # The sections people write.
    narrative = models.TextField(
        "What happened, in our words",
        blank=True,
        help_text="The story for a reader who was not there; the timeline has the detail.",
    )
    cause_class = models.CharField(
        "Cause classification", max_length=10, choices=CauseClass.choices, blank=True
    )
    cause_analysis = models.TextField(blank=True)
    contributing_factors = models.TextField(blank=True, help_text="One factor per line.")
    lessons_learned = models.TextField(blank=True)
    reviewers = models.ManyToManyField(
        "incidents.Person", related_name="reviews_to_write", blank=True
    )
    due_on = models.DateField()
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    published_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    reminder_note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["state", "due_on"])]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("reviews:review_detail", args=[self.pk])

    @property
    def reference(self) -> str:
        return f"PIR-{self.pk}"

    @property
    def is_published(self) -> bool:
        return self.state == self.State.PUBLISHED

    @property
    def contributing_factor_list(self) -> list[str]:
        return [line.strip() for line in self.contributing_factors.splitlines() if line.strip()]

    def is_overdue(self, today) -> bool:
        return not self.is_published and self.due_on < today


class ReviewVersion(models.Model):
    """What a review said when it was published. Never changed: revising the review and
    publishing again makes the next version."""

    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField()
    content = models.JSONField()
    markdown = models.TextField()
    published_at = models.DateTimeField(default=timezone.now)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    published_by_name = models.CharField(max_length=150)
    notified = models.PositiveIntegerField(
        default=0, help_text="How many people on the distribution lists were told."
    )

    class Meta:
        ordering = ["review", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["review", "number"], name="one_review_version")
        ]

    def __str__(self):
        return f"{self.review.reference} v{self.number}"

    def save(self, *args, **kwargs):
        # An integrity guard, not business logic: a published version is never rewritten.
        if self.pk is not None:
            raise TypeError("A published review version cannot be changed.")
        super().save(*args, **kwargs)

    def get_absolute_url(self):
        return reverse("reviews:review_version", args=[self.review_id, self.number])


class DistributionList(models.Model):
    """Who is told when a review is published.

    A list with neither services nor a tier hears about every review; otherwise about the
    reviews that touch one of its services or a service of its tier.
    """

    name = models.CharField(max_length=100, unique=True)
    description = models.CharField(max_length=300, blank=True)
    tier = models.PositiveSmallIntegerField(
        choices=Tier.choices, null=True, blank=True,
        help_text="Reviews touching a service of this tier. Empty: any tier.",
    )
    services = models.ManyToManyField(
        "incidents.Service", related_name="distribution_lists", blank=True
    )
    people = models.ManyToManyField("incidents.Person", related_name="+", blank=True)
    teams = models.ManyToManyField(
        "incidents.Team", related_name="+", blank=True, help_text="Every member is told."
    )
    audiences = models.ManyToManyField(
        "incidents.AudienceGroup", related_name="+", blank=True, help_text="Every member is told."
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self):
        return self.name
