"""Declaring an incident and moving it through its lifecycle."""

from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.text import strip_bidi_controls

from .. import hooks
from ..comms import follow as comms
from ..escalation import engine as escalation
from ..models import (
    Alert,
    DecisionAuthority,
    Incident,
    IncidentStatus,
    IncidentType,
    Severity,
    TimelineEvent,
)
from ..search import search_index_add
from . import timeline
from .authority import NotAllowed, require, require_operator

Status = IncidentStatus
Kind = TimelineEvent.Kind
Action = DecisionAuthority.Action

# status -> the statuses it may move to. Reopening (resolved/closed -> investigating) is its
# own workflow so that it is counted and recorded as such.
TRANSITIONS = {
    Status.TRIAGE: {Status.INVESTIGATING, Status.IDENTIFIED, Status.MONITORING, Status.RESOLVED},
    Status.INVESTIGATING: {Status.IDENTIFIED, Status.MONITORING, Status.RESOLVED},
    Status.IDENTIFIED: {Status.INVESTIGATING, Status.MONITORING, Status.RESOLVED},
    Status.MONITORING: {Status.INVESTIGATING, Status.IDENTIFIED, Status.RESOLVED},
    Status.RESOLVED: {Status.CLOSED},
    Status.CLOSED: set(),
}
SEVERITY_RANK = {Severity.SEV1: 1, Severity.SEV2: 2, Severity.SEV3: 3, Severity.SEV4: 4}


class TransitionRefused(ValueError):
    """A status change the lifecycle does not allow; the message says what is allowed."""


def allowed_transitions(status: str) -> list[str]:
    return [s.value for s in Status if s in TRANSITIONS[Status(status)]]


class AlreadyDeclared(Exception):
    """The declare form with this token was already posted: ``incident`` is what it made."""

    def __init__(self, incident: Incident):
        super().__init__(f"{incident.reference} was already declared from this form.")
        self.incident = incident


@transaction.atomic
def incident_declare(
    *, title: str, severity: str, declared_by, services=(), summary: str = "",
    is_drill: bool = False, at=None, token: str | None = None, alert: Alert | None = None,
    incident_type: str = "", connector=None,
) -> Incident:
    """1. check decision authority to declare at this severity; 2. create the incident with
    its affected services (once per ``token``: a repeat raises ``AlreadyDeclared``); 3. link
    the ``alert`` it was declared from, if nothing holds it yet; 4. record the declaration in
    the timeline (with the ``connector`` it is about, if one) and start escalation."""
    if declared_by is not None:
        require(declared_by, Action.DECLARE, severity)
    at = at or timezone.now()
    repeat = _declared_with(token)
    if repeat is not None:
        raise AlreadyDeclared(repeat)
    incident = _create_once(
        token,
        title=strip_bidi_controls(title).strip(),
        severity=severity,
        summary=summary.strip(),
        is_drill=is_drill,
        incident_type=incident_type or "",
        declared_by=declared_by,
        declared_at=at,
        updated_at=at,
    )
    search_index_add(incident.pk, incident.title, incident.summary)
    services = list(services)
    incident.services.set(services)
    if alert is not None:
        Alert.objects.filter(pk=alert.pk, incident__isnull=True).update(incident=incident)
    names = ", ".join(s.name for s in services) or "no service named yet"
    drill = "Drill " if is_drill else ""
    timeline.record(
        incident,
        Kind.DECLARED,
        f"{drill}{incident.get_severity_display()} declared: {incident.title} ({names}).",
        by=declared_by,
        at=at,
        severity=severity,
        services=[s.pk for s in services],
        **({"connector": connector.pk} if connector is not None else {}),
    )
    escalation.escalation_start(incident, at)
    comms.incident_declared(incident, by=declared_by, at=at)
    hooks.run(hooks.on_declared, incident=incident, now=at)
    return incident


def _declared_with(token: str | None) -> Incident | None:
    return Incident.objects.filter(declare_token=token).first() if token else None


def _create_once(token: str | None, **fields) -> Incident:
    """Create the incident; with a ``token``, at most one incident ever carries it.

    The unique column decides, not the look-up before it: two posts of one form that arrive
    together both miss the look-up, and the second insert then waits for the first
    transaction and fails on the constraint (PostgreSQL), or waits at BEGIN IMMEDIATE and
    finds the row (SQLite).
    """
    try:
        with transaction.atomic():
            return Incident.objects.create(declare_token=token or None, **fields)
    except IntegrityError:
        existing = _declared_with(token)
        if existing is None:
            raise
        raise AlreadyDeclared(existing) from None


@transaction.atomic
def incident_acknowledge(*, incident: Incident, by, at=None, name: str | None = None) -> bool:
    """Mark that a human has the incident. Returns False when it already was acknowledged.

    ``by`` is None for acknowledgements that arrive without a login (a signed link), then
    ``name`` says who it was.
    """
    if by is not None:
        require_operator(by)
    at = at or timezone.now()
    claimed = Incident.objects.filter(pk=incident.pk, acknowledged_at__isnull=True).update(
        acknowledged_at=at
    )
    if not claimed:
        return False
    incident.acknowledged_at = at
    timeline.record(incident, Kind.ACKNOWLEDGED, "Acknowledged.", by=by, at=at, name=name)
    escalation.escalation_stop(incident)
    return True


@transaction.atomic
def incident_unacknowledge(*, incident: Incident, by, reason: str = "") -> None:
    require_operator(by)
    withdrawn = Incident.objects.filter(pk=incident.pk, acknowledged_at__isnull=False).update(
        acknowledged_at=None
    )
    if not withdrawn:
        raise TransitionRefused("The incident is not acknowledged: there is nothing to withdraw.")
    incident.acknowledged_at = None
    timeline.record(
        incident, Kind.UNACKNOWLEDGED, f"Acknowledgement withdrawn. {reason}".strip(), by=by
    )
    if incident.is_open:
        escalation.escalation_restart(incident)


@transaction.atomic
def incident_set_status(
    *, incident: Incident, status: str, by, note: str = "", at=None, system: bool = False,
    name: str | None = None,
) -> None:
    """Move the incident along the lifecycle, stamping the milestone it reaches.

    ``system=True`` is the portal's own automation (an alert integration resolving the
    incident its alerts opened): no user acts (``by`` must be None), so no role applies;
    ``name`` says what acted. The portal's automation never closes an incident.
    """
    if system:
        if by is not None:
            raise ValueError("A system status change has no user.")
    else:
        require_operator(by)
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    current, target = Status(incident.status), Status(status)
    if target not in TRANSITIONS[current]:
        allowed = ", ".join(Status(s).label for s in allowed_transitions(current)) or "none"
        raise TransitionRefused(
            f"An incident cannot go from {current.label} to {target.label}. "
            f"From {current.label} it can go to: {allowed}."
        )
    if target == Status.CLOSED:
        if system:
            raise NotAllowed("Only a person may close an incident.")
        require(by, Action.CLOSE, incident.severity, incident)
    at = at or timezone.now()
    fields = {"status": target}
    if current == Status.TRIAGE and incident.triaged_at is None:
        fields["triaged_at"] = at
    if target in (Status.MONITORING, Status.RESOLVED) and incident.mitigated_at is None:
        fields["mitigated_at"] = at
    if target == Status.RESOLVED:
        fields["resolved_at"] = at
    if target == Status.CLOSED:
        fields["closed_at"] = at
    Incident.objects.filter(pk=incident.pk).update(**fields)
    if "triaged_at" in fields:
        escalation.target_met(incident, "triage", at)
    if target in (Status.RESOLVED, Status.CLOSED):
        escalation.escalation_finish(incident)
    text = f"Status: {current.label} → {target.label}."
    timeline.record(
        incident,
        Kind.STATUS_CHANGE,
        f"{text} {note}".strip(),
        by=by,
        at=at,
        name=name,
        **{"from": current.value, "to": target.value},
    )
    comms.incident_status_changed(incident, status=target, by=by, at=at)


@transaction.atomic
def incident_reopen(*, incident: Incident, by, reason: str) -> None:
    require_operator(by)
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if incident.is_open:
        raise TransitionRefused("Only a resolved or closed incident can be reopened.")
    if not reason.strip():
        raise TransitionRefused("Say why the incident is reopened.")
    Incident.objects.filter(pk=incident.pk).update(
        status=Status.INVESTIGATING,
        resolved_at=None,
        closed_at=None,
        reopened_count=incident.reopened_count + 1,
    )
    timeline.record(
        incident, Kind.REOPENED, f"Reopened: {reason.strip()}", by=by, previous=incident.status
    )
    incident.refresh_from_db()
    escalation.escalation_restart(incident)
    comms.incident_changed(incident, by=by, at=timezone.now())


@transaction.atomic
def incident_change_severity(*, incident: Incident, severity: str, by, reason: str = "") -> None:
    """Raising needs decision authority for the new level; lowering is any operator's call."""
    require_operator(by)
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    if severity == incident.severity:
        return
    if not incident.is_open:
        raise TransitionRefused("The severity of a resolved incident cannot change.")
    raising = SEVERITY_RANK[Severity(severity)] < SEVERITY_RANK[Severity(incident.severity)]
    if raising:
        require(by, Action.RAISE_SEVERITY, severity, incident)
    old = incident.severity
    Incident.objects.filter(pk=incident.pk).update(severity=severity)
    word = "raised" if raising else "lowered"
    text = f"Severity {word}: {old.upper()} → {severity.upper()}. {reason}".strip()
    timeline.record(
        incident, Kind.SEVERITY_CHANGE, text, by=by, **{"from": old, "to": severity}
    )
    incident.severity = severity
    escalation.escalation_replan(incident)
    comms.incident_changed(incident, by=by, at=timezone.now())


@transaction.atomic
def incident_set_services(*, incident: Incident, services, by) -> None:
    require_operator(by)
    services = list(services)
    incident.services.set(services)
    names = ", ".join(s.name for s in services) or "none"
    timeline.record(
        incident,
        Kind.SERVICES_CHANGE,
        f"Affected services: {names}.",
        by=by,
        services=[s.pk for s in services],
    )
    if incident.is_open:
        escalation.escalation_replan(incident)  # a new tier may mean another policy
        comms.incident_changed(incident, by=by, at=timezone.now())


@transaction.atomic
def incident_set_type(*, incident: Incident, incident_type: str, by) -> bool:
    """Say what the incident is about (or that it is not known: ""). Recorded in the
    timeline; apps then act on it (playbooks for the type are attached). Returns False when
    it already was that type."""
    require_operator(by)
    incident_type = incident_type or ""
    if incident_type and incident_type not in IncidentType.values:
        raise TransitionRefused("That is not an incident type.")
    old = incident.incident_type
    if old == incident_type:
        return False
    incident.incident_type = incident_type
    Incident.objects.filter(pk=incident.pk).update(incident_type=incident_type)
    label = IncidentType(incident_type).label if incident_type else "not set"
    was = IncidentType(old).label if old else "not set"
    now = timezone.now()
    timeline.record(
        incident, Kind.TYPE_CHANGE, f"Incident type: {label} (was {was}).", by=by, at=now,
        incident_type=incident_type, previous=old,
    )
    if incident.is_open:
        hooks.run(hooks.on_type_changed, incident=incident, now=now)
    return True


__all__ = [
    "AlreadyDeclared",
    "NotAllowed",
    "TransitionRefused",
    "allowed_transitions",
    "incident_acknowledge",
    "incident_change_severity",
    "incident_declare",
    "incident_reopen",
    "incident_set_services",
    "incident_set_status",
    "incident_set_type",
    "incident_unacknowledge",
]
