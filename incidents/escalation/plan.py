"""An incident's escalation plan as people read it: what ran, and what is due next."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..models import Incident, Person, TimelineEvent, Timer
from . import policy as policies
from . import targets

STEP = "escalation_step"


@dataclass(frozen=True)
class PlannedStep:
    round: int
    step: int
    due_at: datetime
    urgency: str
    people: tuple[Person, ...]
    targets: tuple[str, ...]


@dataclass(frozen=True)
class RanStep:
    at: datetime
    text: str
    people: tuple[Person, ...]
    gap: bool


TARGET_LABELS = {
    "rotation": "on-call of a rotation",
    "service_rotation": "on-call of the affected services",
    "person": "a person",
    "team": "a team",
    "team_manager": "owner teams' managers",
    "incident_role": "incident role",
    "audience": "audience group",
}


def ran_steps(incident: Incident) -> list[RanStep]:
    events = list(
        TimelineEvent.objects.filter(incident=incident, kind=TimelineEvent.Kind.ESCALATION)
    )
    ids = {pk for e in events for pk in e.details.get("people", [])}
    people = Person.objects.in_bulk(ids)
    return [
        RanStep(
            at=e.at,
            text=e.text,
            people=tuple(people[pk] for pk in e.details.get("people", []) if pk in people),
            gap=bool(e.details.get("gap")),
        )
        for e in events
    ]


def upcoming_steps(incident: Incident, now: datetime) -> list[PlannedStep]:
    """The pending step and the ones after it, with whom each would page if it ran now.

    Only the next step is a timer; later ones are projected from the snapshot's delays, so
    an acknowledgement or a severity change shows up here at once.
    """
    plan = incident.escalation_snapshot
    if not plan.get("steps") or not incident.is_open or incident.acknowledged_at:
        return []
    pending = (
        Timer.objects.filter(incident=incident, kind=STEP, state=Timer.State.PENDING)
        .order_by("due_at")
        .first()
    )
    if pending is None:
        return []
    position = (pending.reference["round"], pending.reference["step"])
    due = pending.due_at
    planned = []
    while position is not None:
        round_, step = position
        spec = plan["steps"][step]
        people = tuple(
            {
                p.pk: p
                for target in spec["targets"]
                for p in targets.resolve(target, incident, max(due, now))
            }.values()
        )
        planned.append(
            PlannedStep(
                round=round_,
                step=step,
                due_at=due,
                urgency=spec["urgency"],
                people=people,
                targets=tuple(TARGET_LABELS.get(t["kind"], t["kind"]) for t in spec["targets"]),
            )
        )
        position = policies.next_position(plan, round_, step)
        if position is not None:
            minutes = (
                plan["repeat_after"] if position[1] == 0 else plan["steps"][position[1]]["delay"]
            )
            due = due + timedelta(minutes=minutes)
    return planned
