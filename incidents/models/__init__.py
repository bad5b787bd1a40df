from .authority import DecisionAuthority
from .catalog import Connector, ResponseTarget, Service, ServiceDependency, Team
from .choices import Platform, ServiceStatus, Severity, Tier, Urgency
from .incident import (
    OPEN_STATUSES,
    STANDARD_ROLES,
    Decision,
    Incident,
    IncidentRole,
    IncidentRoleKind,
    IncidentStatus,
    Task,
    TimelineEvent,
)
from .rosters import ContactMethod, NotificationRule, Person
from .rotations import LayerParticipant, Override, Rotation, RotationLayer

__all__ = [
    "OPEN_STATUSES",
    "STANDARD_ROLES",
    "Connector",
    "ContactMethod",
    "Decision",
    "DecisionAuthority",
    "Incident",
    "IncidentRole",
    "IncidentRoleKind",
    "IncidentStatus",
    "LayerParticipant",
    "NotificationRule",
    "Override",
    "Person",
    "Platform",
    "ResponseTarget",
    "Rotation",
    "RotationLayer",
    "Service",
    "ServiceDependency",
    "ServiceStatus",
    "Severity",
    "Task",
    "Team",
    "Tier",
    "TimelineEvent",
    "Urgency",
]
