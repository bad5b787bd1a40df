"""The dashboard's "now" panels: critical services, business processes, open incidents, the
impact of what is failing, and who carries the load.

``live_version`` is the one query an unchanged poll makes; ``live_panels`` loads everything
else in a fixed number of queries, however many incidents are open.
"""

import functools
import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import connection
from django.db.models import (
    Case,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce

from ..catalog import graph
from ..catalog.tables import STATUS_SEVERITY
from ..clocks import TargetBook, incident_clocks
from ..models import (
    Connector,
    Incident,
    IncidentRole,
    IncidentRoleKind,
    Notification,
    ResponseTarget,
    Service,
    ServiceStatus,
    Severity,
    Tier,
)
from .expressions import EpochSeconds
from .labels import age_label

STATUS_RANK = {status.value: rank for rank, status in enumerate(STATUS_SEVERITY)}
# A service in one of these states passes its trouble on to whatever depends on it.
IMPAIRED = (ServiceStatus.DEGRADED, ServiceStatus.PARTIAL_OUTAGE, ServiceStatus.MAJOR_OUTAGE)
# What counts as a page in the workload panel: the reasons the outbox renders as a page.
PAGE_REASONS = (
    Notification.Reason.ESCALATION,
    Notification.Reason.MANUAL_PAGE,
    Notification.Reason.BREACH,
)
BUSY_SEATS = 2  # open incidents someone holds a seat on at once
BUSY_PAGES_PER_DAY = 10
OPEN_FIELDS = (
    "id", "title", "severity", "status", "is_drill", "declared_at", "acknowledged_at",
    "triaged_at", "first_decision_at", "resolved_at", "last_update_at",
)


# --- the version token -----------------------------------------------------------------------


def _scalar(queryset, expression):
    """``queryset`` reduced to one value by ``expression`` (an SQL aggregate written as a
    plain function), usable as a scalar subquery."""
    return Subquery(queryset.order_by().annotate(value=expression).values("value")[:1])


@dataclass(frozen=True)
class LiveVersion:
    token: str  # changes whenever a "now" panel would
    data_stamp: str  # changes with any incident or response target; keys the metrics


def _version_query():
    """The version query: the latest change to any incident, a fingerprint of the response
    targets, the open incidents' number and stamps, the services and the failing connectors.
    """
    open_incidents = Incident.objects.open()
    rank = Case(
        *(When(status=status, then=Value(float(n))) for status, n in STATUS_RANK.items()),
        default=Value(0.0),
        output_field=FloatField(),
    )
    # One number per (service, status, tier), squared so that two services swapping their
    # statuses still change the sum.
    code = Cast(F("pk"), FloatField()) * Value(64.0) + rank * Value(8.0) + F("tier")
    failing = Connector.objects.filter(failing_since__isnull=False)
    minutes = [
        Coalesce(F(name), Value(0)) * Value(weight)
        for name, weight in (
            ("acknowledge_minutes", 3), ("triage_minutes", 5), ("decision_minutes", 7),
            ("update_minutes", 11),
        )
    ]
    target_code = ExpressionWrapper(
        Cast(F("pk"), FloatField()) * Value(100_003.0) + sum(minutes[1:], minutes[0]),
        output_field=FloatField(),
    )
    return (
        Incident.objects.order_by()
        .annotate(
            latest=Func(F("updated_at"), function="MAX"),
            targets=_scalar(ResponseTarget.objects.all(), Func(target_code, function="SUM")),
            open_count=_scalar(open_incidents, Func(F("pk"), function="COUNT")),
            open_stamps=_scalar(open_incidents, Func(EpochSeconds("updated_at"), function="SUM")),
            service_codes=_scalar(Service.objects.all(), Func(code * code, function="SUM")),
            failing_stamps=_scalar(
                failing, Func(EpochSeconds("failing_since") + F("pk"), function="SUM")
            ),
        )
        .values_list(
            "latest", "targets", "open_count", "open_stamps", "service_codes", "failing_stamps"
        )
    )


@functools.cache
def _version_sql(vendor: str) -> tuple[str, tuple]:
    """The version query compiled once per process and database: every poll runs it, and
    building and compiling its expressions costs more than the database takes to answer."""
    sql, params = _version_query().query.sql_with_params()
    return sql, tuple(params)


def live_version(now: datetime) -> LiveVersion:
    """Both tokens in one query.

    The panels' token covers the open incidents (their number and the sum of their
    ``updated_at``, which every workflow moves on), every service's status and tier, the
    failing connectors and the response targets, plus the current minute: clocks run out and
    pages age out of "the last 24 h" with no row changing, so a panel is at most a minute
    behind on those. The data stamp is the latest ``updated_at`` of any incident and the
    response targets.
    """
    sql, params = _version_sql(connection.vendor)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        latest, targets, *panels = cursor.fetchone()
    minute = int(now.timestamp() // 60)
    data = f"{latest}|{targets}"
    return LiveVersion(
        token=_digest(f"{data}|{panels}|{minute}"),
        data_stamp=_digest(data),
    )


def _digest(raw: str) -> str:
    return hashlib.blake2s(raw.encode(), digest_size=8).hexdigest()


# --- the panels ------------------------------------------------------------------------------


@dataclass
class OpenIncident:
    incident: Incident
    services: list[Service]
    commander: str | None
    missed: list[str]  # labels of the response targets it has missed
    age: str = ""

    @property
    def reference(self) -> str:
        return self.incident.reference


@dataclass
class SeverityGroup:
    severity: Severity
    incidents: list[OpenIncident]

    @property
    def missed_count(self) -> int:
        return sum(1 for item in self.incidents if item.missed)

    @property
    def without_commander(self) -> int:
        return sum(1 for item in self.incidents if item.commander is None)


@dataclass
class Process:
    """A business process and the worst status among the services that serve it."""

    name: str
    services: list[Service]

    @property
    def status(self) -> str:
        return max((s.status for s in self.services), key=lambda st: STATUS_RANK.get(st, 0))

    @property
    def status_label(self) -> str:
        return ServiceStatus(self.status).label

    @property
    def tier(self) -> int:
        return min(s.tier for s in self.services)

    @property
    def impaired(self) -> list[Service]:
        return [s for s in self.services if s.status != ServiceStatus.OPERATIONAL]


@dataclass(frozen=True)
class Cause:
    """Where trouble starts: open incidents on a service, a failing connector a service
    uses, or a service whose status says it is impaired."""

    kind: str  # incidents · connector · status
    source: Service
    incidents: tuple[Incident, ...] = ()
    connector: Connector | None = None


@dataclass(frozen=True)
class Route:
    """``service`` is affected by ``cause`` through the services in ``via`` (from the one
    the cause hits first up to, not including, ``service``)."""

    service: Service
    cause: Cause
    via: tuple[Service, ...] = ()


@dataclass
class ProcessImpact:
    process: str
    routes: list[Route]

    @property
    def tier(self) -> int:
        return min(route.service.tier for route in self.routes)


@dataclass
class Workload:
    person_id: int
    name: str
    seats: dict[int, "HeldSeats"] = field(default_factory=dict)  # by incident id
    pages_day: int = 0
    pages_week: int = 0

    def take(self, title: str, incident: Incident) -> None:
        self.seats.setdefault(incident.pk, HeldSeats(incident)).titles.append(title)

    @property
    def incidents(self) -> list["HeldSeats"]:
        return list(self.seats.values())

    @property
    def busy(self) -> bool:
        return len(self.seats) >= BUSY_SEATS or self.pages_day >= BUSY_PAGES_PER_DAY


@dataclass
class HeldSeats:
    """The seats one person holds on one incident."""

    incident: Incident
    titles: list[str] = field(default_factory=list)


@dataclass
class LivePanels:
    now: datetime
    critical_services: list[Service]
    processes: list[Process]
    severity_groups: list[SeverityGroup]
    impacts: list[ProcessImpact]
    failing_connectors: list[Connector]
    workload: list[Workload]

    @property
    def open_count(self) -> int:
        return sum(len(group.incidents) for group in self.severity_groups)


def _catalog_order(service: Service):
    return (service.tier, service.name.casefold())


def process_impacts(
    services: dict[int, Service], edges: graph.Edges, causes: list[Cause]
) -> list[ProcessImpact]:
    """Every business process hit by ``causes``, directly or through the services that
    depend on a cause's source (pure: ``edges`` maps a service to what it depends on)."""
    dependents = graph.invert(edges)
    routes: dict[str, list[Route]] = defaultdict(list)
    for cause in causes:
        for service_id, path in graph.walk(dependents, [cause.source.pk]).items():
            service = services.get(service_id)
            if service is None or not service.business_process.strip():
                continue
            via = tuple(services[step] for step in path[:-1] if step in services)
            routes[service.business_process.strip()].append(Route(service, cause, via))
    impacts = [
        ProcessImpact(
            process=name,
            routes=sorted(
                found, key=lambda r: (*_catalog_order(r.service), len(r.via), r.cause.kind)
            ),
        )
        for name, found in routes.items()
    ]
    return sorted(impacts, key=lambda i: (i.tier, i.process.casefold()))


def processes_of(services) -> list[Process]:
    """The business processes of ``services``, worst status first, then most critical."""
    grouped: dict[str, list[Service]] = defaultdict(list)
    for service in services:
        if service.business_process.strip():
            grouped[service.business_process.strip()].append(service)
    processes = [
        Process(name, sorted(found, key=_catalog_order)) for name, found in grouped.items()
    ]
    return sorted(
        processes, key=lambda p: (-STATUS_RANK.get(p.status, 0), p.tier, p.name.casefold())
    )


def live_panels(now: datetime, *, drills: bool = False, book: TargetBook | None = None):
    """The "now" panels at ``now``: eight queries (nine without ``book``)."""
    book = book or TargetBook()
    services = {s.pk: s for s in Service.objects.select_related("owner_team")}

    open_incidents = Incident.objects.open().only(*OPEN_FIELDS).order_by("declared_at", "pk")
    if not drills:
        open_incidents = open_incidents.filter(is_drill=False)
    incidents = {incident.pk: incident for incident in open_incidents}

    links: dict[int, list[Service]] = defaultdict(list)
    for incident_id, service_id in Incident.services.through.objects.filter(
        incident__in=open_incidents
    ).values_list("incident_id", "service_id"):
        if service_id in services:
            links[incident_id].append(services[service_id])

    commanders: dict[int, str] = {}
    people: dict[int, Workload] = {}
    seats = (
        IncidentRole.objects.filter(incident__in=open_incidents)
        .order_by("incident_id", "kind", "custom_name")
        .values_list("incident_id", "kind", "custom_name", "holder_id", "holder__name")
    )
    for incident_id, kind, custom_name, holder_id, holder_name in seats:
        if kind == IncidentRoleKind.COMMANDER:
            commanders[incident_id] = holder_name
        title = custom_name if kind == IncidentRoleKind.CUSTOM else IncidentRoleKind(kind).label
        person = people.setdefault(holder_id, Workload(holder_id, holder_name))
        person.take(title, incidents[incident_id])

    for row in _pages(now, drills=drills):
        person = people.setdefault(
            row["recipient_id"], Workload(row["recipient_id"], row["recipient__name"])
        )
        person.pages_day, person.pages_week = row["day"], row["week"]

    groups = {severity: SeverityGroup(Severity(severity), []) for severity in Severity.values}
    for incident in incidents.values():
        affected = links.get(incident.pk, [])
        targets = book.for_incident(incident.severity, [s.pk for s in affected])
        missed = [c.label for c in incident_clocks(incident, targets, now) if c.is_breached]
        item = OpenIncident(
            incident, affected, commanders.get(incident.pk), missed,
            age=age_label((now - incident.declared_at).total_seconds()),
        )
        groups[incident.severity].incidents.append(item)
    for group in groups.values():
        # Missed targets first, then the oldest: what leadership should look at first.
        group.incidents.sort(key=lambda i: (not i.missed, i.incident.declared_at))

    causes, failing = _causes(services, incidents.values(), links)
    return LivePanels(
        now=now,
        critical_services=sorted(
            (s for s in services.values() if s.tier == Tier.CRITICAL),
            key=lambda s: (-STATUS_RANK.get(s.status, 0), s.name.casefold()),
        ),
        processes=processes_of(services.values()),
        severity_groups=list(groups.values()),
        impacts=process_impacts(services, graph.dependency_edges(), causes),
        failing_connectors=failing,
        workload=sorted(
            people.values(),
            key=lambda w: (-len(w.seats), -w.pages_day, -w.pages_week, w.name.casefold()),
        ),
    )


def _pages(now: datetime, *, drills: bool):
    """Pages per person over the last 7 days and the last 24 h (one query)."""
    pages = Notification.objects.filter(
        queued_at__gt=now - timedelta(days=7), queued_at__lte=now
    ).exclude(state=Notification.State.CANCELLED)
    if drills:
        pages = pages.filter(reason__in=(*PAGE_REASONS, Notification.Reason.DRILL))
    else:
        # Looked up per page rather than joined: the week's pages are few and the incidents
        # many, and a join tempts the planner into reading every incident.
        drill = Subquery(Incident.objects.filter(pk=OuterRef("incident_id")).values("is_drill"))
        pages = pages.filter(reason__in=PAGE_REASONS).alias(drill=drill).filter(drill=False)
    return (
        pages.values("recipient_id", "recipient__name")
        .annotate(
            day=Count("pk", filter=Q(queued_at__gt=now - timedelta(days=1))), week=Count("pk")
        )
        .order_by()
    )


def _causes(services: dict[int, Service], incidents, links) -> tuple[list[Cause], list]:
    """What is failing now: open incidents per service, failing connectors per service using
    them, impaired services without an open incident (one query, for the connectors)."""
    on_service: dict[int, list[Incident]] = defaultdict(list)
    for incident in incidents:
        for service in links.get(incident.pk, []):
            on_service[service.pk].append(incident)
    causes = [
        Cause(
            "incidents",
            services[sid],
            tuple(sorted(found, key=lambda i: (i.severity, i.declared_at))),
        )
        for sid, found in on_service.items()
    ]
    causes += [
        Cause("status", service)
        for service in services.values()
        if service.status in IMPAIRED and service.pk not in on_service
    ]
    failing: dict[int, Connector] = {}
    uses = Service.connectors.through.objects.filter(
        connector__failing_since__isnull=False
    ).select_related("connector")
    for use in uses:
        failing[use.connector_id] = use.connector
        if use.service_id in services:
            causes.append(Cause("connector", services[use.service_id], connector=use.connector))
    return causes, sorted(failing.values(), key=lambda c: c.name.casefold())
