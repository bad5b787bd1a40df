"""What a drill measured, read from the rows the real path wrote: the outbox, the timeline,
the seats and the tasks of the drill incident. Nothing is stored twice; a report is
always computed from these.

Per stakeholder:
- *time to delivery*: their first ``Notification.sent_at`` minus the drill start;
- *time to acknowledgement*: the first of their ``Notification.acknowledged_at`` (set by
  the ack link) and the incident's acknowledgement by their own login;
- *reached in window*: acknowledged within their reach window. A routine stakeholder is
  only informed (routine messages carry no acknowledge link), so delivery counts for them.

Per drill: notification latency p50/p95 (queued → sent, nearest-rank percentiles), the
share reached in window, the time until every standard seat was first filled, the time
until the technical lead and the on-call of the services' rotations had both
acknowledged, and the playbook steps done.
"""

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.utils import timezone

from incidents.models import (
    STANDARD_ROLES,
    IncidentRole,
    IncidentRoleKind,
    Notification,
    Person,
    Rotation,
    Task,
    TimelineEvent,
)
from incidents.oncall.schedule import on_call, plan_for, rotations_with_plans

from .models import Drill, DrillStakeholder


def percentile(values, share: float) -> float | None:
    """The nearest-rank percentile: the smallest value with at least ``share`` of the
    values at or below it (p50 of 1, 2, 3, 4 is 2; p95 is 4). None for no values."""
    ordered = sorted(values)
    if not ordered:
        return None
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class FailedDelivery:
    method_id: int
    method: str  # "Email (work)": never the address, which may be a secret URL
    error: str


@dataclass(frozen=True)
class StakeholderResult:
    stakeholder: DrillStakeholder
    window: timedelta
    paged: bool
    delivered_after: timedelta | None
    acknowledged_after: timedelta | None
    failures: tuple[FailedDelivery, ...] = ()

    @property
    def name(self) -> str:
        return self.stakeholder.person_name

    @property
    def needs_acknowledgement(self) -> bool:
        return self.stakeholder.needs_acknowledgement

    @property
    def reached_after(self) -> timedelta | None:
        if self.needs_acknowledgement:
            return self.acknowledged_after
        return self.delivered_after

    @property
    def reached_in_window(self) -> bool:
        return self.reached_after is not None and self.reached_after <= self.window

    @property
    def outcome(self) -> str:
        if self.reached_in_window:
            return "reached in time"
        if self.reached_after is not None:
            return "reached late"
        if self.delivered_after is not None:
            return "delivered, never acknowledged"
        if self.failures:
            return "delivery failed"
        if self.paged:
            return "not delivered yet"
        return "never paged"


@dataclass(frozen=True)
class DrillMeasurement:
    drill: Drill
    started_at: datetime | None
    results: tuple[StakeholderResult, ...] = ()
    latencies: tuple[float, ...] = ()
    roles_filled_after: timedelta | None = None
    roles_missing: tuple[str, ...] = ()
    handoff_after: timedelta | None = None
    handoff_note: str = ""
    steps_done: int = 0
    steps_total: int = 0
    measured_at: datetime | None = None
    notes: tuple[str, ...] = field(default=())

    @property
    def expected(self) -> int:
        return len(self.results)

    @property
    def reached_in_window(self) -> int:
        return sum(1 for result in self.results if result.reached_in_window)

    @property
    def share_reached(self) -> float | None:
        return self.reached_in_window / self.expected if self.expected else None

    @property
    def share_percent(self) -> int | None:
        share = self.share_reached
        return None if share is None else round(share * 100)

    @property
    def latency_p50(self) -> float | None:
        return percentile(self.latencies, 0.50)

    @property
    def latency_p95(self) -> float | None:
        return percentile(self.latencies, 0.95)

    @property
    def passed(self) -> bool:
        """Every expected stakeholder reached within their window."""
        return self.expected > 0 and self.reached_in_window == self.expected


def measure_drill(drill: Drill, now: datetime | None = None) -> DrillMeasurement:
    """The drill's figures as of ``now`` (its report, its point on the history chart)."""
    now = now or timezone.now()
    incident = drill.incident
    if incident is None or drill.started_at is None:
        return DrillMeasurement(drill=drill, started_at=None, measured_at=now)
    start = drill.started_at
    rows = list(
        Notification.objects.filter(incident=incident)
        .select_related("contact_method")
        .order_by("queued_at", "pk")
    )
    acks = acknowledgements(incident, rows)
    results = tuple(
        _result(stakeholder, start, rows, acks)
        for stakeholder in drill.stakeholders.all()
    )
    latencies = tuple(row.latency_seconds for row in rows if row.sent_at is not None)
    filled_after, missing = _swarming(incident, start)
    handoff_after, handoff_note = _handoff(drill, incident, start, acks)
    steps = Task.objects.filter(incident=incident, source__startswith="playbook:")
    return DrillMeasurement(
        drill=drill,
        started_at=start,
        results=results,
        latencies=latencies,
        roles_filled_after=filled_after,
        roles_missing=missing,
        handoff_after=handoff_after,
        handoff_note=handoff_note,
        steps_done=steps.filter(done_at__isnull=False).count(),
        steps_total=steps.count(),
        measured_at=now,
    )


def acknowledgements(incident, rows: list[Notification]) -> dict[int, datetime]:
    """person id → when they first acknowledged: through an ack link (their notification's
    ``acknowledged_at``) or the incident's acknowledgement made with their own login."""
    acks: dict[int, datetime] = {}

    def keep(person_id, at):
        if person_id is not None and at is not None:
            acks[person_id] = min(at, acks.get(person_id, at))

    for row in rows:
        keep(row.recipient_id, row.acknowledged_at)
    by_login = TimelineEvent.objects.filter(
        incident=incident, kind=TimelineEvent.Kind.ACKNOWLEDGED, actor__isnull=False
    ).values_list("actor", "at")
    users = dict(by_login)
    if users:
        people = Person.objects.filter(user__in=list(users)).values_list("pk", "user")
        for person_id, user_id in people:
            keep(person_id, users[user_id])
    return acks


def _result(stakeholder, start, rows, acks) -> StakeholderResult:
    mine = [
        row for row in rows
        if row.recipient_id == stakeholder.person_id and row.state != Notification.State.CANCELLED
    ]
    sent = [row.sent_at for row in mine if row.sent_at is not None]
    failed: dict[int, FailedDelivery] = {}  # one entry per method, its latest error
    for row in mine:
        if row.state == Notification.State.FAILED:
            failed[row.contact_method_id] = FailedDelivery(
                method_id=row.contact_method_id,
                method=_method_label(row.contact_method),
                error=row.error,
            )
    acked = acks.get(stakeholder.person_id)
    return StakeholderResult(
        stakeholder=stakeholder,
        window=timedelta(minutes=stakeholder.reach_window_minutes),
        paged=bool(mine),
        delivered_after=min(sent) - start if sent else None,
        acknowledged_after=acked - start if acked is not None else None,
        failures=tuple(failed.values()),
    )


def _method_label(method) -> str:
    label = method.get_kind_display()
    return f"{label} ({method.label})" if method.label else label


def role_fill_times(incident) -> dict[str, datetime]:
    """standard seat → when it was first filled (the timeline's role changes, or the seat
    itself for seats written without one)."""
    filled: dict[str, datetime] = {}
    events = TimelineEvent.objects.filter(
        incident=incident, kind=TimelineEvent.Kind.ROLE_CHANGE
    ).order_by("at", "pk")
    for event in events:
        role = event.details.get("role")
        if role and event.details.get("holder") and role not in filled:
            filled[role] = event.at
    for seat in IncidentRole.objects.filter(incident=incident):
        if seat.kind not in filled:
            filled[seat.kind] = seat.assigned_at
    return filled


def _swarming(incident, start) -> tuple[timedelta | None, tuple[str, ...]]:
    filled = role_fill_times(incident)
    missing = tuple(IncidentRoleKind(kind).label for kind in STANDARD_ROLES if kind not in filled)
    if missing:
        return None, missing
    return max(filled[kind] for kind in STANDARD_ROLES) - start, ()


def technical_lead(incident) -> Person | None:
    """The first person to take the technical-lead seat (the current holder otherwise)."""
    events = TimelineEvent.objects.filter(
        incident=incident, kind=TimelineEvent.Kind.ROLE_CHANGE,
        details__role=IncidentRoleKind.TECHNICAL_LEAD,
    ).order_by("at", "pk")
    for event in events:
        holder = event.details.get("holder")
        if holder:
            return Person.objects.filter(pk=holder).first()
    seat = IncidentRole.objects.filter(
        incident=incident, kind=IncidentRoleKind.TECHNICAL_LEAD
    ).select_related("holder").first()
    return seat.holder if seat else None


def on_call_at(drill: Drill, at: datetime) -> list[Person]:
    """Who the target services' rotations had on call at ``at``."""
    rotation_ids = drill.services.exclude(rotation=None).values_list("rotation", flat=True)
    people = []
    for rotation in rotations_with_plans(Rotation.objects.filter(pk__in=set(rotation_ids))):
        shift = on_call(plan_for(rotation, overrides_from=at), at)
        if not shift.is_gap and shift.person not in people:
            people.append(shift.person)
    return people


def _handoff(drill, incident, start, acks) -> tuple[timedelta | None, str]:
    """Builders and operations both on it: the technical lead (no-code) and the on-call."""
    lead = technical_lead(incident)
    on_call_people = on_call_at(drill, start)
    if lead is None:
        return None, "Nobody took the technical lead seat."
    if not on_call_people:
        return None, "The target services' rotations had nobody on call."
    waiting = [p.name for p in [lead, *on_call_people] if p.pk not in acks]
    if waiting:
        return None, "Not acknowledged by " + ", ".join(dict.fromkeys(waiting)) + "."
    both = max(acks[p.pk] for p in [lead, *on_call_people])
    names = ", ".join(dict.fromkeys(p.name for p in [lead, *on_call_people]))
    return both - start, f"Technical lead and on-call: {names}."
