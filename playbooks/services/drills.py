"""Planning, starting and ending drills, and the two timer kinds that drive them.

A drill declares a real incident flagged ``is_drill``, so the real escalation path runs:
the policy's steps, real notifications (``[DRILL]`` first in every subject), the ack
links. One thing differs on purpose: an acknowledgement stops a real escalation, which
would leave the later stakeholders untested. So the drill keeps a ``drill_page`` timer
for each minute at which the policy is due to reach someone, and at that minute pages —
through the same outbox and the same message templates — every expected stakeholder whom
the path has not reached because it stopped (or who was added by hand).
"""

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone

from incidents.models import IncidentStatus, Notification
from incidents.notifications import outbox, render
from incidents.services import incident_declare, incident_set_status
from incidents.timers import cancel, schedule

from ..models import Drill, DrillStakeholder
from ..permissions import may_run_drills
from ..stakeholders import ExpectedPlan, expected_stakeholders
from .playbooks import playbook_attach

DRILL_START = "drill_start"
DRILL_PAGE = "drill_page"
ADDED_BY_HAND = "Added by hand"
Status = Drill.Status


class DrillRefused(ValueError):
    """A drill action that cannot be taken now; the message says why."""


def _require_runner(user) -> None:
    if user is not None and not may_run_drills(user):
        raise PermissionDenied("Only incident commanders plan and start drills.")


def _require_editable(drill: Drill) -> None:
    if not drill.is_editable:
        raise DrillRefused("The drill has started or was cancelled: its plan is fixed now.")


@transaction.atomic
def drill_create(
    *, title: str, severity: str, services, by, scenario: str = "", playbook=None,
    now: datetime | None = None,
) -> Drill:
    """A planned drill, with its expected stakeholders derived from the escalation policy."""
    _require_runner(by)
    services = list(services)
    if not title.strip():
        raise DrillRefused("Name the drill.")
    if not services:
        raise DrillRefused("Choose at least one target service.")
    drill = Drill.objects.create(
        title=title.strip(), severity=severity, scenario=scenario.strip(), playbook=playbook,
        created_by=by, created_at=now or timezone.now(),
    )
    drill.services.set(services)
    drill_derive_stakeholders(drill=drill, by=by, now=now)
    return drill


@transaction.atomic
def drill_derive_stakeholders(*, drill: Drill, by, now: datetime | None = None) -> ExpectedPlan:
    """(Re)build the expected stakeholders from the policy as it is now; hand edits go."""
    _require_runner(by)
    _require_editable(drill)
    plan = expected_stakeholders(
        services=drill.services.all(), severity=drill.severity, now=now or timezone.now()
    )
    drill.stakeholders.all().delete()
    DrillStakeholder.objects.bulk_create(
        DrillStakeholder(
            drill=drill, person=e.person, person_name=e.person.name, source=e.source[:200],
            step=e.step, urgency=e.urgency, pages_at_minutes=e.pages_at_minutes,
            reach_window_minutes=e.reach_window_minutes,
        )
        for e in plan.stakeholders
    )
    drill.policy_name = plan.policy_name
    drill.plan_notes = "\n".join(plan.notes)
    drill.save(update_fields=["policy_name", "plan_notes"])
    return plan


@transaction.atomic
def drill_set_windows(*, drill: Drill, windows: dict[int, int], removed=(), by) -> None:
    """Change reach windows (stakeholder id → minutes) and drop ``removed`` stakeholders."""
    _require_runner(by)
    _require_editable(drill)
    rows = {s.pk: s for s in drill.stakeholders.all()}
    for pk, minutes in windows.items():
        row = rows.get(pk)
        if row is not None and row.reach_window_minutes != minutes:
            row.reach_window_minutes = minutes
            row.save(update_fields=["reach_window_minutes"])
    drill.stakeholders.filter(pk__in=list(removed)).delete()


@transaction.atomic
def drill_add_stakeholder(
    *, drill: Drill, person, reach_window_minutes: int, by, pages_at_minutes: int = 0
) -> DrillStakeholder:
    _require_runner(by)
    _require_editable(drill)
    if drill.stakeholders.filter(person=person).exists():
        raise DrillRefused(f"{person.name} is already expected.")
    return DrillStakeholder.objects.create(
        drill=drill, person=person, person_name=person.name, source=ADDED_BY_HAND,
        step=None, pages_at_minutes=pages_at_minutes, reach_window_minutes=reach_window_minutes,
    )


@transaction.atomic
def drill_schedule(*, drill: Drill, at: datetime, by, now: datetime | None = None) -> None:
    """Start the drill by itself at ``at`` (a durable ``drill_start`` timer)."""
    _require_runner(by)
    _require_editable(drill)
    now = now or timezone.now()
    if at <= now:
        raise DrillRefused("Choose a time in the future, or start the drill now.")
    cancel(kinds=[DRILL_START], drill=drill.pk)
    Drill.objects.filter(pk=drill.pk).update(
        status=Status.SCHEDULED, scheduled_for=at, start_error=""
    )
    drill.status, drill.scheduled_for = Status.SCHEDULED, at
    schedule(kind=DRILL_START, due_at=at, drill=drill.pk)


@transaction.atomic
def drill_cancel(*, drill: Drill, by) -> None:
    _require_runner(by)
    _require_editable(drill)
    cancel(kinds=[DRILL_START], drill=drill.pk)
    Drill.objects.filter(pk=drill.pk).update(status=Status.CANCELLED)
    drill.status = Status.CANCELLED


@transaction.atomic
def drill_start(*, drill: Drill, by, now: datetime | None = None) -> Drill:
    """1. claim the drill (planned or scheduled → running); 2. declare the drill incident
    through ``incident_declare`` — the escalation starts, and the playbooks of the target
    services are attached by their hook; 3. attach the scenario's playbook; 4. plan a
    ``drill_page`` timer for each minute at which a stakeholder is due to be reached."""
    _require_runner(by)
    now = now or timezone.now()
    claimed = Drill.objects.filter(
        pk=drill.pk, status__in=[Status.PLANNED, Status.SCHEDULED]
    ).update(status=Status.RUNNING, started_at=now, start_error="")
    if not claimed:
        raise DrillRefused("This drill has already started, or was cancelled.")
    cancel(kinds=[DRILL_START], drill=drill.pk)
    summary = drill.scenario or f"Drill {drill.reference}: {drill.title}."
    incident = incident_declare(
        title=f"Drill: {drill.title}", severity=drill.severity, declared_by=by,
        services=list(drill.services.all()), summary=summary, is_drill=True, at=now,
    )
    Drill.objects.filter(pk=drill.pk).update(incident=incident)
    if drill.playbook_id:
        playbook_attach(playbook=drill.playbook, incident=incident, by=None)
    minutes = sorted(set(drill.stakeholders.values_list("pages_at_minutes", flat=True)))
    for minute in minutes:
        schedule(
            kind=DRILL_PAGE, due_at=now + timedelta(minutes=minute), incident=incident,
            drill=drill.pk, minute=minute,
        )
    drill.refresh_from_db()
    return drill


@transaction.atomic
def drill_end(*, drill: Drill, by, now: datetime | None = None) -> None:
    """End a running drill: its incident is resolved (which stops every page and clock)."""
    _require_runner(by)
    now = now or timezone.now()
    drill = Drill.objects.select_related("incident").get(pk=drill.pk)
    if drill.status != Status.RUNNING:
        raise DrillRefused("Only a running drill can be ended.")
    incident = drill.incident
    if incident is not None and incident.is_open:
        incident_set_status(
            incident=incident, status=IncidentStatus.RESOLVED, by=by, note="Drill ended.", at=now
        )
    cancel(kinds=[DRILL_PAGE], drill=drill.pk)
    Drill.objects.filter(pk=drill.pk).update(status=Status.FINISHED, finished_at=now)


def live_pages(incident, person):
    """``person``'s pages about ``incident`` that were not cancelled."""
    return Notification.objects.filter(incident=incident, recipient=person).exclude(
        state=Notification.State.CANCELLED
    )


# --- timer handlers -------------------------------------------------------------------------


def fire_drill_start(timer, now: datetime) -> None:
    drill = Drill.objects.filter(pk=timer.reference.get("drill")).first()
    if drill is None or drill.status != Status.SCHEDULED:
        return
    try:
        drill_start(drill=drill, by=drill.created_by, now=now)
    except (PermissionDenied, DrillRefused) as refusal:
        # The planner lost the right to declare, say: the drill waits for a human.
        Drill.objects.filter(pk=drill.pk).update(
            status=Status.PLANNED, start_error=f"Did not start at {now:%H:%M}: {refusal}"[:300]
        )


def fire_drill_page(timer, now: datetime) -> None:
    """Page the stakeholders due at this minute whom the real path has not reached.

    Skipped: anyone with a page about the drill incident (a cancelled one does not count:
    it never reached them), and — while the incident
    is unacknowledged — the policy's own stakeholders, since the escalation still runs and
    reaches them itself.
    """
    drill = Drill.objects.select_related("incident").filter(pk=timer.reference.get("drill"))
    drill = drill.first()
    if drill is None or drill.incident is None or not drill.incident.is_open:
        return
    incident = drill.incident
    minute = timer.reference.get("minute", 0)
    due = drill.stakeholders.filter(pages_at_minutes=minute, person__isnull=False)
    for stakeholder in due.select_related("person"):
        if stakeholder.step is not None and incident.acknowledged_at is None:
            continue
        person = stakeholder.person
        if live_pages(incident, person).exists():
            continue
        cause = f"drill:{drill.pk}:{minute}"
        message = render.page_message(
            incident=incident, person=person, urgency=stakeholder.urgency, cause=cause,
            reason=Notification.Reason.DRILL, timer=timer,
        )
        outbox.notify_person(
            person=person, urgency=stakeholder.urgency, reason=Notification.Reason.DRILL,
            cause=cause, message=message, now=now, incident=incident, timer=timer,
            render=render.shape,
        )
