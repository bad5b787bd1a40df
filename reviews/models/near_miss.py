"""Near misses: what almost went wrong, reported by anyone and triaged by the owners."""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from incidents.models import Severity


class NearMiss(models.Model):
    class State(models.TextChoices):
        NEW = "new", "New"
        ACCEPTED = "accepted", "Accepted: worth learning from"
        DISMISSED = "dismissed", "Dismissed"
        PROMOTED = "promoted", "Promoted to a review"

    service = models.ForeignKey(
        "incidents.Service", on_delete=models.PROTECT, related_name="near_misses"
    )
    what_happened = models.TextField("What almost happened")
    potential_impact = models.TextField(
        help_text="What would have broken, for whom, had it not been caught."
    )
    potential_severity = models.CharField(
        max_length=4, choices=Severity.choices, default=Severity.SEV3,
        help_text="How bad it would have been.",
    )
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    reporter_name = models.CharField(max_length=150)
    reported_at = models.DateTimeField(default=timezone.now)
    state = models.CharField(max_length=10, choices=State.choices, default=State.NEW)
    triage_note = models.TextField(blank=True)
    triaged_by_name = models.CharField(max_length=150, blank=True)
    triaged_at = models.DateTimeField(null=True, blank=True)
    review = models.OneToOneField(
        "reviews.Review", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="near_miss",
    )

    class Meta:
        ordering = ["-reported_at", "-id"]
        verbose_name_plural = "near misses"

    def __str__(self):
        return f"{self.reference} {self.service}"

    def get_absolute_url(self):
        return reverse("reviews:near_miss_detail", args=[self.pk])

    @property
    def reference(self) -> str:
        return f"NM-{self.pk}"

    @property
    def headline(self) -> str:
        first = self.what_happened.strip().splitlines()[0] if self.what_happened.strip() else ""
        return first[:120]
