"""Maintenance windows: scheduled work that shows on the status page and holds paging.

A window has two timers: at its start its services show "under maintenance" (unless an
outage already shows worse), at its end they return to what their open incidents say.
While a window that suppresses paging covers every affected service of an incident, the
escalation engine calls ``paging_held``: the step is not paged but planned again for the
window's end, so an incident still unacknowledged then is paged as usual. Alerts and
incidents are still recorded; only paging waits.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..models import MaintenanceWindow, Service, ServiceStatus, TimelineEvent, Timer
from ..services import timeline
from ..services.authority import actor_name, require_operator
from ..timers import cancel, register, schedule
from .render import when
from .service_status import status_from_incidents, status_record

WINDOW_START = "comms_maintenance_start"
WINDOW_END = "comms_maintenance_end"
Kind = TimelineEvent.Kind


class MaintenanceRefused(ValueError):
    """A window that cannot be scheduled or changed; the message says why."""


def active_windows(services, now: datetime, *, suppressing: bool = False):
    """Windows running at ``now`` that cover any of ``services``."""
    windows = MaintenanceWindow.objects.filter(
        services__in=list(services), cancelled_at=None, starts_at__lte=now, ends_at__gt=now
    )
    if suppressing:
        windows = windows.filter(suppress_paging=True)
    return windows.distinct()


def in_maintenance(services, now: datetime) -> list[MaintenanceWindow]:
    """The paging-suppressing windows covering *every* one of ``services`` at ``now``, or an
    empty list (falsy) when any service is outside one, or none is given."""
    services = list(services)
    if not services:
        return []
    windows = list(active_windows(services, now, suppressing=True).prefetch_related("services"))
    covered = {s.pk for w in windows for s in w.services.all()}
    if not all(s.pk in covered for s in services):
        return []
    return windows


def paging_held(incident, timer: Timer, now: datetime) -> bool:
    """For the engine, before paging a step: True (and the step planned again for when the
    window ends) while maintenance covers every affected service. Drills are never held."""
    if incident.is_drill:
        return False
    services = list(incident.services.all())
    windows = in_maintenance(services, now)
    if not windows:
        return False
    covered_until: dict[int, datetime] = {}
    for window in windows:
        for service in window.services.all():
            covered_until[service.pk] = max(covered_until.get(service.pk, now), window.ends_at)
    # Paging resumes as soon as any affected service leaves maintenance.
    resume = min(covered_until[s.pk] for s in services)
    schedule(kind=timer.kind, due_at=resume, incident=incident, **timer.reference)
    titles = ", ".join(f"“{w.title}”" for w in windows)
    timeline.record(
        incident,
        Kind.ESCALATION,
        f"Paging held: every affected service is in maintenance ({titles}) until "
        f"{when(resume)}. The incident is recorded; paging resumes then if it is still "
        "unacknowledged.",
        at=now,
        held_until=resume.isoformat(),
    )
    return True


@transaction.atomic
def maintenance_schedule(
    *, title: str, services, starts_at: datetime, ends_at: datetime, by, description: str = "",
    public: bool = True, suppress_paging: bool = True, now: datetime | None = None,
) -> MaintenanceWindow:
    require_operator(by)
    now = now or timezone.now()
    services = list(services)
    if not title.strip():
        raise MaintenanceRefused("Give the window a title.")
    if not services:
        raise MaintenanceRefused("Pick the services under maintenance.")
    if ends_at <= starts_at:
        raise MaintenanceRefused("The window must end after it starts.")
    if ends_at <= now:
        raise MaintenanceRefused("The window is already over: pick an end in the future.")
    window = MaintenanceWindow.objects.create(
        title=title.strip(), description=description.strip(), starts_at=starts_at,
        ends_at=ends_at, public=public, suppress_paging=suppress_paging,
        created_by_name=actor_name(by), created_at=now,
    )
    window.services.set(services)
    if starts_at <= now:
        window_begin(window, now)
    else:
        schedule(kind=WINDOW_START, due_at=starts_at, window=window.pk)
    schedule(kind=WINDOW_END, due_at=ends_at, window=window.pk)
    return window


@transaction.atomic
def maintenance_cancel(*, window: MaintenanceWindow, by, now: datetime | None = None) -> None:
    """Call a window off (or end it early): its timers stop and its services return."""
    require_operator(by)
    now = now or timezone.now()
    if window.cancelled_at is not None or window.ends_at <= now:
        raise MaintenanceRefused("This window is already over.")
    was_running = window.starts_at <= now
    MaintenanceWindow.objects.filter(pk=window.pk).update(cancelled_at=now)
    window.cancelled_at = now
    cancel(kinds=[WINDOW_START, WINDOW_END], window=window.pk)
    if was_running:
        window_finish(window, now)


def window_begin(window: MaintenanceWindow, now: datetime) -> None:
    for service in window.services.filter(status=ServiceStatus.OPERATIONAL):
        Service.objects.filter(pk=service.pk).update(status=ServiceStatus.MAINTENANCE)
        status_record(service, ServiceStatus.MAINTENANCE, at=now)


def window_finish(window: MaintenanceWindow, now: datetime) -> None:
    for service in window.services.filter(status=ServiceStatus.MAINTENANCE):
        remaining = status_from_incidents(service, now)
        if remaining != service.status:
            Service.objects.filter(pk=service.pk).update(status=remaining)
            status_record(service, remaining, at=now)


@register(WINDOW_START)
def fire_window_start(timer: Timer, now: datetime) -> None:
    window = MaintenanceWindow.objects.filter(pk=timer.reference.get("window")).first()
    if window is not None and window.is_active(now):
        window_begin(window, now)


@register(WINDOW_END)
def fire_window_end(timer: Timer, now: datetime) -> None:
    window = MaintenanceWindow.objects.filter(pk=timer.reference.get("window")).first()
    if window is not None and window.cancelled_at is None:
        window_finish(window, now)
