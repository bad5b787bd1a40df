"""Running an incident: seats, notes, decisions, tasks and merging duplicates."""

from django.db import transaction
from django.utils import timezone

from ..escalation import engine as escalation
from ..models import (
    Alert,
    Decision,
    DecisionAuthority,
    Incident,
    IncidentRole,
    IncidentRoleKind,
    IncidentStatus,
    Notification,
    Task,
    TimelineEvent,
    Urgency,
)
from ..notifications import outbox, render
from . import timeline
from .authority import actor_name, person_of, require, require_operator
from .lifecycle import TransitionRefused

Kind = TimelineEvent.Kind


@transaction.atomic
def incident_assign_role(
    *, incident: Incident, kind: str, person, by, custom_name: str = ""
) -> IncidentRole:
    """Give a seat to ``person``: a first assignment, someone taking it, or a handover."""
    require_operator(by)
    kind = IncidentRoleKind(kind)
    custom_name = custom_name.strip() if kind == IncidentRoleKind.CUSTOM else ""
    if kind == IncidentRoleKind.CUSTOM and not custom_name:
        raise TransitionRefused("Name the custom role.")
    seat = (
        IncidentRole.objects.select_for_update()
        .filter(incident=incident, kind=kind, custom_name=custom_name)
        .first()
    )
    previous = seat.holder if seat else None
    if previous == person:
        return seat
    if seat is None:
        seat = IncidentRole.objects.create(
            incident=incident, kind=kind, custom_name=custom_name, holder=person
        )
    else:
        seat.holder, seat.assigned_at = person, timezone.now()
        seat.save(update_fields=["holder", "assigned_at"])
    if previous is None:
        text = f"{person} is now {seat.title}."
    else:
        text = f"{seat.title} handed over from {previous} to {person}."
    timeline.record(
        incident,
        Kind.ROLE_CHANGE,
        text,
        by=by,
        role=kind.value,
        custom_name=custom_name,
        holder=person.pk,
        previous=previous.pk if previous else None,
    )
    seat_notify(seat, by=by, previous=previous)
    return seat


def seat_notify(seat: IncidentRole, *, by, previous=None) -> list[Notification]:
    """Tell the new holder of ``seat`` what they were given: a routine message through the
    outbox and their routine rules (none when they gave it to themselves). One per
    assignment: the cause names the seat and the moment it was given."""
    person, incident = seat.holder, seat.incident
    if person == person_of(by):
        return []
    cause = f"seat:{seat.pk}:{seat.assigned_at.timestamp():.0f}"
    how = f", handed over from {previous}" if previous else ""
    context = render.incident_context(
        incident, person, urgency=Urgency.ROUTINE, reason=Notification.Reason.SEAT, cause=cause
    )
    context["seat"] = seat.title.lower() if seat.kind != IncidentRoleKind.CUSTOM else seat.title
    context["text"] = (
        f"{actor_name(by)} made you {context['seat']} of {incident.reference}{how}. "
        f"Open the incident page to pick it up."
    )
    return outbox.notify_person(
        person=person, urgency=Urgency.ROUTINE, reason=Notification.Reason.SEAT, cause=cause,
        message=render.message_for(Notification.Reason.SEAT, context),
        now=timezone.now(), incident=incident, render=render.shape,
    )


@transaction.atomic
def incident_release_role(*, incident: Incident, kind: str, by, custom_name: str = "") -> None:
    require_operator(by)
    seat = IncidentRole.objects.filter(
        incident=incident, kind=kind, custom_name=custom_name
    ).first()
    if seat is None:
        return
    seat.delete()
    timeline.record(
        incident, Kind.ROLE_CHANGE, f"{seat.holder} left the {seat.title} seat.", by=by, role=kind
    )


@transaction.atomic
def incident_add_note(*, incident: Incident, text: str, by) -> TimelineEvent:
    require_operator(by)
    text = text.strip()
    if not text:
        raise TransitionRefused("A note needs some text.")
    return timeline.record(incident, Kind.NOTE, text, by=by)


@transaction.atomic
def decision_record(
    *, incident: Incident, decision: str, rationale: str, by, kind: str = Decision.Kind.OTHER,
    options_considered: str = "", reversible: bool = True, at=None,
) -> Decision:
    """Log a decision with its rationale. Rollbacks and workarounds need decision authority."""
    require_operator(by)
    if kind in (Decision.Kind.ROLLBACK, Decision.Kind.WORKAROUND):
        require(by, DecisionAuthority.Action.APPROVE_ROLLBACK, incident.severity, incident)
    if not decision.strip() or not rationale.strip():
        raise TransitionRefused("A decision needs both what was decided and why.")
    at = at or timezone.now()
    record = Decision.objects.create(
        incident=incident,
        decision=decision.strip(),
        kind=kind,
        options_considered=options_considered.strip(),
        rationale=rationale.strip(),
        decided_by=by,
        decided_by_name=actor_name(by),
        decided_at=at,
        reversible=reversible,
    )
    first = Incident.objects.filter(pk=incident.pk, first_decision_at__isnull=True).update(
        first_decision_at=at
    )
    if first:
        escalation.target_met(incident, "decision", at)
    label = Decision.Kind(kind).label
    timeline.record(
        incident,
        Kind.DECISION,
        f"Decision ({label.lower()}): {record.decision} — because {record.rationale}",
        by=by,
        at=at,
        decision=record.pk,
    )
    return record


@transaction.atomic
def decision_record_outcome(*, decision: Decision, outcome: str, by) -> None:
    require_operator(by)
    if not outcome.strip():
        raise TransitionRefused("Describe the outcome.")
    decision.outcome, decision.outcome_recorded_at = outcome.strip(), timezone.now()
    decision.save(update_fields=["outcome", "outcome_recorded_at"])
    timeline.record(
        decision.incident,
        Kind.DECISION,
        f"Outcome of “{decision.decision[:80]}”: {decision.outcome}",
        by=by,
        decision=decision.pk,
    )


@transaction.atomic
def task_add(*, incident: Incident, title: str, by, assignee=None, source: str = "") -> Task:
    if by is not None:
        require_operator(by)
    if not title.strip():
        raise TransitionRefused("A task needs a title.")
    task = Task.objects.create(
        incident=incident, title=title.strip()[:200], assignee=assignee, source=source
    )
    who = f" for {assignee}" if assignee else ""
    timeline.record(incident, Kind.TASK, f"Task added{who}: {task.title}", by=by, task=task.pk)
    return task


@transaction.atomic
def task_set_done(*, task: Task, done: bool, by) -> None:
    require_operator(by)
    if task.is_done == done:
        return
    task.done_at = timezone.now() if done else None
    task.done_by_name = actor_name(by) if done else ""
    task.save(update_fields=["done_at", "done_by_name"])
    verb = "done" if done else "reopened"
    timeline.record(task.incident, Kind.TASK, f"Task {verb}: {task.title}", by=by, task=task.pk)


@transaction.atomic
def incident_merge(*, duplicate: Incident, into: Incident, by) -> None:
    """Mark ``duplicate`` as a duplicate of ``into``: its tasks move over, it is resolved
    (which stops its paging) and both timelines say so."""
    require_operator(by)
    if duplicate.pk == into.pk:
        raise TransitionRefused("An incident cannot be a duplicate of itself.")
    if into.duplicate_of_id is not None or not into.is_open:
        raise TransitionRefused("Merge into an open incident that is not itself a duplicate.")
    if not duplicate.is_open:
        raise TransitionRefused("Only an open incident can be merged into another.")
    moved = Task.objects.filter(incident=duplicate).update(incident=into)
    Alert.objects.filter(incident=duplicate).update(incident=into)
    now = timezone.now()
    Incident.objects.filter(pk=duplicate.pk).update(
        duplicate_of=into, status=IncidentStatus.RESOLVED, resolved_at=now,
        mitigated_at=duplicate.mitigated_at or now,
    )
    escalation.escalation_finish(duplicate)
    timeline.record(
        duplicate, Kind.MERGED, f"Marked a duplicate of {into.reference}; paging stopped.",
        by=by, into=into.pk,
    )
    timeline.record(
        into, Kind.MERGED, f"{duplicate.reference} merged in ({moved} tasks moved).",
        by=by, duplicate=duplicate.pk,
    )
