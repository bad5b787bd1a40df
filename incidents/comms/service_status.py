"""Public service status follows incidents.

Declaring sets each affected public service to the status its severity maps to (admin:
"Service status rules"), never lowering a worse one; resolving returns each to what is left:
the worst mapping among the other open incidents on it, maintenance while a window runs,
else operational. The communications lead may set a status by hand. Drills change nothing.
Every change is a timeline event of the incident that caused it.

A change nobody made (an incident an alert or a failing connector declared, or that its
alerts resolved) is *automatic*, and each service says what becomes of it
(``Service.automatic_status``): held until a person who may publish to customers publishes
it (the default: an alert sender alone must not tell customers of a major outage), or
published at once and marked on the status page as detected automatically.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..models import (
    AutomaticStatus,
    DecisionAuthority,
    Incident,
    MaintenanceWindow,
    Service,
    ServiceStatus,
    ServiceStatusChange,
    ServiceStatusRule,
    TimelineEvent,
)
from ..services import require, timeline
from .authority import require_poster
from .defaults import SEVERITY_STATUS

Kind = TimelineEvent.Kind
Status = ServiceStatus
RANK = {
    Status.OPERATIONAL: 0,
    Status.MAINTENANCE: 1,
    Status.DEGRADED: 2,
    Status.PARTIAL_OUTAGE: 3,
    Status.MAJOR_OUTAGE: 4,
}


class StatusRefused(ValueError):
    """A status change that cannot be made; the message says why."""


def worst(statuses) -> str:
    return max(statuses, key=lambda s: RANK[Status(s)], default=Status.OPERATIONAL)


def severity_statuses() -> dict[str, str]:
    """severity → status, from the admin's rules with the built-in ones filling gaps."""
    mapping = dict(SEVERITY_STATUS)
    mapping.update(dict(ServiceStatusRule.objects.values_list("severity", "status")))
    return mapping


def status_from_incidents(service: Service, now: datetime, *, exclude=None) -> str:
    """What ``service`` should show with no hand-set status: its open incidents' worst
    mapping, maintenance while a window runs, else operational."""
    mapping = severity_statuses()
    incidents = Incident.objects.open().filter(services=service, is_drill=False)
    if exclude is not None:
        incidents = incidents.exclude(pk=exclude.pk)
    statuses = [mapping.get(s, Status.OPERATIONAL) for s in incidents.values_list(
        "severity", flat=True)]
    in_window = MaintenanceWindow.objects.filter(
        services=service, cancelled_at=None, starts_at__lte=now, ends_at__gt=now
    ).exists()
    if in_window:
        statuses.append(Status.MAINTENANCE)
    return worst(statuses)


def status_record(service: Service, status: str, *, at, incident=None,
                  automatic: bool = False) -> ServiceStatusChange:
    """Remember that ``service`` shows ``status`` from ``at`` on: every change of a
    service's status goes through here, and the status page's uptime is read from it."""
    return ServiceStatusChange.objects.create(
        service=service, status=status, at=at, incident=incident, automatic=automatic
    )


def status_recording_start(service: Service, at=None) -> None:
    """A service that has no recorded status yet (new in the catalog) starts its history
    with the status it shows now."""
    if not ServiceStatusChange.objects.filter(service=service).exists():
        status_record(service, service.status, at=at or timezone.now(),
                      automatic=service.status_automatic)


def _change(service: Service, status: str, *, incident: Incident, by, at, why: str) -> bool:
    """Show ``status`` for ``service``; a change nobody made (``by`` None) is held when
    the service says so. True when the public status changed."""
    automatic = by is None
    if automatic and service.public and service.automatic_status == AutomaticStatus.HOLD:
        _hold(service, status, incident=incident, at=at, why=why)
        return False
    old = service.status
    if old == status and not service.held_status and service.status_automatic == automatic:
        return False
    fields = {"status": status, "status_automatic": automatic, **_NOTHING_HELD}
    Service.objects.filter(pk=service.pk).update(**fields)
    for name, value in fields.items():
        setattr(service, name, value)
    if old == status:
        return False
    status_record(service, status, at=at, incident=incident, automatic=automatic)
    detected = ", detected automatically" if automatic and service.public else ""
    timeline.record(
        incident,
        Kind.SERVICES_CHANGE,
        f"Status of {service.name}: {Status(old).label} → {Status(status).label} "
        f"({why}{detected}).",
        by=by,
        at=at,
        service=service.pk,
        service_status={"from": old, "to": status, "automatic": automatic},
    )
    return True


_NOTHING_HELD = {"held_status": "", "held_incident": None, "held_at": None}


def _hold(service: Service, status: str, *, incident: Incident, at, why: str) -> None:
    """Keep an automatic change for a person to publish; the newest one replaces an older
    one, and one that would change nothing drops what was held."""
    if status == service.status:
        if service.held_status:
            Service.objects.filter(pk=service.pk).update(**_NOTHING_HELD)
            service.held_status, service.held_incident, service.held_at = "", None, None
        return
    if status == service.held_status:
        return
    Service.objects.filter(pk=service.pk).update(
        held_status=status, held_incident=incident, held_at=at
    )
    service.held_status, service.held_incident, service.held_at = status, incident, at
    timeline.record(
        incident,
        Kind.SERVICES_CHANGE,
        f"Status of {service.name}: {Status(status).label} detected automatically ({why}), "
        f"held for a person to publish; the status page still shows "
        f"{Status(service.status).label}.",
        at=at,
        name="Portal",
        service=service.pk,
        service_status={"from": service.status, "to": status, "held": True},
    )


def status_follow_declaration(incident: Incident, *, by=None, at=None, why: str = "") -> None:
    """Raise each affected public service to the status the severity maps to."""
    if incident.is_drill:
        return
    at = at or timezone.now()
    target = severity_statuses().get(incident.severity, Status.OPERATIONAL)
    if target == Status.OPERATIONAL:
        return
    why = why or f"{incident.get_severity_display()} declared"
    for service in incident.services.filter(public=True).order_by("name"):
        if RANK[Status(target)] > RANK[Status(_floor(service, by))]:
            _change(service, target, incident=incident, by=by, at=at, why=why)


def _floor(service: Service, by) -> str:
    """What a raise must exceed: the status shown; for an automatic raise, also a change
    already held for publishing (a lesser one must not replace it)."""
    if by is not None or not service.held_status:
        return service.status
    return worst([service.status, service.held_status])


def status_follow_resolution(incident: Incident, *, by=None, at=None) -> None:
    """Return each affected public service to what remains without this incident."""
    if incident.is_drill:
        return
    at = at or timezone.now()
    for service in incident.services.filter(public=True).order_by("name"):
        remaining = status_from_incidents(service, at, exclude=incident)
        _change(service, remaining, incident=incident, by=by, at=at,
                why=f"{incident.reference} resolved")


@transaction.atomic
def service_status_set(*, incident: Incident, service: Service, status: str, by, at=None) -> bool:
    """The communications lead's override of an affected service's status."""
    require_poster(by, incident)
    if not incident.services.filter(pk=service.pk).exists():
        raise StatusRefused(f"{service.name} is not affected by {incident.reference}.")
    if status not in Status.values:
        raise StatusRefused("Pick one of the listed statuses.")
    if incident.is_drill:
        raise StatusRefused("A drill does not change the status customers see.")
    service = Service.objects.select_for_update().get(pk=service.pk)
    return _change(service, status, incident=incident, by=by, at=at or timezone.now(),
                   why="set by hand")


@transaction.atomic
def service_status_publish_held(*, incident: Incident, service: Service, by, at=None) -> str:
    """A person publishes the automatic change held for ``service``: it needs the authority
    to publish to customers at the incident's severity. Returns the status now shown."""
    require_poster(by, incident)
    require(by, DecisionAuthority.Action.PUBLISH_CUSTOMERS, incident.severity, incident)
    if not incident.services.filter(pk=service.pk).exists():
        raise StatusRefused(f"{service.name} is not affected by {incident.reference}.")
    service = Service.objects.select_for_update().get(pk=service.pk)
    if not service.held_status:
        raise StatusRefused(f"No automatic change of {service.name} is waiting to be published.")
    held = service.held_status
    _change(service, held, incident=incident, by=by, at=at or timezone.now(),
            why="detected automatically, published by hand")
    return held
