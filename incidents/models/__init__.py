from .authority import DecisionAuthority
from .catalog import Connector, ResponseTarget, Service, ServiceDependency, Team
from .choices import Platform, ServiceStatus, Severity, Tier, Urgency
from .rosters import ContactMethod, NotificationRule, Person
from .rotations import LayerParticipant, Override, Rotation, RotationLayer

__all__ = [
    "Connector",
    "ContactMethod",
    "DecisionAuthority",
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
    "Team",
    "Tier",
    "Urgency",
]
