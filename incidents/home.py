"""What the home page shows from this app about the viewer's own work.

Each loader runs a fixed number of queries, however many incidents, rotations or tasks
there are, and returns None when its section is not for the viewer: incidents only to the
roles that may open them, nothing about oneself without a roster person.
"""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q

from portal import roles
from portal.home import register_section

from .models import (
    OPEN_STATUSES,
    Incident,
    IncidentRole,
    Notification,
    Rotation,
    Service,
    Task,
    Tier,
)
from .oncall.schedule import on_call, plan_for, rotations_with_plans, schedule
from .services.authority import person_of

# The incident pages are for these roles; a section never links a viewer to a 403.
INCIDENT_READERS = (roles.LEADERSHIP, *roles.OPERATORS)
# How far ahead "your next shift" looks.
NEXT_SHIFT_WITHIN = timedelta(days=14)
PAGE_REASONS = (
    Notification.Reason.ESCALATION,
    Notification.Reason.MANUAL_PAGE,
    Notification.Reason.BREACH,
)


def _reader(user):
    """The viewer's roster person when they may open incidents, else None."""
    if not roles.has_role(user, *INCIDENT_READERS):
        return None
    return person_of(user)


def waiting_for_me(user, now):
    """Open, unacknowledged incidents that paged the viewer."""
    person = _reader(user)
    if person is None:
        return None
    paged_me = Notification.objects.filter(
        incident=OuterRef("pk"), recipient=person, reason__in=PAGE_REASONS
    )
    incidents = (
        Incident.objects.open()
        .filter(acknowledged_at__isnull=True, duplicate_of=None)
        .filter(Exists(paged_me))
        .order_by("severity", "declared_at")
    )
    return {"incidents": list(incidents)}


def my_seats(user, now):
    """Open incidents on which the viewer holds a seat, most severe first."""
    person = _reader(user)
    if person is None:
        return None
    seats = (
        IncidentRole.objects.filter(holder=person, incident__status__in=OPEN_STATUSES)
        .select_related("incident")
        .order_by("incident__severity", "incident__declared_at")
    )
    return {"seats": list(seats)}


def my_tasks(user, now):
    """Tasks assigned to the viewer that are not done, on incidents they may open."""
    person = _reader(user)
    if person is None:
        return None
    tasks = (
        Task.objects.filter(assignee=person, done_at__isnull=True)
        .select_related("incident")
        .order_by("-incident__declared_at", "created_at")
    )
    return {"tasks": list(tasks)}


def my_on_call(user, now):
    """Whether the viewer is on call now (until when, who is next) or when their next shift
    starts, for every rotation they take part in."""
    if not roles.user_roles(user):
        return None
    person = person_of(user)
    if person is None:
        return {"no_person": True}
    mine = Q(layers__participants__person=person) | Q(
        overrides__person=person, overrides__ends_at__gt=now
    )
    rotation_ids = Rotation.objects.filter(mine).values("pk")
    rotations = rotations_with_plans(
        Rotation.objects.filter(pk__in=rotation_ids).order_by("name"), overrides_from=now
    )
    zone = _zone(person)
    return {
        "duties": [_duty(rotation, person, now) for rotation in rotations],
        "zone": zone,
    }


def _duty(rotation: Rotation, person, now: datetime) -> dict:
    duty = {"rotation": rotation, "on_call": False, "until": None, "next": None, "starts": None}
    try:
        plan = plan_for(rotation, overrides_from=now)
        shift = on_call(plan, now)
        if shift.person == person:
            duty.update(on_call=True, until=shift.ends_at)
            if shift.ends_at is not None:
                duty["next"] = on_call(plan, shift.ends_at).person
        else:
            duty["starts"] = next(
                (
                    segment.starts_at
                    for segment in schedule(plan, now, now + NEXT_SHIFT_WITHIN)
                    if segment.person == person
                ),
                None,
            )
    except (ValueError, ZoneInfoNotFoundError):
        duty["problem"] = True  # the on-call page says what is wrong with the rotation
    return duty


def _zone(person) -> ZoneInfo:
    try:
        return ZoneInfo(person.time_zone or settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


def critical_services(user, now):
    """Leadership's summary: the tier-1 services, their status and open incidents."""
    if not roles.has_role(user, roles.LEADERSHIP):
        return None
    services = (
        Service.objects.filter(tier=Tier.CRITICAL)
        .annotate(
            open_incidents=Count(
                "incidents",
                filter=Q(incidents__status__in=OPEN_STATUSES, incidents__duplicate_of=None),
            )
        )
        .order_by("name")
    )
    return {"services": list(services)}


def register() -> None:
    register_section("waiting_for_me", waiting_for_me, "incidents/home/waiting.html", 10)
    register_section("my_seats", my_seats, "incidents/home/seats.html", 20)
    register_section("critical_services", critical_services, "incidents/home/critical.html", 15)
    register_section("my_on_call", my_on_call, "incidents/home/on_call.html", 30)
    register_section("my_tasks", my_tasks, "incidents/home/tasks.html", 40)
