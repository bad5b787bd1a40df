"""What the incident lifecycle calls in communications (one line in each workflow)."""

from ..models import IncidentStatus

# Importing cadence and maintenance registers their timer kinds with the sweep.
from . import cadence, final_update, maintenance, service_status  # noqa: F401


def incident_declared(incident, *, by, at) -> None:
    """After declaration (and the engine's first plan): public service status from the
    severity, and the reminder before the first update is due."""
    service_status.status_follow_declaration(incident, by=by, at=at)
    cadence.plan_reminder(incident, at)


def incident_status_changed(incident, *, status: str, by, at) -> None:
    """After a status change: resolving returns the public services to what remains and
    publishes (or drafts) the final public update."""
    if status == IncidentStatus.RESOLVED:
        service_status.status_follow_resolution(incident, by=by, at=at)
        final_update.resolution_follow(incident, by=by, at=at)


def incident_changed(incident, *, by, at) -> None:
    """After a severity change, new affected services or a reopening: raise the public
    services to what the severity maps to (never lower: the communications lead decides
    that), and re-plan the reminder."""
    service_status.status_follow_declaration(
        incident, by=by, at=at, why=f"{incident.get_severity_display()} {incident.reference}"
    )
    cadence.plan_reminder(incident, at)
