"""Who a drill expects the escalation path to reach, and how soon, before it starts.

The answer comes from the same places the engine reads when the drill incident is
declared: the policy for (highest tier among the target services × severity), its
snapshot, and ``targets.resolve`` for each step's targets (the policy's fallback where a
step would reach nobody). Only the first round counts: a drill is about the first pass.
"""

from dataclasses import dataclass, field
from datetime import datetime

from incidents.clocks import TargetBook
from incidents.escalation import policy as policies
from incidents.escalation import targets as step_targets
from incidents.models import (
    AudienceGroup,
    EscalationPolicy,
    Person,
    Rotation,
    Service,
    TargetKind,
    Team,
)
from incidents.notifications import outbox

# Without an acknowledge target for the severity a stakeholder gets this long.
DEFAULT_ACK_MINUTES = 15


@dataclass(frozen=True)
class Expected:
    person: Person
    source: str
    step: int | None
    urgency: str
    pages_at_minutes: int
    reach_window_minutes: int


@dataclass(frozen=True)
class ExpectedPlan:
    policy_name: str
    stakeholders: tuple[Expected, ...]
    notes: tuple[str, ...] = field(default=())


class _PlannedIncident:
    """What ``targets.resolve`` reads of an incident, for a drill not declared yet."""

    def __init__(self, service_ids):
        self.services = Service.objects.filter(pk__in=list(service_ids))


def expected_stakeholders(*, services, severity: str, now: datetime) -> ExpectedPlan:
    """The people the policy for ``services`` × ``severity`` reaches in its first round,
    each with the minute it is due to reach them and a default reach window: that minute
    plus the severity's acknowledge target."""
    services = list(services)
    tier = policies.highest_tier(s.tier for s in services)
    policy = (
        EscalationPolicy.objects.filter(tier=tier, severity=severity)
        .prefetch_related("steps__targets")
        .first()
    )
    if policy is None:
        return ExpectedPlan(
            policy_name="",
            stakeholders=(),
            notes=(f"No escalation policy for tier {tier} × {severity.upper()}: nobody is paged.",),
        )
    plan = policies.snapshot(policy)
    ack_minutes = TargetBook().for_incident(severity, [s.pk for s in services]).acknowledge
    allowance = ack_minutes if ack_minutes is not None else DEFAULT_ACK_MINUTES
    scope = _PlannedIncident(s.pk for s in services)
    found: dict[int, Expected] = {}
    notes: list[str] = []
    minute = 0
    for index, spec in enumerate(plan["steps"]):
        minute += spec["delay"]
        label = f"Step {index + 1} (minute {minute})"
        reached = False
        for target in spec["targets"]:
            if target["kind"] == TargetKind.INCIDENT_ROLE:
                role = target["incident_role"].replace("_", " ")
                notes.append(f"{label} pages the incident's {role}: known once the seat is taken.")
                continue
            people = step_targets.resolve(target, scope, now)
            if not people:
                notes.append(f"{label}: {describe_target(target)} reaches nobody now.")
            for person in people:
                # As in the engine: a step falls back when nobody it names can be paged.
                reached = reached or bool(outbox.usable_rules(person, spec["urgency"]))
                _keep(found, Expected(
                    person=person, source=f"{label}: {describe_target(target)}", step=index,
                    urgency=spec["urgency"], pages_at_minutes=minute,
                    reach_window_minutes=minute + allowance,
                ))
        if not reached and spec["targets"]:
            fallback = step_targets.fallback(plan, scope, now)
            notes.append(
                f"{label} falls back to "
                f"{', '.join(p.name for p in fallback) or 'nobody: a gap in the path'}."
            )
            for person in fallback:
                _keep(found, Expected(
                    person=person, source=f"{label}: fallback", step=index,
                    urgency="urgent", pages_at_minutes=minute,
                    reach_window_minutes=minute + allowance,
                ))
    ordered = sorted(found.values(), key=lambda e: (e.pages_at_minutes, e.person.name))
    return ExpectedPlan(policy_name=policy.name, stakeholders=tuple(ordered), notes=tuple(notes))


def _keep(found: dict[int, Expected], expected: Expected) -> None:
    """A person in several steps is expected at the first of them."""
    if expected.person.pk not in found:
        found[expected.person.pk] = expected


def describe_target(target: dict) -> str:
    """A snapshot target as a reader says it: "on-call of Payments rota", "Leadership"."""
    kind = target["kind"]
    if kind == TargetKind.ROTATION:
        rotation = Rotation.objects.filter(pk=target["rotation"]).first()
        return f"on-call of {rotation.name}" if rotation else "on-call of a deleted rotation"
    if kind == TargetKind.PERSON:
        person = Person.objects.filter(pk=target["person"]).first()
        return person.name if person else "a deleted person"
    if kind == TargetKind.TEAM:
        team = Team.objects.filter(pk=target["team"]).first()
        return f"every member of {team.name}" if team else "a deleted team"
    if kind == TargetKind.AUDIENCE:
        audience = AudienceGroup.objects.filter(pk=target["audience"]).first()
        return audience.name if audience else "a deleted audience group"
    labels = {
        TargetKind.SERVICE_ROTATION: "on-call of the services' rotations",
        TargetKind.TEAM_MANAGER: "the owner teams' managers",
    }
    return labels.get(kind, TargetKind(kind).label if kind in TargetKind.values else kind)
