"""The rhythm of communication: a reminder before the next update is due, huddles, and the
wrap-up prompt once an incident is resolved.

A missed update is not handled here: the escalation engine's ``response_target`` timer for
``update`` fires at the deadline and escalates through the breach rules. This module only
adds the nudge before it, as a timer of its own kind.
"""

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ..models import (
    Huddle,
    Incident,
    IncidentRole,
    IncidentRoleKind,
    Notification,
    Person,
    TimelineEvent,
    Timer,
    Urgency,
)
from ..notifications import outbox, render
from ..services import timeline
from ..services.authority import actor_name, require_operator
from ..timers import cancel, register, schedule
from .render import when

UPDATE_REMINDER = "comms_update_reminder"
FINAL_UPDATE_DUE = "comms_final_update_due"
HUDDLE_REMINDER = "comms_huddle_reminder"
REMINDER_LEAD = timedelta(minutes=5)
HUDDLE_LEAD = timedelta(minutes=5)
Kind = TimelineEvent.Kind
Reason = Notification.Reason


class HuddleRefused(ValueError):
    """A huddle that cannot be scheduled; the message says why."""


# --- the next update ------------------------------------------------------------------------


def update_due_at(incident: Incident) -> datetime | None:
    """When the update cadence clock next runs out (the engine's pending target timer)."""
    pending = (
        Timer.objects.filter(
            incident=incident, kind="response_target", state=Timer.State.PENDING,
            reference__target="update",
        )
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )
    return pending


def reminder_lead(interval: timedelta) -> timedelta:
    """How long before the deadline to remind: five minutes, or a quarter of a short cadence."""
    return min(REMINDER_LEAD, interval / 4)


def plan_reminder(incident: Incident, now: datetime, promised: datetime | None = None) -> None:
    """(Re)plan the reminder before the next update: the earlier of the cadence deadline and
    the time the last update promised. Call after the engine has re-planned its clock."""
    cancel(incident=incident, kinds=[UPDATE_REMINDER])
    if not incident.is_open:
        return
    deadlines = [d for d in (update_due_at(incident), promised) if d is not None and d > now]
    if not deadlines:
        return
    deadline = min(deadlines)
    since = incident.last_update_at or incident.declared_at
    at = max(deadline - reminder_lead(max(deadline - since, timedelta(0))), now)
    schedule(kind=UPDATE_REMINDER, due_at=at, incident=incident, due=deadline.isoformat())


def reminder_people(incident: Incident) -> list[Person]:
    """The communications lead; the commander when nobody holds that seat."""
    for kind in (IncidentRoleKind.COMMUNICATIONS_LEAD, IncidentRoleKind.COMMANDER):
        seats = IncidentRole.objects.filter(incident=incident, kind=kind).select_related("holder")
        people = [seat.holder for seat in seats]
        if people:
            return people
    return []


def _tell(person: Person, incident: Incident, *, text: str, cause: str, now, timer=None) -> bool:
    """A reminder to ``person``: routine, or urgent when they have no routine rule."""
    urgency = Urgency.ROUTINE if outbox.usable_rules(person, Urgency.ROUTINE) else Urgency.URGENT
    context = render.incident_context(
        incident, person, urgency=urgency, reason=Reason.REMINDER, cause=cause, timer=timer
    )
    context["text"] = text
    message = render.message_for(Reason.REMINDER, context)
    rows = outbox.notify_person(
        person=person, urgency=urgency, reason=Reason.REMINDER, cause=cause, message=message,
        now=now, incident=incident, timer=timer, render=render.shape,
    )
    return bool(rows) or bool(outbox.usable_rules(person, urgency))


@register(UPDATE_REMINDER)
def fire_update_reminder(timer: Timer, now: datetime) -> None:
    incident = Incident.objects.filter(pk=timer.incident_id).first()
    if incident is None or not incident.is_open:
        return
    due = datetime.fromisoformat(timer.reference["due"])
    if incident.last_update_at and incident.last_update_at >= timer.created_at:
        return  # an update went out after this reminder was planned
    text = (
        f"The next status update on {incident.reference} is due at {when(due)}. "
        "Post it from the incident's updates page."
    )
    people = reminder_people(incident)
    reached = [
        p for p in people
        if _tell(p, incident, text=text, cause=f"timer:{timer.pk}", now=now, timer=timer)
    ]
    if reached:
        note = f"Reminder: next update due at {when(due)}; told {_names(reached)}."
    elif people:
        note = f"Next update due at {when(due)}: {_names(people)} could not be reached."
    else:
        note = (
            f"Next update due at {when(due)}: nobody holds the communications lead or "
            "commander seat to remind."
        )
    timeline.record(incident, Kind.NOTIFICATION, note, at=now, people=[p.pk for p in reached])


@register(FINAL_UPDATE_DUE)
def fire_final_update_due(timer: Timer, now: datetime) -> None:
    """The final public update of a resolved incident still waits as a draft."""
    incident = Incident.objects.filter(pk=timer.incident_id).first()
    if incident is None or incident.is_open or not wrap_up_due(incident):
        return
    text = (
        f"{incident.reference} is resolved, but its final public update still waits as a "
        "draft: customers still see it unresolved. Publish it from the incident's updates page."
    )
    people = reminder_people(incident)
    reached = [
        p for p in people
        if _tell(p, incident, text=text, cause=f"timer:{timer.pk}", now=now, timer=timer)
    ]
    told = f"told {_names(reached)}" if reached else "nobody could be reminded"
    timeline.record(
        incident, Kind.NOTIFICATION, f"Final public update overdue; {told}.", at=now,
        people=[p.pk for p in reached],
    )


# --- huddles --------------------------------------------------------------------------------


@transaction.atomic
def huddle_schedule(
    *, incident: Incident, at: datetime, bridge_link: str, invitees, by, agenda: str = "",
    now: datetime | None = None,
) -> Huddle:
    """1. check the caller is an operator and the time is ahead; 2. save the huddle;
    3. invite each invitee through the outbox now; 4. plan a reminder shortly before;
    5. record it in the timeline."""
    require_operator(by)
    now = now or timezone.now()
    invitees = list(invitees)
    if not incident.is_open:
        raise HuddleRefused("Huddles are for open incidents.")
    if at <= now:
        raise HuddleRefused("Pick a time in the future for the huddle.")
    if not invitees:
        raise HuddleRefused("Invite at least one person.")
    if not bridge_link.strip():
        raise HuddleRefused("Give the bridge link people join through.")
    huddle = Huddle.objects.create(
        incident=incident, at=at, bridge_link=bridge_link.strip(), agenda=agenda.strip(),
        scheduled_by_name=actor_name(by), created_at=now,
    )
    huddle.invitees.set(invitees)
    text = _huddle_text(huddle, "You are invited to a huddle")
    reached = [
        p for p in invitees
        if _tell(p, incident, text=text, cause=f"huddle:{huddle.pk}", now=now)
    ]
    schedule(
        kind=HUDDLE_REMINDER, due_at=max(at - HUDDLE_LEAD, now), incident=incident,
        huddle=huddle.pk,
    )
    unreached = [p for p in invitees if p not in reached]
    missing = f" Could not reach: {_names(unreached)}." if unreached else ""
    timeline.record(
        incident,
        Kind.NOTE,
        f"Huddle scheduled for {when(at)} on {huddle.bridge_link}; invited "
        f"{_names(invitees)}.{missing}",
        by=by,
        at=now,
        huddle=huddle.pk,
    )
    return huddle


@register(HUDDLE_REMINDER)
def fire_huddle_reminder(timer: Timer, now: datetime) -> None:
    huddle = Huddle.objects.filter(pk=timer.reference.get("huddle")).first()
    if huddle is None or not huddle.incident.is_open:
        return
    text = _huddle_text(huddle, "Reminder: the huddle starts soon")
    for person in huddle.invitees.all():
        _tell(person, huddle.incident, text=text, cause=f"timer:{timer.pk}", now=now, timer=timer)


def _huddle_text(huddle: Huddle, lead: str) -> str:
    agenda = f" Agenda: {huddle.agenda}" if huddle.agenda else ""
    return f"{lead} at {when(huddle.at)}. Join: {huddle.bridge_link}.{agenda}"


# --- wrap-up --------------------------------------------------------------------------------


def wrap_up_due(incident: Incident) -> bool:
    """Resolved (or closed) with no update posted since: the final update is still owed."""
    if incident.is_open or incident.resolved_at is None:
        return False
    return not incident.status_updates.filter(posted_at__gte=incident.resolved_at).exists()


def _names(people) -> str:
    return ", ".join(p.name for p in people)
