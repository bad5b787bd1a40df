"""Responder feedback after an incident or a drill, and who was invited to give it."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone


class FeedbackInvitation(models.Model):
    """``person`` took part in ``incident`` and was asked how it went."""

    incident = models.ForeignKey(
        "incidents.Incident", on_delete=models.CASCADE, related_name="feedback_invitations"
    )
    person = models.ForeignKey(
        "incidents.Person", on_delete=models.CASCADE, related_name="feedback_invitations"
    )
    why = models.CharField(max_length=150, help_text="e.g. held the commander seat, were paged.")
    invited_at = models.DateTimeField(default=timezone.now)
    messaged = models.BooleanField(
        default=False, help_text="A routine message with the link went out."
    )

    class Meta:
        ordering = ["incident", "person__name"]
        constraints = [
            models.UniqueConstraint(fields=["incident", "person"], name="one_invitation")
        ]

    def __str__(self):
        return f"{self.person} · {self.incident.reference}"


class Feedback(models.Model):
    class About(models.TextChoices):
        PLAYBOOK = "playbook", "A playbook"
        TOOLING = "tooling", "The tooling (portal, monitoring, paging)"
        SERVICE = "service", "A service"
        CONNECTOR = "connector", "A connector"

    incident = models.ForeignKey(
        "incidents.Incident", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="feedback",
    )
    about = models.CharField(max_length=10, choices=About.choices)
    playbook = models.ForeignKey(
        "playbooks.Playbook", null=True, blank=True, on_delete=models.CASCADE,
        related_name="feedback",
    )
    service = models.ForeignKey(
        "incidents.Service", null=True, blank=True, on_delete=models.CASCADE,
        related_name="feedback",
    )
    connector = models.ForeignKey(
        "incidents.Connector", null=True, blank=True, on_delete=models.CASCADE,
        related_name="feedback",
    )
    tool_name = models.CharField(
        max_length=100, blank=True, help_text="Which tool, e.g. the board or the paging app."
    )
    rating = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(5)],
        help_text="1 got in the way · 5 helped a lot.",
    )
    text = models.TextField("What worked, what did not")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+",
    )
    author_name = models.CharField(max_length=150)
    team = models.ForeignKey(
        "incidents.Team", null=True, blank=True, on_delete=models.SET_NULL,
        related_name="feedback", help_text="The owner team it was routed to.",
    )
    routing_note = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name_plural = "feedback"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(rating__gte=1, rating__lte=5), name="rating_1_to_5"
            )
        ]

    def __str__(self):
        return f"{self.get_about_display()}: {self.subject_name} ({self.rating}/5)"

    @property
    def subject(self):
        """The thing the feedback is about (a playbook, service or connector), or None."""
        return {
            self.About.PLAYBOOK: self.playbook,
            self.About.SERVICE: self.service,
            self.About.CONNECTOR: self.connector,
        }.get(self.about)

    @property
    def subject_name(self) -> str:
        subject = self.subject
        if subject is not None:
            return str(subject)
        return self.tool_name or self.get_about_display()
