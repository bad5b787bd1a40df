from django.db import models


class Tier(models.IntegerChoices):
    CRITICAL = 1, "Tier 1 · critical"
    IMPORTANT = 2, "Tier 2 · important"
    LOW = 3, "Tier 3 · low"


TIER_MEANING = {
    Tier.CRITICAL: (
        "Customers cannot sign up, pay or be paid: revenue or legal exposure within minutes."
    ),
    Tier.IMPORTANT: "A core business process is slowed or needs manual work-arounds.",
    Tier.LOW: "Internal convenience; can wait for working hours.",
}


class Severity(models.TextChoices):
    SEV1 = "sev1", "SEV1"
    SEV2 = "sev2", "SEV2"
    SEV3 = "sev3", "SEV3"
    SEV4 = "sev4", "SEV4"


class IncidentType(models.TextChoices):
    """What an incident is about; playbooks name one to be attached only to such incidents."""

    CONNECTOR_FAILURE = "connector_failure", "Connector failure"
    VENDOR_DEGRADATION = "vendor_degradation", "Vendor degradation"
    RELEASE_REGRESSION = "release_regression", "Release regression"
    DATA_ERROR = "data_error", "Data error"
    CAPACITY = "capacity", "Capacity or quota"
    SECURITY = "security", "Security"


class Platform(models.TextChoices):
    ZAPIER = "zapier", "Zapier"
    MAKE = "make", "Make"
    N8N = "n8n", "n8n"
    AIRTABLE = "airtable", "Airtable"
    RETOOL = "retool", "Retool"
    POWER_AUTOMATE = "power_automate", "Power Automate"
    BUBBLE = "bubble", "Bubble"
    OTHER = "other", "Other"


class ServiceStatus(models.TextChoices):
    OPERATIONAL = "operational", "Operational"
    DEGRADED = "degraded", "Degraded performance"
    PARTIAL_OUTAGE = "partial_outage", "Partial outage"
    MAJOR_OUTAGE = "major_outage", "Major outage"
    MAINTENANCE = "maintenance", "Under maintenance"


class Urgency(models.TextChoices):
    URGENT = "urgent", "Urgent"
    ROUTINE = "routine", "Routine"
