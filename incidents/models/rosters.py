"""People, the teams they belong to, how to reach them and when."""

import re
import secrets
import zoneinfo
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import models
from simple_history.models import HistoricalRecords

from portal import egress

from .choices import Urgency

E164 = re.compile(r"^\+[1-9]\d{6,14}$")
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a known time zone (e.g. Europe/London).")


def new_calendar_token() -> str:
    return secrets.token_urlsafe(24)


class PersonQuerySet(models.QuerySet):
    def with_urgent_reachability(self):
        """Annotate ``urgent_methods``: urgent rules whose contact method has not failed."""
        return self.annotate(
            urgent_methods=models.Count(
                "notification_rules",
                filter=models.Q(
                    notification_rules__urgency=Urgency.URGENT,
                    notification_rules__contact_method__failure_reason="",
                ),
            )
        )


class Person(models.Model):
    name = models.CharField(max_length=150)
    email = models.EmailField(blank=True, help_text="For display; pages go to contact methods.")
    job_title = models.CharField(max_length=100, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="person",
    )
    teams = models.ManyToManyField("incidents.Team", related_name="members", blank=True)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    calendar_token = models.CharField(
        max_length=64, unique=True, default=new_calendar_token, editable=False
    )
    history = HistoricalRecords()

    objects = PersonQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "people"

    def __str__(self):
        return self.name

    def calendar_key_reset(self) -> None:
        """A new calendar token: every feed link made with the old one stops working. One
        save, so that the history records who renewed it."""
        self.calendar_token = new_calendar_token()
        self.save(update_fields=["calendar_token"])

    @property
    def cannot_be_paged(self) -> bool:
        """True when no urgent rule leads to a working contact method (a roster flag).

        Reads the ``urgent_methods`` annotation when the queryset has it (no query).
        """
        count = getattr(self, "urgent_methods", None)
        if count is None:
            count = (
                self.notification_rules.filter(
                    urgency=Urgency.URGENT, contact_method__failure_reason=""
                ).count()
            )
        return count == 0


class ContactMethod(models.Model):
    class Kind(models.TextChoices):
        EMAIL = "email", "Email"
        SMS = "sms", "SMS"
        SLACK = "slack", "Slack webhook"
        TEAMS = "teams", "Teams workflow"
        WEBHOOK = "webhook", "Webhook"

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="contact_methods")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    label = models.CharField(max_length=50, blank=True, help_text="e.g. work phone")
    address = models.CharField(
        max_length=500, help_text="Email address, E.164 phone number (+447700900123) or https URL."
    )
    failure_reason = models.CharField(
        max_length=300,
        blank=True,
        help_text="Set when a delivery failed permanently; clear it once the address is fixed.",
    )
    failed_at = models.DateTimeField(null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["person__name", "kind", "id"]
        constraints = [
            models.UniqueConstraint(fields=["person", "kind", "address"], name="unique_contact")
        ]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.address}"

    @property
    def is_usable(self) -> bool:
        return not self.failure_reason

    def clean(self):
        self.address = (self.address or "").strip()
        error = contact_address_error(self.kind, self.address)
        if error:
            raise ValidationError({"address": error})


def contact_address_error(kind: str, address: str) -> str | None:
    """Why ``address`` cannot be used for a contact method of ``kind``, or None."""
    if kind == ContactMethod.Kind.EMAIL:
        try:
            validate_email(address)
        except ValidationError:
            return "Enter a valid email address, like name@example.com."
        return None
    if kind == ContactMethod.Kind.SMS:
        if not E164.match(address):
            return "Enter the number in E.164 form: + then country code and number, no spaces."
        return None
    if kind in ContactMethod.Kind.values:
        parts = urlsplit(address)
        loopback_ok = settings.CONTACT_ALLOW_LOOPBACK_HTTP and parts.hostname in LOOPBACK_HOSTS
        if parts.scheme != "https" and not (parts.scheme == "http" and loopback_ok):
            return "Enter an https:// URL."
        if not parts.hostname:
            return "The URL has no host."
        refused = egress.host_refusal(parts.hostname)
        if refused:
            # The check that counts is made again on every connection (DNS can change).
            return f"The portal does not send here: {refused.removeprefix('refused: ')}."
        return None
    return f"Unknown contact method kind “{kind}”."


class NotificationRule(models.Model):
    """Reach ``person`` through ``contact_method`` this many minutes into a page of ``urgency``."""

    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="notification_rules")
    urgency = models.CharField(max_length=10, choices=Urgency.choices)
    contact_method = models.ForeignKey(
        ContactMethod, on_delete=models.CASCADE, related_name="notification_rules"
    )
    delay_minutes = models.PositiveIntegerField(default=0)
    history = HistoricalRecords()

    class Meta:
        ordering = ["person__name", "urgency", "delay_minutes", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person", "urgency", "contact_method"], name="unique_rule"
            )
        ]

    def __str__(self):
        return f"{self.get_urgency_display()}: {self.contact_method} after {self.delay_minutes} min"

    def clean(self):
        owned = self.contact_method_id and self.contact_method.person_id == self.person_id
        if self.person_id and self.contact_method_id and not owned:
            raise ValidationError(
                {"contact_method": "Choose one of this person's own contact methods."}
            )
