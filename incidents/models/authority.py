from django.contrib.auth.models import Group
from django.db import models

from .choices import Severity


class DecisionAuthority(models.Model):
    """Who may take ``action`` at ``severity``: holders of any listed portal or incident role."""

    class Action(models.TextChoices):
        DECLARE = "declare", "Declare"
        RAISE_SEVERITY = "raise_severity", "Raise severity to this level"
        APPROVE_ROLLBACK = "approve_rollback", "Approve a rollback or workaround"
        PUBLISH_CUSTOMERS = "publish_customers", "Publish to customers"
        CLOSE = "close", "Close"

    severity = models.CharField(max_length=4, choices=Severity.choices)
    action = models.CharField(max_length=20, choices=Action.choices)
    portal_roles = models.ManyToManyField(Group, blank=True, related_name="decision_authorities")
    incident_roles = models.JSONField(
        default=list,
        blank=True,
        help_text='Incident role slugs, e.g. ["commander", "technical_lead"].',
    )

    class Meta:
        ordering = ["severity", "action"]
        verbose_name_plural = "decision authorities"
        constraints = [
            models.UniqueConstraint(fields=["severity", "action"], name="unique_authority")
        ]

    def __str__(self):
        return f"{self.get_severity_display()} · {self.get_action_display()}"
