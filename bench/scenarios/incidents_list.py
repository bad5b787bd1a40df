"""The incidents list: /incidents/ with a search word and two filters at BENCH_INCIDENTS closed
incidents (100,000 by default), each with timeline notes and a status update, against the
trivial logged-in page; and its queries per page at 1,000 incidents and at all of them."""

import os
import time
from datetime import timedelta

from bench.load import ratio

NAME = "incidents_list"

INCIDENTS = int(os.environ.get("BENCH_INCIDENTS", "100000"))
FIRST_STEP = 1_000  # queries are counted here and again at INCIDENTS
HISTORY_DAYS = 400
BATCH = 5_000
TITLE = "Bench list incident"  # every incident this scenario writes starts with it
PREFIX = "bench-list"
# One incident in 50 mentions the searched word in a timeline note; the others talk of
# other things, so the search must find a few hundred among every incident.
WORD = "webhook"
OTHER_WORDS = ("quota", "mapping", "timeout", "schema", "retry", "token", "filter", "sheet")
PATH = f"/incidents/?q={WORD}&severity=sev2&status=closed"


def run(ctx) -> dict:
    from portal.roles import COMMANDERS

    ctx.say(f"writing {INCIDENTS} closed incidents with notes and updates")
    _clear()
    try:
        started = time.monotonic()
        services = _catalog()
        _write(services, 0, min(FIRST_STEP, INCIDENTS))
        login = ctx.login(f"{PREFIX}-commander", roles=(COMMANDERS,))
        queries_at_1000, found_at_1000 = _queries(f"{PREFIX}-commander")
        _write(services, FIRST_STEP, INCIDENTS)
        _analyze()
        written_s = round(time.monotonic() - started, 1)
        queries, found = _queries(f"{PREFIX}-commander")
        listing = ctx.load(PATH, login=login)
        page = ctx.reference_page()
    finally:
        _clear()
    return {
        **listing.figures("list"),
        **page.figures("page"),
        "list_p50_ms": listing.p50_ms,
        "list_p99_ms": listing.p99_ms,
        "p99_ratio_to_baseline": ratio(listing.p99_ms, page.p99_ms),
        "p50_ratio_to_baseline": ratio(listing.p50_ms, page.p50_ms),
        "queries": queries,
        "queries_at_1000": queries_at_1000,
        "matches": found,
        "matches_at_1000": found_at_1000,
        "incidents": INCIDENTS,
        "write_s": written_s,
    }


def _queries(username: str) -> tuple[int, int]:
    """The queries of one page of the measured URL, counted here with the server's code on
    the same data, and how many incidents it says match."""
    import re

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(get_user_model().objects.get(username=username))
    client.get("/")  # the session and the roles, as a browser that already has them
    with CaptureQueriesContext(connection) as captured:
        response = client.get(PATH)
    if response.status_code != 200:
        raise RuntimeError(f"{PATH} answered {response.status_code}")
    match = re.search(r'id="incident-count">(\d+) incident', response.content.decode())
    if match is None or int(match.group(1)) == 0:
        raise RuntimeError(f"{PATH} found no incident")
    return len(captured), int(match.group(1))


def _catalog():
    from incidents.models import Service, Team

    team, _ = Team.objects.get_or_create(slug=PREFIX, defaults={"name": f"{PREFIX} team"})
    return [
        Service.objects.get_or_create(
            slug=f"{PREFIX}-{n}",
            defaults={
                "name": f"{PREFIX} service {n}",
                "tier": n % 3 + 1,
                "business_process": f"{PREFIX} process",
                "owner_team": team,
                "platform": "zapier",
            },
        )[0]
        for n in range(6)
    ]


def _write(services, first: int, last: int) -> None:
    """Incidents ``first`` to ``last`` - 1: closed, each with two notes and one update, their
    search vectors built as the workflows would have kept them."""
    from django.utils import timezone

    from incidents.models import Incident, IncidentStatus, StatusUpdate, TimelineEvent
    from incidents.search import search_index_rebuild

    now = timezone.now()
    step = timedelta(days=HISTORY_DAYS) / INCIDENTS
    links = Incident.services.through
    for start in range(first, last, BATCH):
        numbers = range(start, min(start + BATCH, last))
        rows = Incident.objects.bulk_create(_incident(n, now - step * n) for n in numbers)
        links.objects.bulk_create(
            links(incident_id=row.pk, service_id=services[n % len(services)].pk)
            for n, row in zip(numbers, rows, strict=True)
        )
        TimelineEvent.objects.bulk_create(
            TimelineEvent(
                incident=row,
                kind=TimelineEvent.Kind.NOTE,
                at=row.declared_at + timedelta(minutes=10 + k),
                actor_name="Bench",
                text=_note(n, k),
            )
            for n, row in zip(numbers, rows, strict=True)
            for k in range(2)
        )
        StatusUpdate.objects.bulk_create(
            StatusUpdate(
                incident=row,
                what_happened=f"The {OTHER_WORDS[n % 8]} step of a Zap failed.",
                current_impact="Some leads wait.",
                being_done="Replaying the failed runs.",
                responsible="Growth on-call",
                expected_timeline="Within the hour.",
                incident_status=IncidentStatus.INVESTIGATING,
                posted_by_name="Bench",
                posted_at=row.declared_at + timedelta(minutes=20),
            )
            for n, row in zip(numbers, rows, strict=True)
        )
        search_index_rebuild([row.pk for row in rows])


def _incident(n: int, declared):
    from incidents.models import Incident, IncidentStatus

    return Incident(
        title=f"{TITLE} {n}",
        severity=f"sev{n % 4 + 1}",
        status=IncidentStatus.CLOSED,
        summary=f"Runs of the {OTHER_WORDS[(n + 3) % 8]} Zap stopped.",
        declared_at=declared,
        acknowledged_at=declared + timedelta(minutes=2),
        resolved_at=declared + timedelta(minutes=90),
        closed_at=declared + timedelta(hours=12),
        is_drill=n % 41 == 0,
        updated_at=declared + timedelta(hours=12),
    )


def _note(n: int, k: int) -> str:
    if k == 1 and n % 50 == 1:
        return f"The HubSpot {WORD} answered 410 after the key rotation."
    return f"Checked the {OTHER_WORDS[(n + k) % 8]} of the failing step; nothing unusual."


def _analyze() -> None:
    """Statistics for the rows just written, as autovacuum keeps them on a live database."""
    from django.db import connection

    from incidents.models import Incident, StatusUpdate, TimelineEvent

    if connection.vendor != "postgresql":
        return
    models = (Incident, Incident.services.through, StatusUpdate, TimelineEvent)
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def _clear() -> None:
    """Remove what this scenario wrote, so that a kept bench database starts clean."""
    from incidents.models import Incident

    Incident.objects.filter(title__startswith=TITLE).delete()
