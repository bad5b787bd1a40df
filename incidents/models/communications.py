"""Communications: status updates and how they are worded per audience, the glossary, prepared
statements, who follows what, scheduled maintenance and mid-incident huddles."""

import secrets

from django.conf import settings
from django.db import models
from django.utils import timezone

from .choices import ServiceStatus, Severity, Urgency
from .incident import new_public_id


class Audience(models.TextChoices):
    TECHNICAL = "technical", "Technical"
    EXECUTIVE = "executive", "Executive"
    CUSTOMER = "customer", "Customer"
    PARTNER = "partner", "Partner"


# Audiences outside the company: their wording never names people or internal systems.
EXTERNAL_AUDIENCES = (Audience.CUSTOMER, Audience.PARTNER)


class Channel(models.TextChoices):
    BRIDGE = "bridge", "Incident bridge / channel"
    INTERNAL_EMAIL = "internal_email", "Internal email"
    STATUS_PAGE = "status_page", "Status page"
    CUSTOMER_EMAIL = "customer_email", "Customer email"


class MessageTemplate(models.Model):
    """How an update is worded for one audience on one channel.

    Subject and body use Django template syntax, rendered in a sandbox with a fixed context
    of plain values (see ``incidents.comms.sandbox``).
    """

    audience = models.CharField(max_length=10, choices=Audience.choices)
    channel = models.CharField(max_length=20, choices=Channel.choices)
    subject_template = models.CharField(max_length=300)
    body_template = models.TextField()
    urgency = models.CharField(
        max_length=10,
        choices=Urgency.choices,
        default=Urgency.ROUTINE,
        help_text="How urgently people of this audience are told (internal email only).",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["audience", "channel"]
        constraints = [
            models.UniqueConstraint(fields=["audience", "channel"], name="one_template_per_cell")
        ]

    def __str__(self):
        return f"{self.get_audience_display()} · {self.get_channel_display()}"


class GlossaryTerm(models.Model):
    term = models.CharField(max_length=80, unique=True)
    definition = models.CharField(
        max_length=300, help_text="Plain words, shown after the term for non-technical readers."
    )
    is_jargon = models.BooleanField(
        "jargon for customers",
        default=False,
        help_text="Flag a public update whose customer or partner wording uses it: publishing "
        "asks to rephrase or confirm.",
    )
    jargon_for_executives = models.BooleanField(
        default=False,
        help_text="Point it out in drafts executives read, as advice: an internal update is "
        "never held back for its wording.",
    )
    say_instead = models.CharField(
        max_length=120, blank=True, help_text="A plainer way to say it, offered with the flag."
    )

    class Meta:
        ordering = ["term"]

    def __str__(self):
        return self.term

    def jargon_for(self, audience: str) -> bool:
        """Whether readers of ``audience`` should not get this word (partners read what
        customers read; technical readers get every word)."""
        if audience == Audience.EXECUTIVE:
            return self.jargon_for_executives
        return audience in EXTERNAL_AUDIENCES and self.is_jargon


class PreparedStatement(models.Model):
    """An approved wording, picked when drafting (template syntax allowed, as for templates)."""

    class Kind(models.TextChoices):
        ACKNOWLEDGE = "acknowledge", "Acknowledging an outage"
        WORKAROUND = "workaround", "Announcing a workaround"
        ROLLBACK = "rollback", "Announcing a rollback"
        RESOLUTION = "resolution", "Resolution"

    title = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    text = models.TextField()
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["kind", "title"]

    def __str__(self):
        return self.title


class StatusUpdate(models.Model):
    """One update answering the five questions, written once and rendered per audience.

    ``rendered`` keeps the wording each audience and channel got when it was published:
    ``{audience: {channel: {"subject": …, "body": …}}}``.
    """

    class Visibility(models.TextChoices):
        INTERNAL = "internal", "Internal only"
        PUBLIC = "public", "Public (status page and customers)"

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="status_updates"
    )
    what_happened = models.TextField()
    current_impact = models.TextField()
    being_done = models.TextField()
    responsible = models.TextField()
    expected_timeline = models.TextField()
    next_update_at = models.DateTimeField(null=True, blank=True)
    technical_detail = models.TextField(
        blank=True, help_text="Components, error messages, links: for the technical audience."
    )
    customer_headline = models.CharField(max_length=200, blank=True)
    customer_wording = models.TextField(blank=True)
    visibility = models.CharField(
        max_length=10, choices=Visibility.choices, default=Visibility.INTERNAL
    )
    incident_status = models.CharField(
        max_length=15, help_text="The incident's status when the update was posted."
    )
    rendered = models.JSONField(default=dict, blank=True)
    flagged_words = models.JSONField(
        default=list, blank=True, help_text="Words the jargon check flagged, published anyway."
    )
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    posted_by_name = models.CharField(max_length=150)
    posted_at = models.DateTimeField(default=timezone.now)
    public_id = models.CharField(
        max_length=16, unique=True, default=new_public_id, editable=False,
        help_text="Names the update on the public status page and feed.",
    )

    class Meta:
        ordering = ["-posted_at", "-id"]
        indexes = [
            models.Index(fields=["incident", "posted_at"]),
            models.Index(fields=["visibility", "posted_at"]),
        ]

    def __str__(self):
        return f"Update on INC-{self.incident_id} at {self.posted_at:%Y-%m-%d %H:%M}"

    @property
    def is_public(self) -> bool:
        return self.visibility == self.Visibility.PUBLIC

    def wording(self, audience: str, channel: str) -> dict:
        """The subject and body ``audience`` got on ``channel`` (empty when it got none)."""
        return (self.rendered or {}).get(audience, {}).get(channel, {})


class ServiceSubscription(models.Model):
    """A person who wants every update on incidents affecting a service."""

    person = models.ForeignKey(
        "incidents.Person", on_delete=models.CASCADE, related_name="service_subscriptions"
    )
    service = models.ForeignKey(
        "incidents.Service", on_delete=models.CASCADE, related_name="subscriptions"
    )
    audience = models.CharField(
        max_length=10,
        choices=[(a.value, a.label) for a in Audience if a != Audience.CUSTOMER],
        default=Audience.EXECUTIVE,
        help_text="Which wording this person gets.",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["service__name", "person__name"]
        constraints = [
            models.UniqueConstraint(fields=["person", "service"], name="one_subscription")
        ]

    def __str__(self):
        return f"{self.person} follows {self.service}"


def new_subscriber_token() -> str:
    return secrets.token_urlsafe(24)


class StatusSubscriber(models.Model):
    """Someone outside who follows the public status page by email (double opt-in)."""

    email = models.EmailField(unique=True)
    confirmed = models.BooleanField(default=False)
    token = models.CharField(max_length=64, unique=True, default=new_subscriber_token)
    created_at = models.DateTimeField(default=timezone.now)
    confirmation_sent_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["email"]

    def __str__(self):
        return self.email


class MaintenanceWindow(models.Model):
    """Planned work: shown on the status page; paging for its services waits until it ends."""

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    services = models.ManyToManyField(
        "incidents.Service", related_name="maintenance_windows"
    )
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    public = models.BooleanField(default=True, help_text="Shown on the public status page.")
    suppress_paging = models.BooleanField(
        default=True,
        help_text="Hold escalation pages for incidents on these services until the window ends.",
    )
    created_by_name = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["starts_at", "id"]
        indexes = [models.Index(fields=["starts_at", "ends_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gt=models.F("starts_at")),
                name="maintenance_ends_after_start",
            )
        ]

    def __str__(self):
        return self.title

    def is_active(self, now) -> bool:
        return self.cancelled_at is None and self.starts_at <= now < self.ends_at


class Huddle(models.Model):
    """A mid-incident call: when, where, and who is asked to join."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="huddles"
    )
    at = models.DateTimeField()
    bridge_link = models.URLField(max_length=500)
    agenda = models.CharField(max_length=300, blank=True)
    invitees = models.ManyToManyField("incidents.Person", related_name="huddles")
    scheduled_by_name = models.CharField(max_length=150)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self):
        return f"Huddle on INC-{self.incident_id} at {self.at:%Y-%m-%d %H:%M}"


class ServiceStatusRule(models.Model):
    """Which status a public service takes while an incident of this severity affects it."""

    severity = models.CharField(max_length=4, choices=Severity.choices, unique=True)
    status = models.CharField(
        max_length=20,
        choices=ServiceStatus.choices,
        help_text="Operational: an incident of this severity leaves the status as it is.",
    )

    class Meta:
        ordering = ["severity"]

    def __str__(self):
        return f"{self.get_severity_display()} → {self.get_status_display()}"
