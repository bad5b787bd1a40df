from .alerts import Alert, Integration, IntegrationEvent
from .authority import DecisionAuthority
from .catalog import Connector, ResponseTarget, Service, ServiceDependency, Team
from .choices import Platform, ServiceStatus, Severity, Tier, Urgency
from .escalation import (
    AudienceGroup,
    BreachRule,
    EscalationPolicy,
    EscalationStep,
    StepTarget,
    TargetKind,
)
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
from .notifications import Notification
from .rosters import ContactMethod, NotificationRule, Person
from .rotations import LayerParticipant, Override, Rotation, RotationLayer
from .timers import Timer

__all__ = [
    "OPEN_STATUSES",
    "STANDARD_ROLES",
    "Alert",
    "AudienceGroup",
    "BreachRule",
    "Connector",
    "ContactMethod",
    "Decision",
    "DecisionAuthority",
    "EscalationPolicy",
    "EscalationStep",
    "Incident",
    "IncidentRole",
    "IncidentRoleKind",
    "IncidentStatus",
    "Integration",
    "IntegrationEvent",
    "LayerParticipant",
    "Notification",
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
    "StepTarget",
    "TargetKind",
    "Task",
    "Team",
    "Tier",
    "TimelineEvent",
    "Timer",
    "Urgency",
]
