"""Response-target clocks of an incident, computed from its milestones (the one source).

Each target is its own clock started at declaration: acknowledge, triage, first decision,
and the update cadence (restarted by each published update). Pure apart from ``TargetBook``,
which loads every ResponseTarget row once per request.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.utils import timezone

from .models import ResponseTarget

NEAR_SHARE = 0.25  # amber once less than a quarter of the allowed time is left


@dataclass(frozen=True)
class Targets:
    acknowledge: int | None
    triage: int | None
    decision: int | None
    update: int | None


@dataclass(frozen=True)
class Clock:
    name: str  # acknowledge · triage · decision · update
    label: str
    minutes: int
    started_at: datetime
    due_at: datetime
    met_at: datetime | None
    state: str  # ok · near · breached · met · met_late
    reading: str = ""  # what the clock says, e.g. "4 min left", "12 min over", "met at 10:05"
    running: bool = False  # still counting (the page's script ticks it between polls)

    @property
    def is_breached(self) -> bool:
        return self.state in ("breached", "met_late")


class TargetBook:
    """All response targets in memory: defaults per severity and per-service overrides."""

    def __init__(self, rows=None):
        rows = list(ResponseTarget.objects.all()) if rows is None else rows
        self.defaults = {r.severity: r for r in rows if r.service_id is None}
        self.overrides: dict[tuple[str, int], ResponseTarget] = {
            (r.severity, r.service_id): r for r in rows if r.service_id is not None
        }

    def for_incident(self, severity: str, service_ids) -> Targets:
        """Each affected service's targets — its override's fields where set, the default's
        elsewhere — and where several services are affected, the strictest of them."""
        default = self.defaults.get(severity)
        rows = [self.overrides.get((severity, sid)) for sid in service_ids] or [None]

        def effective(row, field: str) -> int | None:
            value = getattr(row, field) if row is not None else None
            if value is None and default is not None:
                value = getattr(default, field)
            return value

        def strictest(field: str) -> int | None:
            values = [effective(row, field) for row in rows]
            values = [v for v in values if v is not None]
            return min(values) if values else None

        return Targets(
            acknowledge=strictest("acknowledge_minutes"),
            triage=strictest("triage_minutes"),
            decision=strictest("decision_minutes"),
            update=strictest("update_minutes"),
        )


LABELS = {
    "acknowledge": "Acknowledge",
    "triage": "Triage",
    "decision": "First decision",
    "update": "Next update",
}


def _state(started: datetime, due: datetime, met: datetime | None, now: datetime) -> str:
    if met is not None:
        return "met" if met <= due else "met_late"
    if now >= due:
        return "breached"
    if (due - now) <= (due - started) * NEAR_SHARE:
        return "near"
    return "ok"


def _span(delta: timedelta) -> str:
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return "under a minute"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min"


def _reading(state: str, due: datetime, met_at: datetime | None, now: datetime) -> str:
    """The clock's text, worked out here once: a board of hundreds of clocks renders it
    as plain strings rather than through template filters."""
    if met_at is not None:
        met = timezone.localtime(met_at).strftime("%H:%M")
        return f"met at {met}" if state == "met" else f"met late at {met}"
    if state == "breached":
        return f"{_span(now - due)} over"
    return f"{_span(due - now)} left"


def _clock(name, minutes, started, due, met_at, now, running) -> Clock:
    state = _state(started, due, met_at, now)
    return Clock(
        name, LABELS[name], minutes, started, due, met_at, state,
        reading=_reading(state, due, met_at, now),
        running=running and met_at is None,
    )


def incident_clocks(incident, targets: Targets, now: datetime) -> list[Clock]:
    """The clocks of ``incident`` at ``now``. A resolved incident's open clocks stop there."""
    stopped_at = incident.resolved_at
    if stopped_at is not None:
        now = min(now, stopped_at)
    started = incident.declared_at
    milestones = {
        "acknowledge": incident.acknowledged_at,
        "triage": incident.triaged_at,
        "decision": incident.first_decision_at,
    }
    clocks = []
    for name, met_at in milestones.items():
        minutes = getattr(targets, name)
        if minutes is None:
            continue
        due = started + timedelta(minutes=minutes)
        clocks.append(_clock(name, minutes, started, due, met_at, now, stopped_at is None))
    if targets.update is not None and stopped_at is None:
        since = incident.last_update_at or started
        due = since + timedelta(minutes=targets.update)
        clocks.append(_clock("update", targets.update, since, due, None, now, True))
    return clocks
