"""Board partial: the full cards and the unchanged poll (204), 100 open among 50,000 closed.

Keys: ``partial_*`` (the cards, polled by one viewer under load: after the first request
each card comes from the card cache, as for everyone polling a board that changed
elsewhere), ``unchanged_*`` (the 204 poll), their p99 ratios to the trivial page,
``queries`` (of one partial with every card built), ``alone_cold_p50_ms`` and
``alone_cached_p50_ms`` (one request at a time in the bench's own process, with the card
cache emptied before each, and full).
"""

import time
from datetime import timedelta

from bench.load import ratio
from bench.processes import http_request

NAME = "board"

OPEN_INCIDENTS = 100
CLOSED_INCIDENTS = 50_000
BATCH = 5_000
TITLE = "Bench board incident"  # the incidents' titles; services, team and people say so too
HTMX = {"HX-Request": "true"}


def run(ctx) -> dict:
    from portal.roles import RESPONDERS

    ctx.say(f"writing {OPEN_INCIDENTS} open and {CLOSED_INCIDENTS} closed incidents")
    _clear()
    try:
        _write_incidents()
        _analyze()
        login = ctx.login("bench-board-responder", roles=(RESPONDERS,))
        queries = _partial_queries("bench-board-responder")
        alone = _partial_alone("bench-board-responder")
        version = _current_version()

        poll = f"/board/?v={version}"
        partial = ctx.load("/board/", login=login, headers=HTMX)
        unchanged = ctx.load(poll, login=login, headers=HTMX, expect=204)
        # The load counts any 2xx as fine: make sure the poll still found nothing changed.
        unchanged_status = http_request(ctx.url(poll), headers={**login.headers, **HTMX})[0]
        page = ctx.reference_page()
    finally:
        _clear()
    return {
        **partial.figures("partial"),
        **unchanged.figures("unchanged"),
        **page.figures("page"),
        "partial_p99_ratio": ratio(partial.p99_ms, page.p99_ms),
        "unchanged_p99_ratio": ratio(unchanged.p99_ms, page.p99_ms),
        "queries": queries,
        **alone,
        "unchanged_status": unchanged_status,
        "open_incidents": OPEN_INCIDENTS,
        "closed_incidents": CLOSED_INCIDENTS,
    }


def _current_version() -> str:
    """The token the server will compare against: the same function on the same database."""
    from incidents.board import board_version

    return board_version().token


def _partial_queries(username: str) -> int:
    """Queries of one full partial, counted in this process (the server's code, same data)."""
    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/board/", headers=HTMX)
    if response.status_code != 200:
        raise RuntimeError(f"the board partial answered {response.status_code}")
    cards = response.content.decode().count('class="card board-card ')
    if cards != OPEN_INCIDENTS:
        raise RuntimeError(f"the board shows {cards} cards, not {OPEN_INCIDENTS}")
    return len(captured)


def _partial_alone(username: str, runs: int = 10) -> dict:
    """The partial served in this process one at a time, with no load beside it: drawn from
    an empty card cache (every card built and rendered, as after a restart) and from a full
    one (as for a viewer polling after a change elsewhere). Medians, in ms."""
    from statistics import median

    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.test import Client

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))

    def timed(clear: bool) -> float:
        if clear:
            cache.clear()
        started = time.perf_counter()
        client.get("/board/", headers=HTMX)
        return (time.perf_counter() - started) * 1000

    cold = [timed(clear=True) for _ in range(runs)]
    warm = [timed(clear=False) for _ in range(runs)]
    return {
        "alone_cold_p50_ms": round(median(cold), 1),
        "alone_cached_p50_ms": round(median(warm), 1),
    }


def _services():
    from incidents.models import ResponseTarget, Service, Team

    team, _ = Team.objects.get_or_create(slug="bench-board", defaults={"name": "Bench board"})
    services = []
    for n in range(12):
        service, _ = Service.objects.get_or_create(
            slug=f"bench-board-{n}",
            defaults={
                "name": f"Bench board service {n}",
                "tier": n % 3 + 1,
                "business_process": f"Bench process {n % 5}",
                "owner_team": team,
                "platform": "zapier",
            },
        )
        services.append(service)
    # Two stricter per-service targets, so the clocks take the override path too.
    for service in services[:2]:
        ResponseTarget.objects.get_or_create(
            severity="sev1", service=service, defaults={"acknowledge_minutes": 3}
        )
    return services


def _people():
    from incidents.models import Person

    return [
        Person.objects.get_or_create(name=f"Bench board person {n}")[0] for n in range(6)
    ]


def _write_incidents() -> None:
    from django.utils import timezone

    from incidents.models import Incident, IncidentRole, IncidentRoleKind, IncidentStatus

    now = timezone.now()
    services, people = _services(), _people()
    open_statuses = [
        IncidentStatus.TRIAGE,
        IncidentStatus.INVESTIGATING,
        IncidentStatus.IDENTIFIED,
        IncidentStatus.MONITORING,
    ]

    def incident(n: int, closed: bool) -> Incident:
        declared = now - timedelta(minutes=n * 7 if closed else n * 3)
        fields = {
            "title": f"{TITLE} {n}",
            "severity": f"sev{n % 4 + 1}",
            "declared_at": declared,
            "acknowledged_at": declared + timedelta(minutes=2) if n % 3 else None,
            "triaged_at": declared + timedelta(minutes=9) if n % 2 else None,
            "last_update_at": declared + timedelta(minutes=20) if n % 4 else None,
            "is_drill": n % 17 == 0,
            "updated_at": declared,
        }
        if closed:
            fields.update(
                status=IncidentStatus.CLOSED,
                resolved_at=declared + timedelta(hours=2),
                closed_at=declared + timedelta(hours=3),
                mitigated_at=declared + timedelta(hours=1),
            )
        else:
            fields["status"] = open_statuses[n % len(open_statuses)]
        return Incident(**fields)

    links = Incident.services.through
    kinds = [
        IncidentRoleKind.COMMANDER,
        IncidentRoleKind.COMMUNICATIONS_LEAD,
        IncidentRoleKind.TECHNICAL_LEAD,
    ]
    for closed, total in ((True, CLOSED_INCIDENTS), (False, OPEN_INCIDENTS)):
        for start in range(0, total, BATCH):
            numbers = range(start, min(start + BATCH, total))
            rows = Incident.objects.bulk_create(incident(n, closed) for n in numbers)
            links.objects.bulk_create(
                links(incident_id=row.pk, service_id=services[(index + shift) % len(services)].pk)
                for index, row in enumerate(rows)
                for shift in range(index % 3 + 1)
            )
            IncidentRole.objects.bulk_create(
                IncidentRole(
                    incident=row, kind=kinds[seat], holder=people[(index + seat) % len(people)]
                )
                for index, row in enumerate(rows)
                for seat in range(index % 4)  # a quarter of them with no commander
            )


def _analyze() -> None:
    """Give PostgreSQL's planner statistics on the rows just written.

    A live database has them: autovacuum analyzes a table soon after it grows. Measured
    straight after a bulk insert, the planner guesses instead, and for the prefetches' short
    ``IN`` lists it guesses a quarter of a million rows and plans a parallel sequential scan.
    """
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE incidents_incident, incidents_incident_services, incidents_incidentrole"
        )


def _clear() -> None:
    """Remove what this scenario wrote, so that the scenarios after it (and a kept bench
    database) start without it."""
    from incidents.models import Incident, Person, Service, Team

    Incident.objects.filter(title__startswith=TITLE).delete()
    Service.objects.filter(slug__startswith="bench-board-").delete()
    Team.objects.filter(slug="bench-board").delete()
    Person.objects.filter(name__startswith="Bench board person").delete()
