"""Playbooks (runbooks): versioned markdown with a checklist, an owner and a review clock."""

import re
from datetime import datetime, timedelta

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone

from incidents.models import IncidentType

DEFAULT_REVIEW_DAYS = 90
# "- [ ] step", "* step", "1. step", "[x] step": the marker goes, the step stays.
CHECKLIST_MARKER = re.compile(r"^(?:[-*+]\s+)?(?:\[[ xX]?\]\s*)?(?:\d{1,3}[.)]\s+)?")
TASK_TITLE_LIMIT = 200  # incidents.Task.title


def checklist_items(text: str) -> list[str]:
    """The steps of a checklist written one per line; list markers, blank lines and
    repeats are dropped, so "- [ ] Pause the Make scenario" becomes one step."""
    items: list[str] = []
    for line in (text or "").splitlines():
        step = CHECKLIST_MARKER.sub("", line.strip(), count=1)
        step = " ".join(step.split())[:TASK_TITLE_LIMIT].strip()
        if step and step not in items:
            items.append(step)
    return items


class Playbook(models.Model):
    """What to do when a service (or a kind of incident) goes wrong.

    The text lives in its versions; the facts that change on their own (who owns it, who
    is on call, how to reach them, what it depends on) are read live from the catalog.
    """

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=100, unique=True)
    summary = models.CharField(
        max_length=300, blank=True, help_text="When to reach for it, in one sentence."
    )
    incident_type = models.CharField(
        max_length=100,
        blank=True,
        choices=IncidentType.choices,
        help_text="The type of incident it is for. Set, it is attached only to incidents of "
        "that type. Empty: any.",
    )
    services = models.ManyToManyField("incidents.Service", related_name="playbooks", blank=True)
    connectors = models.ManyToManyField(
        "incidents.Connector", related_name="playbooks", blank=True,
        help_text="Set, it is attached only to incidents about one of these connectors.",
    )
    integrations = models.ManyToManyField(
        "incidents.Integration", related_name="playbooks", blank=True,
        verbose_name="alert sources",
        help_text="Set, it is attached only to incidents raised by one of these integrations.",
    )
    owner_team = models.ForeignKey(
        "incidents.Team", on_delete=models.PROTECT, related_name="playbooks"
    )
    review_interval_days = models.PositiveIntegerField(
        default=DEFAULT_REVIEW_DAYS,
        validators=[MinValueValidator(1), MaxValueValidator(3650)],
        help_text="After this many days without a review the playbook is flagged stale.",
    )
    reviewed_at = models.DateTimeField(default=timezone.now)
    reviewed_by_name = models.CharField(max_length=150, blank=True)
    reminded_at = models.DateTimeField(
        null=True, blank=True, help_text="When the owner team's manager was last reminded."
    )
    reminder_note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["title"]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("playbooks:playbook_detail", args=[self.slug])

    @property
    def source(self) -> str:
        """What the tasks it adds to an incident carry in ``Task.source``."""
        return f"playbook:{self.slug}"

    @property
    def review_due_at(self) -> datetime:
        return self.reviewed_at + timedelta(days=self.review_interval_days)

    def is_stale(self, now: datetime | None = None) -> bool:
        return (now or timezone.now()) >= self.review_due_at

    @property
    def stale(self) -> bool:
        return self.is_stale()

    @property
    def current(self) -> "PlaybookVersion | None":
        """The newest version; reads a ``versions`` prefetch when there is one."""
        cache = getattr(self, "_prefetched_objects_cache", {})
        if "versions" in cache:
            versions = list(cache["versions"])
            return max(versions, key=lambda v: v.number) if versions else None
        return self.versions.order_by("-number").first()


class PlaybookVersion(models.Model):
    """One edit of a playbook. Never changed afterwards: the next edit is the next version."""

    playbook = models.ForeignKey(Playbook, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    title = models.CharField(max_length=200)
    body = models.TextField(help_text="Markdown.")
    checklist = models.TextField(
        blank=True, help_text="One step per line; each becomes a task on the incident."
    )
    note = models.CharField(max_length=300, blank=True, help_text="What changed, and why.")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    author_name = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["playbook", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["playbook", "number"], name="one_version_number")
        ]

    def __str__(self):
        return f"{self.playbook} v{self.number}"

    @property
    def checklist_items(self) -> list[str]:
        return checklist_items(self.checklist)
