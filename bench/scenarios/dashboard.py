"""Leadership dashboard: the full page at 100,000 closed and 200 open incidents, against the
trivial logged-in page."""

import time
from datetime import timedelta

from bench.load import ratio

NAME = "dashboard"

CLOSED_INCIDENTS = 100_000
OPEN_INCIDENTS = 200
HISTORY_DAYS = 400  # the closed incidents are spread over this many days before now
BATCH = 5_000
TITLE = "Bench dashboard incident"  # every incident this scenario writes starts with it
PREFIX = "bench-dashboard"  # and every catalog and roster row its slug or name
HTMX = {"HX-Request": "true"}
COLD_WARMUP_S = 6.0


def run(ctx) -> dict:
    from portal.roles import LEADERSHIP

    ctx.say(f"writing {CLOSED_INCIDENTS} closed and {OPEN_INCIDENTS} open incidents")
    _clear()
    try:
        started = time.monotonic()
        _write()
        _analyze()
        written_s = round(time.monotonic() - started, 1)
        login = ctx.login(f"{PREFIX}-leader", roles=(LEADERSHIP,))
        measured = _measure_in_process(f"{PREFIX}-leader")

        # Each server process renders the page once from cold (in_process_cold_ms says what
        # that costs) and then serves it until the data changes; a warm-up long enough for
        # all of them keeps those first renderings out of the measured window.
        warmup = max(ctx.settings.warmup, COLD_WARMUP_S)
        dashboard = ctx.load("/dashboard/", login=login, warmup=warmup)
        page = ctx.reference_page()
    finally:
        _clear()
    return {
        **dashboard.figures("dashboard"),
        **page.figures("page"),
        "p50_ms": dashboard.p50_ms,
        "p99_ms": dashboard.p99_ms,
        "p99_ratio_to_baseline": ratio(dashboard.p99_ms, page.p99_ms),
        "p50_ratio_to_baseline": ratio(dashboard.p50_ms, page.p50_ms),
        **measured,
        "closed_incidents": CLOSED_INCIDENTS,
        "open_incidents": OPEN_INCIDENTS,
        "history_days": HISTORY_DAYS,
        "write_s": written_s,
    }


def _measure_in_process(username: str) -> dict:
    """Queries and time of one page here, with the server's code on the same data: cold (the
    response report computed) and warm (the report from the cache), and of one unchanged
    poll; and the cold report alone for the 90-day period."""
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))

    def get(path: str, expect: int, **kwargs) -> tuple[int, float, object]:
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get(path, **kwargs)
            elapsed = (time.perf_counter() - started) * 1000
        if response.status_code != expect:
            raise RuntimeError(f"{path} answered {response.status_code}, not {expect}")
        return len(captured), round(elapsed, 1), response

    cache.clear()
    cold_queries, cold_ms, response = get("/dashboard/", 200)
    warm_queries, warm_ms, _ = get("/dashboard/", 200)
    body = response.content.decode()
    if f'Open incidents <span class="muted">({OPEN_INCIDENTS})</span>' not in body:
        raise RuntimeError(f"the dashboard does not count {OPEN_INCIDENTS} open incidents")
    version = body.split('data-version="', 1)[1].split('"', 1)[0]
    poll_queries, poll_ms, _ = get(f"/dashboard/?v={version}", 204, headers=HTMX)
    cache.clear()
    _, cold_90_ms, _ = get("/dashboard/?period=90", 200)
    cache.clear()
    return {
        "queries": cold_queries,
        "queries_warm": warm_queries,
        "queries_unchanged_poll": poll_queries,
        "in_process_cold_ms": cold_ms,
        "in_process_warm_ms": warm_ms,
        "in_process_unchanged_poll_ms": poll_ms,
        "in_process_cold_90d_ms": cold_90_ms,
    }


def _catalog():
    from django.utils import timezone

    from incidents.models import AudienceGroup, Connector, Person, ResponseTarget, Service, Team
    from incidents.models import ServiceDependency as Edge

    teams = [
        Team.objects.get_or_create(slug=f"{PREFIX}-{n}", defaults={"name": f"{PREFIX} team {n}"})[0]
        for n in range(4)
    ]
    services = []
    for n in range(12):
        service, _ = Service.objects.get_or_create(
            slug=f"{PREFIX}-{n}",
            defaults={
                "name": f"{PREFIX} service {n}",
                "tier": n % 3 + 1,
                "business_process": f"{PREFIX} process {n % 5}",
                "owner_team": teams[n % 4],
                "platform": "make",
            },
        )
        services.append(service)
    for n in range(1, 12):  # a chain with branches: impact travels through dependencies
        Edge.objects.get_or_create(service=services[n], depends_on=services[(n - 1) // 2])
    # Two stricter per-service targets, so that breaches take the override path too.
    for service in services[:2]:
        ResponseTarget.objects.get_or_create(
            severity="sev1", service=service, defaults={"acknowledge_minutes": 3}
        )
    connector, _ = Connector.objects.get_or_create(
        name=f"{PREFIX} connector", defaults={"vendor": "Stripe", "platform": "make"}
    )
    Connector.objects.filter(pk=connector.pk).update(
        failing_since=timezone.now() - timedelta(minutes=9)
    )
    services[5].connectors.add(connector)
    people = [Person.objects.get_or_create(name=f"{PREFIX} person {n}")[0] for n in range(20)]
    leadership = AudienceGroup.objects.get(slug="leadership")
    leadership.members.add(*people[:3])
    return services, people


def _write() -> None:
    from django.utils import timezone

    from incidents.models import (
        ContactMethod,
        Incident,
        IncidentRole,
        IncidentRoleKind,
        IncidentStatus,
        Notification,
        TimelineEvent,
    )

    now = timezone.now()
    services, people = _catalog()
    methods = [
        ContactMethod.objects.get_or_create(
            person=person, kind="email", defaults={"address": f"p{person.pk}@example.org"}
        )[0]
        for person in people
    ]
    step = timedelta(days=HISTORY_DAYS) / CLOSED_INCIDENTS

    def closed(n: int) -> Incident:
        declared = now - timedelta(minutes=5) - step * n
        return Incident(
            title=f"{TITLE} {n}",
            severity=f"sev{n % 4 + 1}",
            status=IncidentStatus.CLOSED,
            declared_at=declared,
            acknowledged_at=declared + timedelta(minutes=1 + n % 13) if n % 11 else None,
            triaged_at=declared + timedelta(minutes=5 + n % 40),
            first_decision_at=declared + timedelta(minutes=20 + n % 90) if n % 3 else None,
            mitigated_at=declared + timedelta(minutes=50 + n % 60),
            resolved_at=declared + timedelta(minutes=60 + n % 400),
            closed_at=declared + timedelta(hours=12),
            reopened_count=1 if n % 97 == 0 else 0,
            escalation_level=n % 5,
            is_drill=n % 41 == 0,
            updated_at=declared + timedelta(hours=12),
        )

    def opened(n: int) -> Incident:
        declared = now - timedelta(minutes=3 + n * 4)
        return Incident(
            title=f"{TITLE} open {n}",
            severity=f"sev{n % 4 + 1}",
            status=[IncidentStatus.TRIAGE, IncidentStatus.INVESTIGATING][n % 2],
            declared_at=declared,
            acknowledged_at=declared + timedelta(minutes=2) if n % 3 else None,
            triaged_at=declared + timedelta(minutes=8) if n % 2 else None,
            escalation_level=n % 3,
            updated_at=declared,
        )

    links = Incident.services.through
    for make, total in ((closed, CLOSED_INCIDENTS), (opened, OPEN_INCIDENTS)):
        for start in range(0, total, BATCH):
            rows = Incident.objects.bulk_create(
                make(n) for n in range(start, min(start + BATCH, total))
            )
            links.objects.bulk_create(
                links(incident_id=row.pk, service_id=services[(index * 7 + shift) % 12].pk)
                for index, row in enumerate(rows)
                for shift in range(index % 2 + 1)
            )
            if make is opened:  # seats matter to the dashboard on open incidents only
                IncidentRole.objects.bulk_create(
                    IncidentRole(
                        incident=row,
                        kind=IncidentRoleKind.COMMANDER,
                        holder=people[(start + index) % len(people)],
                    )
                    for index, row in enumerate(rows)
                    if index % 5
                )
            # A page for one incident in three (to one of twenty people, three of them in
            # leadership) and a missed update cadence for one in seven: rows for the
            # metrics' subqueries to find.
            Notification.objects.bulk_create(
                Notification(
                    incident=row,
                    reason=Notification.Reason.ESCALATION,
                    cause=f"bench:{row.pk}",
                    recipient=people[(start + index) % len(people)],
                    contact_method=methods[(start + index) % len(people)],
                    channel="email",
                    urgency="urgent",
                    subject="Page",
                    body="Page",
                    idempotency_key=f"{PREFIX}:{row.pk}",
                    state=Notification.State.SENT,
                    queued_at=row.declared_at + timedelta(minutes=1),
                    deliver_after=row.declared_at + timedelta(minutes=1),
                )
                for index, row in enumerate(rows)
                if index % 3 == 0
            )
            TimelineEvent.objects.bulk_create(
                TimelineEvent(
                    incident=row,
                    kind=TimelineEvent.Kind.TARGET_BREACHED,
                    at=row.declared_at + timedelta(minutes=40),
                    actor_name="Portal",
                    text="Response target missed: update cadence.",
                    details={"target": "update"},
                )
                for index, row in enumerate(rows)
                if index % 7 == 0
            )


def _analyze() -> None:
    """Statistics for the rows just written, as autovacuum keeps them on a live database: the
    planner would otherwise plan for the empty tables it last saw."""
    from django.db import connection

    from incidents.models import Incident, IncidentRole, Notification, TimelineEvent

    if connection.vendor != "postgresql":
        return
    models = (Incident, Incident.services.through, IncidentRole, Notification, TimelineEvent)
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _clear() -> None:
    """Remove what this scenario wrote, so that a kept bench database starts clean."""
    from incidents.models import Incident

    Incident.objects.filter(title__startswith=TITLE).delete()
