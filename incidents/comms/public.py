"""What the public status page and its feed show, and nothing more.

Only public services, public updates of public incidents (not drills) in the wording stored
for customers on the status page, and public maintenance windows reach these pages. The
records here carry plain strings picked for the public; templates get nothing else, so a
template cannot reach a person, an internal service, a connector or an internal update.
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.conf import settings
from django.db.models import Prefetch
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
    StatusUpdate,
)
from .render import PUBLIC_STATUS, status_page_url
from .service_status import severity_statuses, worst

HISTORY_DAYS = 90
RECENT_DAYS = 7
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


@dataclass(frozen=True)
class Day:
    day: date
    status: str

    @property
    def label(self) -> str:
        if self.status == Status.OPERATIONAL:
            return f"{self.day:%d %b %Y}: no incidents"
        return f"{self.day:%d %b %Y}: {Status(self.status).label.lower()}"


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
        return sum(1 for d in self.days if d.status != Status.OPERATIONAL)


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


def day_statuses(intervals, first_day: date, days: int = HISTORY_DAYS) -> list[str]:
    """The worst status of each of ``days`` days from ``first_day`` (UTC days), given
    ``(start, end, status)`` intervals. Pure: the history bars' one source."""
    statuses = [Status.OPERATIONAL.value] * days
    for start, end, status in intervals:
        if end <= start:
            continue
        first = (start.astimezone(UTC).date() - first_day).days
        # An interval ending exactly at midnight does not touch the next day.
        last = ((end - timedelta(microseconds=1)).astimezone(UTC).date() - first_day).days
        for index in range(max(first, 0), min(last, days - 1) + 1):
            statuses[index] = worst([statuses[index], status])
    return statuses


def _history(services: list[Service], now: datetime) -> dict[int, list[Day]]:
    first_day = now.astimezone(UTC).date() - timedelta(days=HISTORY_DAYS - 1)
    since = datetime.combine(first_day, datetime.min.time(), tzinfo=UTC)
    mapping = severity_statuses()
    ids = {s.pk for s in services}
    intervals: dict[int, list] = {pk: [] for pk in ids}
    incidents = (
        public_incidents()
        .exclude(resolved_at__lt=since)
        .prefetch_related(Prefetch("services", queryset=Service.objects.filter(public=True)))
    )
    for incident in incidents:
        status = mapping.get(incident.severity, Status.OPERATIONAL)
        end = incident.resolved_at or now
        for service in incident.services.all():
            if service.pk in ids:
                intervals[service.pk].append((incident.declared_at, end, status))
    windows = MaintenanceWindow.objects.filter(public=True, ends_at__gte=since, starts_at__lte=now)
    for window in windows.prefetch_related("services"):
        end = min(window.ends_at, window.cancelled_at or window.ends_at, now)
        for service in window.services.all():
            if service.pk in ids:
                intervals[service.pk].append((window.starts_at, end, Status.MAINTENANCE))
    return {
        pk: [
            Day(first_day + timedelta(days=i), status)
            for i, status in enumerate(day_statuses(spans, first_day))
        ]
        for pk, spans in intervals.items()
    }


def areas(now: datetime) -> list[Area]:
    """Public services grouped by business area, each with its status and history."""
    services = list(Service.objects.filter(public=True).order_by("business_process", "name"))
    history = _history(services, now)
    grouped: dict[str, list[PublicService]] = {}
    for service in services:
        days = history[service.pk]
        # Today also shows what the service shows now (an incident with no public update yet
        # still sets the status it was declared with).
        days[-1] = Day(days[-1].day, worst([days[-1].status, service.status]))
        grouped.setdefault(service.business_process, []).append(
            PublicService(
                service.name, service.status, days,
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


def incidents(now: datetime) -> tuple[list[PublicIncident], list[PublicIncident]]:
    """The active public incidents, and those resolved in the last ``RECENT_DAYS`` days."""
    rows = (
        public_incidents()
        .filter(declared_at__gte=now - timedelta(days=HISTORY_DAYS))
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
        elif incident.resolved_at and incident.resolved_at >= now - timedelta(days=RECENT_DAYS):
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


def page_context(now: datetime) -> dict:
    groups = areas(now)
    status, label = overall(groups)
    active, recent = incidents(now)
    return {
        "title": page_title(),
        "areas": groups,
        "overall_status": status,
        "overall_label": label,
        "active_incidents": active,
        "recent_incidents": recent,
        "maintenance": maintenance(now),
        "history_days": HISTORY_DAYS,
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

