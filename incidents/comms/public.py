"""What the public status page and its feed show, and nothing more.

Only public services, public updates of public incidents (not drills) in the wording stored
for customers on the status page, and public maintenance windows reach these pages. The
records here carry plain strings picked for the public; templates get nothing else, so a
template cannot reach a person, an internal service, a connector or an internal update.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db.models import OuterRef, Prefetch, Q, Subquery
from django.utils.feedgenerator import Atom1Feed

from ..models import (
    OPEN_STATUSES,
    Audience,
    Channel,
    Incident,
    IncidentStatus,
    MaintenanceWindow,
    Service,
    ServiceStatus,
    ServiceStatusChange,
    StatusUpdate,
)
from .render import PUBLIC_STATUS, status_page_url
from .service_status import worst

# The status page shows two weeks; its archive (/status/history/) ninety days.
PAGE_DAYS = 14
HISTORY_DAYS = 90
FEED_ITEMS = 50
Status = ServiceStatus
OVERALL = {
    Status.OPERATIONAL: "All systems operational",
    Status.MAINTENANCE: "Maintenance in progress",
    Status.DEGRADED: "Some systems are degraded",
    Status.PARTIAL_OUTAGE: "Partial outage",
    Status.MAJOR_OUTAGE: "Major outage",
}


def page_title() -> str:
    return getattr(settings, "STATUS_PAGE_TITLE", "Service status")


UP = (Status.OPERATIONAL, Status.MAINTENANCE)


@dataclass(frozen=True)
class Day:
    """One UTC day of a service: its worst recorded status and its uptime (the share of
    the recorded part of the day it was operational or in maintenance); both None before
    recording began."""

    day: date
    status: str | None
    uptime: float | None = None

    @property
    def css(self) -> str:
        return self.status or "nodata"

    @property
    def label(self) -> str:
        if self.status is None:
            return f"{self.day:%d %b %Y}: no data"
        percent = f"{self.uptime * 100:.1f}".removesuffix(".0") + " % up"
        if self.status == Status.OPERATIONAL:
            return f"{self.day:%d %b %Y}: {percent}"
        return f"{self.day:%d %b %Y}: {percent}, {Status(self.status).label.lower()}"


@dataclass(frozen=True)
class PublicService:
    name: str
    status: str
    days: list[Day]
    # Set by the portal with no person in the loop (an alert, a failing connector).
    automatic: bool = False

    @property
    def status_label(self) -> str:
        return Status(self.status).label

    @property
    def troubled_days(self) -> int:
        return sum(1 for d in self.days if d.status not in (None, Status.OPERATIONAL))

    @property
    def uptime(self) -> float | None:
        """Over the days with data, weighted alike."""
        known = [d.uptime for d in self.days if d.uptime is not None]
        return sum(known) / len(known) if known else None

    @property
    def uptime_label(self) -> str:
        if self.uptime is None:
            return "no data yet"
        return f"{self.uptime * 100:.2f}".rstrip("0").rstrip(".") + " % uptime"


@dataclass(frozen=True)
class Area:
    name: str
    services: list[PublicService]


@dataclass(frozen=True)
class PublicUpdate:
    anchor: str
    posted_at: datetime
    status: str
    subject: str
    body: str


@dataclass(frozen=True)
class PublicIncident:
    anchor: str
    headline: str
    status: str
    services: list[str]
    started_at: datetime
    resolved_at: datetime | None
    updates: list[PublicUpdate] = field(default_factory=list)


@dataclass(frozen=True)
class PublicMaintenance:
    title: str
    description: str
    services: list[str]
    starts_at: datetime
    ends_at: datetime
    in_progress: bool


def public_incidents():
    """Incidents the public may know of: not drills, on a public service, with at least one
    public update."""
    return Incident.objects.filter(
        is_drill=False,
        services__public=True,
        status_updates__visibility=StatusUpdate.Visibility.PUBLIC,
    ).distinct()


def public_updates():
    """Public updates of public incidents, newest first."""
    return (
        StatusUpdate.objects.filter(
            visibility=StatusUpdate.Visibility.PUBLIC,
            incident__in=public_incidents().values("pk"),
        )
        .order_by("-posted_at", "-id")
    )


def recorded_days(changes, before: str | None, first_day: date, days: int,
                  now: datetime) -> list[Day]:
    """Each of ``days`` UTC days from ``first_day`` to today, from the recorded status
    ``changes`` (``(at, status)`` in order, within the window) and ``before``, the status at
    the window's start (None when recording began later). Pure: the bars' one source."""
    start = datetime.combine(first_day, datetime.min.time(), tzinfo=UTC)
    spans = [(start, before)] if before is not None else []
    spans += [(at, status) for at, status in changes]
    observed, up = [0.0] * days, [0.0] * days
    worst_of: list[str | None] = [None] * days
    for index, (begin, status) in enumerate(spans):
        end = spans[index + 1][0] if index + 1 < len(spans) else now
        begin = max(begin, start)
        while begin < end:
            day = (begin.astimezone(UTC).date() - first_day).days
            if day >= days:
                break
            day_end = start + timedelta(days=day + 1)
            seconds = (min(end, day_end) - begin).total_seconds()
            observed[day] += seconds
            if status in UP:
                up[day] += seconds
            worst_of[day] = worst([worst_of[day] or status, status])
            begin = day_end
    return [
        Day(first_day + timedelta(days=i), worst_of[i],
            up[i] / observed[i] if observed[i] else None)
        if worst_of[i] is not None else Day(first_day + timedelta(days=i), None)
        for i in range(days)
    ]


def _history(services: list[Service], now: datetime, days: int) -> dict[int, list[Day]]:
    """Two queries whatever the number of services and changes: the changes in the window,
    and (on ``services``, annotated) each service's status when the window began."""
    first_day = now.astimezone(UTC).date() - timedelta(days=days - 1)
    since = datetime.combine(first_day, datetime.min.time(), tzinfo=UTC)
    changes: dict[int, list] = {s.pk: [] for s in services}
    rows = ServiceStatusChange.objects.filter(
        service__in=[s.pk for s in services], at__gte=since, at__lte=now
    ).order_by("at", "pk").values_list("service_id", "at", "status")
    for service_id, at, status in rows:
        changes[service_id].append((at, status))
    return {
        s.pk: recorded_days(changes[s.pk], s.status_before, first_day, days, now)
        for s in services
    }


def public_services_with_history(since: datetime):
    before = ServiceStatusChange.objects.filter(
        service=OuterRef("pk"), at__lt=since
    ).order_by("-at", "-pk").values("status")[:1]
    return Service.objects.filter(public=True).annotate(status_before=Subquery(before))


def areas(now: datetime, days: int = PAGE_DAYS) -> list[Area]:
    """Public services grouped by business area, each with its status and history."""
    first_day = now.astimezone(UTC).date() - timedelta(days=days - 1)
    since = datetime.combine(first_day, datetime.min.time(), tzinfo=UTC)
    services = list(
        public_services_with_history(since).order_by("business_process", "name")
    )
    history = _history(services, now, days)
    grouped: dict[str, list[PublicService]] = {}
    for service in services:
        grouped.setdefault(service.business_process, []).append(
            PublicService(
                service.name, service.status, history[service.pk],
                automatic=service.status_automatic and service.status != Status.OPERATIONAL,
            )
        )
    return [Area(name, rows) for name, rows in grouped.items()]


def overall(groups: list[Area]) -> tuple[str, str]:
    status = worst([s.status for area in groups for s in area.services])
    return status, OVERALL[Status(status)]


def _public_incident(incident: Incident) -> PublicIncident:
    updates = []
    for update in incident.public_status_updates:
        wording = update.wording(Audience.CUSTOMER, Channel.STATUS_PAGE)
        if not wording:
            continue
        updates.append(
            PublicUpdate(
                anchor=f"update-{update.public_id}",
                posted_at=update.posted_at,
                status=PUBLIC_STATUS[IncidentStatus(update.incident_status)],
                subject=wording.get("subject", ""),
                body=wording.get("body", ""),
            )
        )
    headline = updates[0].subject if updates else "Service disruption"
    return PublicIncident(
        anchor=f"incident-{incident.public_id}",
        headline=headline,
        status=PUBLIC_STATUS[IncidentStatus(incident.status)],
        services=[s.name for s in incident.services.all()],
        started_at=incident.declared_at,
        resolved_at=incident.resolved_at,
        updates=updates,
    )


def incidents(now: datetime, days: int = PAGE_DAYS) -> tuple[list[PublicIncident],
                                                              list[PublicIncident]]:
    """The active public incidents, and those resolved in the last ``days`` days."""
    rows = (
        public_incidents()
        .filter(Q(resolved_at__isnull=True) | Q(resolved_at__gte=now - timedelta(days=days)))
        .prefetch_related(
            Prefetch("services", queryset=Service.objects.filter(public=True).order_by("name")),
            Prefetch(
                "status_updates",
                queryset=StatusUpdate.objects.filter(
                    visibility=StatusUpdate.Visibility.PUBLIC
                ).order_by("-posted_at", "-id"),
                to_attr="public_status_updates",
            ),
        )
        .order_by("-declared_at")
    )
    active, recent = [], []
    for incident in rows:
        if incident.status in OPEN_STATUSES:
            active.append(_public_incident(incident))
        elif incident.resolved_at:
            recent.append(_public_incident(incident))
    return active, recent


def maintenance(now: datetime) -> list[PublicMaintenance]:
    """Public windows running now or ahead, naming only their public services."""
    windows = (
        MaintenanceWindow.objects.filter(public=True, cancelled_at=None, ends_at__gt=now)
        .prefetch_related(
            Prefetch("services", queryset=Service.objects.filter(public=True).order_by("name"))
        )
        .order_by("starts_at")
    )
    out = []
    for window in windows:
        names = [s.name for s in window.services.all()]
        if names:
            out.append(
                PublicMaintenance(
                    title=window.title, description=window.description, services=names,
                    starts_at=window.starts_at, ends_at=window.ends_at,
                    in_progress=window.starts_at <= now,
                )
            )
    return out


def page_context(now: datetime, days: int = PAGE_DAYS) -> dict:
    groups = areas(now, days)
    status, label = overall(groups)
    active, recent = incidents(now, days)
    return {
        "title": page_title(),
        "areas": groups,
        "overall_status": status,
        "overall_label": label,
        "active_incidents": active,
        "recent_incidents": recent,
        "maintenance": maintenance(now),
        "history_days": days,
        "now": now,
    }


class PlainTextAtomFeed(Atom1Feed):
    """Atom whose entry summaries say what they are: plain text. Django's feed declares every
    summary ``type="html"``, so a reader would render as markup what a communications user
    typed as words."""

    def add_item_elements(self, handler, item):
        super().add_item_elements(handler, {**item, "description": None})
        if item["description"] is not None:
            handler.addQuickElement("summary", item["description"], {"type": "text"})


def feed(now: datetime) -> Atom1Feed:
    """The public updates as an Atom feed, newest first. Entries are named by the opaque
    public ids of their incident and update, never by row numbers."""
    url = status_page_url()
    atom = PlainTextAtomFeed(
        title=page_title(),
        link=url,
        description="Updates on incidents affecting our services.",
        feed_url=url + "feed.atom",
        language="en",
    )
    for update in public_updates().select_related("incident")[:FEED_ITEMS]:
        wording = update.wording(Audience.CUSTOMER, Channel.STATUS_PAGE)
        if not wording:
            continue
        status = PUBLIC_STATUS[IncidentStatus(update.incident_status)]
        atom.add_item(
            title=f"{status}: {wording.get('subject', '')}",
            link=f"{url}#incident-{update.incident.public_id}",
            description=wording.get("body", ""),
            pubdate=update.posted_at,
            updateddate=update.posted_at,
            unique_id=f"{url}#update-{update.public_id}",
        )
    return atom

