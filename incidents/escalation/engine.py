"""The escalation engine: plans, fires and stops an incident's paging and target clocks.

Every entry point runs inside the caller's transaction (the workflows in
``incidents.services`` call them), so a plan, its timers and the state change that caused
them commit together.
"""

import uuid
from datetime import datetime, timedelta

from django.utils import timezone

from ..clocks import TargetBook
from ..comms.maintenance import paging_held
from ..models import (
    BreachRule,
    Incident,
    Notification,
    Person,
    TimelineEvent,
    Timer,
    Urgency,
)
from ..notifications import outbox, render
from ..services import timeline
from ..timers import cancel, register, schedule
from . import policy as policies
from . import targets

STEP = "escalation_step"
TARGET = "response_target"
Kind = TimelineEvent.Kind
Reason = Notification.Reason


# --- planning -------------------------------------------------------------------------------


def escalation_start(incident: Incident, now: datetime | None = None) -> None:
    """Snapshot the policy for the incident's tier × severity and schedule its first step,
    and the response-target clocks (triage, first decision, update cadence)."""
    now = now or timezone.now()
    _plan_paging(incident, now)
    _plan_targets(incident, now)


def _plan_paging(incident: Incident, now: datetime) -> None:
    cancel(incident=incident, kinds=[STEP])
    policy = policies.policy_for(incident)
    plan = policies.snapshot(policy) if policy else {}
    Incident.objects.filter(pk=incident.pk).update(escalation_snapshot=plan)
    incident.escalation_snapshot = plan
    if not plan.get("steps"):
        note = f"No escalation policy for tier × {incident.get_severity_display()}: nobody paged."
        Incident.objects.filter(pk=incident.pk).update(paging_gap=note)
        timeline.record(incident, Kind.ESCALATION, note, at=now)
        return
    _schedule_step(incident, plan, 0, 0, now)


def _schedule_step(incident: Incident, plan: dict, round_: int, step: int, after: datetime):
    # A new round waits the policy's repeat interval instead of the first step's delay.
    minutes = plan["repeat_after"] if round_ > 0 and step == 0 else plan["steps"][step]["delay"]
    delay = timedelta(minutes=minutes)
    schedule(kind=STEP, due_at=after + delay, incident=incident, round=round_, step=step)


def _plan_targets(incident: Incident, now: datetime) -> None:
    """(Re)plan the triage and first-decision clocks that are neither met nor already
    breached, and the next update. A target breaches once: its fired timer is the record."""
    cancel(incident=incident, kinds=[TARGET])
    wanted = _targets(incident)
    breached = set(
        Timer.objects.filter(incident=incident, kind=TARGET, state=Timer.State.FIRED)
        .exclude(reference__target="update")
        .values_list("reference__target", flat=True)
    )
    start = incident.declared_at
    met = {"triage": incident.triaged_at, "decision": incident.first_decision_at}
    for name in ("triage", "decision"):
        minutes = getattr(wanted, name)
        if minutes is not None and met[name] is None and name not in breached:
            schedule(
                kind=TARGET, due_at=start + timedelta(minutes=minutes), incident=incident,
                target=name,
            )
    since = incident.last_update_at or start
    _plan_update(incident, wanted, max(since, now - timedelta(minutes=wanted.update or 0)))


def _targets(incident: Incident):
    return TargetBook().for_incident(
        incident.severity, incident.services.values_list("pk", flat=True)
    )


def _plan_update(incident: Incident, wanted, since: datetime) -> None:
    """The next update is due one cadence after ``since`` (the last update, or a miss)."""
    if wanted.update is not None:
        due = since + timedelta(minutes=wanted.update)
        schedule(kind=TARGET, due_at=due, incident=incident, target="update")


def escalation_stop(incident: Incident) -> None:
    """An acknowledgement: no further step or repeat, and unsent urgent pages are dropped.

    A drill keeps its unsent pages: it measures whether each expected stakeholder is
    reached, and the first acknowledgement must not hide the others from the measurement.
    """
    cancel(incident=incident, kinds=[STEP])
    if not incident.is_drill:
        outbox.cancel_pending(incident=incident, urgency=Urgency.URGENT)


def escalation_restart(incident: Incident, now: datetime | None = None) -> None:
    """Un-acknowledge or reopen: run the snapshot again from its first step."""
    now = now or timezone.now()
    cancel(incident=incident, kinds=[STEP])
    plan = incident.escalation_snapshot
    if plan.get("steps"):
        _schedule_step(incident, plan, 0, 0, now)
    _plan_targets(incident, now)


def escalation_replan(incident: Incident, now: datetime | None = None) -> None:
    """Severity changed, or "re-apply current policy": a fresh snapshot from the first step
    (unless acknowledged), and the target clocks for the new severity."""
    now = now or timezone.now()
    if incident.acknowledged_at is None:
        _plan_paging(incident, now)
    _plan_targets(incident, now)


def escalation_finish(incident: Incident) -> None:
    """Resolved, closed or merged: every pending timer of the incident is cancelled."""
    cancel(incident=incident)
    outbox.cancel_pending(incident=incident, urgency=Urgency.URGENT)


def target_met(incident: Incident, target: str, now: datetime | None = None) -> None:
    """A response target was met (left triage, first decision, an update published)."""
    cancel(incident=incident, kinds=[TARGET], target=target)
    if target == "update":
        _plan_update(incident, _targets(incident), now or timezone.now())


# --- firing ---------------------------------------------------------------------------------


@register(STEP)
def fire_step(timer: Timer, now: datetime) -> None:
    incident = Incident.objects.filter(pk=timer.incident_id).first()
    if incident is None or not incident.is_open or incident.acknowledged_at is not None:
        return
    plan = incident.escalation_snapshot
    round_, step = timer.reference["round"], timer.reference["step"]
    if not plan.get("steps") or step >= len(plan["steps"]):
        return
    if paging_held(incident, timer, now):  # maintenance: planned again for the window's end
        return
    _page_step(incident, plan, round_, step, now, cause=f"timer:{timer.pk}", timer=timer)
    following = policies.next_position(plan, round_, step)
    if following is not None:
        _schedule_step(incident, plan, *following, now)


def _page_step(
    incident, plan, round_, step, now, *, cause, timer=None, reason=Reason.ESCALATION, by=None,
) -> list[Person]:
    spec = plan["steps"][step]
    people = _unique(
        person for target in spec["targets"] for person in targets.resolve(target, incident, now)
    )
    reached = _page_people(incident, people, spec["urgency"], reason, cause, now, timer)
    label = f"Escalation step {step + 1} of {len(plan['steps'])}, round {round_ + 1}"
    if reason == Reason.MANUAL_PAGE:
        label = f"{label}, run by hand"
    gap = ""
    if not reached:
        fallback = _unique(targets.fallback(plan, incident, now))
        reached = _page_people(
            incident, fallback, Urgency.URGENT, reason, f"{cause}:fallback", now, timer
        )
        gap = f"{label} reached nobody; fallback paged: {_names(reached) or 'nobody'}."
    Incident.objects.filter(pk=incident.pk).update(
        escalation_level=incident.escalation_level + 1, paging_gap=gap
    )
    incident.escalation_level += 1
    text = gap or f"{label}: paged {_names(reached)}."
    timeline.record(
        incident, Kind.ESCALATION, text, by=by, at=now, round=round_, step=step,
        people=[p.pk for p in reached], gap=bool(gap), manual=reason == Reason.MANUAL_PAGE,
    )
    return reached


def _page_people(incident, people, urgency, reason, cause, now, timer) -> list[Person]:
    """Queue notifications for each person; returns those with at least one usable method."""
    reached = []
    with outbox.delivery_batch(), render.services_read_once(incident):
        for person in people:
            message = render.page_message(
                incident=incident, person=person, urgency=urgency, cause=cause, reason=reason,
                timer=timer,
            )
            rows = outbox.notify_person(
                person=person, urgency=urgency, reason=reason, cause=cause, message=message,
                now=now, incident=incident, timer=timer, render=render.shape,
            )
            if rows or outbox.usable_rules(person, urgency):
                reached.append(person)
    return reached


def page_message(incident: Incident, person: Person, urgency: str, cause: str) -> outbox.Message:
    """An escalation page for ``person``; the wording per reason and channel lives in the
    templates that ``notifications.render`` uses."""
    return render.page_message(incident=incident, person=person, urgency=urgency, cause=cause)


@register(TARGET)
def fire_target(timer: Timer, now: datetime) -> None:
    """A response target was missed: record it, escalate at once, tell the breach rule's
    people, and keep nagging for a missed update cadence."""
    incident = Incident.objects.filter(pk=timer.incident_id).first()
    if incident is None or not incident.is_open:
        return
    target = timer.reference["target"]
    label = dict(BreachRule.Target.choices)[target]
    timeline.record(
        incident, Kind.TARGET_BREACHED, f"Response target missed: {label.lower()}.", at=now,
        target=target,
    )
    if incident.acknowledged_at is None:
        escalate_now(incident, now=now)
    for rule in BreachRule.objects.filter(severity=incident.severity, target=target):
        spec = {
            "kind": rule.kind, "audience": rule.audience_id, "person": rule.person_id,
            "incident_role": rule.incident_role, "rotation": None, "team": None,
        }
        people = _unique(targets.resolve(spec, incident, now))
        reached = _page_people(
            incident, people, rule.urgency, Reason.BREACH, f"timer:{timer.pk}:rule{rule.pk}",
            now, timer,
        )
        if reached:
            timeline.record(
                incident, Kind.ESCALATION, f"Missed {label.lower()}: told {_names(reached)}.",
                at=now, people=[p.pk for p in reached],
            )
    if target == "update":
        # Keep nagging once per cadence; never re-plan the other (already fired) clocks.
        _plan_update(incident, _targets(incident), now)


def escalate_now(incident: Incident, *, by=None, now: datetime | None = None) -> bool:
    """Run the next pending step at once. False when nothing is pending."""
    now = now or timezone.now()
    pending = (
        Timer.objects.filter(incident=incident, kind=STEP, state=Timer.State.PENDING)
        .order_by("due_at")
        .first()
    )
    if pending is None:
        return False
    claimed = Timer.objects.filter(pk=pending.pk, state=Timer.State.PENDING).update(
        state=Timer.State.FIRED, fired_at=now
    )
    if not claimed:
        return False
    if by is not None:
        timeline.record(incident, Kind.ESCALATION, "Escalated now by hand.", by=by, at=now)
    fire_step(pending, now)
    return True


def next_step_by_hand(incident: Incident) -> tuple[int, int] | None:
    """The (round, step) that follows the last step that ran (by its timer or by hand), or
    the first; None when the policy has no step left."""
    plan = incident.escalation_snapshot or {}
    if not plan.get("steps"):
        return None
    last = (
        TimelineEvent.objects.filter(
            incident=incident, kind=Kind.ESCALATION, details__has_key="step"
        )
        .order_by("-at", "-pk")
        .values_list("details", flat=True)
        .first()
    )
    if last is None:
        return 0, 0
    return policies.next_position(plan, last["round"], last["step"])


def escalate_next_by_hand(
    incident: Incident, *, by, now: datetime | None = None
) -> list[Person] | None:
    """Page the next step of the policy once, as a manual page, when no timer of the policy
    is pending (the incident was acknowledged, or is held): it re-arms nothing, so paging
    stays stopped. None when every step has run."""
    position = next_step_by_hand(incident)
    if position is None:
        return None
    now = now or timezone.now()
    cause = f"manual:{uuid.uuid4().hex[:12]}"
    return _page_step(
        incident, incident.escalation_snapshot, *position, now, cause=cause,
        reason=Reason.MANUAL_PAGE, by=by,
    )


def page_now(incident: Incident, people, *, by, urgency: str = Urgency.URGENT) -> list[Person]:
    """A manual page of people (a person, a team's members, a rotation's on-call)."""
    now = timezone.now()
    cause = f"manual:{uuid.uuid4().hex[:12]}"
    reached = _page_people(
        incident, _unique(people), urgency, Reason.MANUAL_PAGE, cause, now, None
    )
    timeline.record(
        incident, Kind.ESCALATION, f"Paged by hand: {_names(reached) or 'nobody reachable'}.",
        by=by, at=now, people=[p.pk for p in reached],
    )
    return reached


def _unique(people) -> list[Person]:
    seen, out = set(), []
    for person in people:
        if person.pk not in seen:
            seen.add(person.pk)
            out.append(person)
    return out


def _names(people) -> str:
    return ", ".join(p.name for p in people)
