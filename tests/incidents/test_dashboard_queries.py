"""The dashboard's cost does not grow with history: the same number of queries at 10 and at
10,000 incidents, one version query for an unchanged poll, and the report from the cache
until an incident changes. The counts hold on SQLite and PostgreSQL alike: the one
PostgreSQL-only statement (``SET LOCAL jit = off``) is issued only when the metrics are
computed, which the tests compare with each other or with the cached page, never pin."""

import itertools
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.models import (
    AudienceGroup,
    ContactMethod,
    Incident,
    IncidentRole,
    IncidentRoleKind,
    IncidentStatus,
    Notification,
    ResponseTarget,
    ServiceDependency,
    Tier,
)
from tests.incidents.factories import make_person, make_service, make_team

URL = "/dashboard/"
HTMX = {"HX-Request": "true"}
NOW = datetime(2026, 3, 12, 12, 0, tzinfo=UTC)
# A logged-in request reads its session, its user and the user's portal roles.
AUTHENTICATION_QUERIES = 3


# Served from the cache: authentication, the version query, and the layout's own query (the
# stalled-sweep banner of base.html).
CACHED_PAGE_QUERIES = AUTHENTICATION_QUERIES + 2
_numbers = itertools.count()


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def world(db):
    teams = [make_team(f"Team {n}") for n in range(3)]
    services = [
        make_service(
            f"Service {n}", tier=[Tier.CRITICAL, Tier.IMPORTANT, Tier.LOW][n % 3],
            business_process=f"Process {n % 4}", owner_team=teams[n % 3],
        )
        for n in range(8)
    ]
    for n in range(1, 8):
        ServiceDependency.objects.create(service=services[n], depends_on=services[n // 2])
    ResponseTarget.objects.create(severity="sev1", service=services[0], acknowledge_minutes=2)
    people = [make_person(f"Person {n}") for n in range(6)]
    AudienceGroup.objects.get(slug="leadership").members.add(people[0])
    methods = [
        ContactMethod.objects.create(person=p, kind="email", address=f"p{p.pk}@example.org")
        for p in people
    ]
    return {"services": services, "people": people, "methods": methods}


def add_incidents(world, closed: int, open_: int) -> None:
    """``closed`` incidents over the last 29 days and ``open_`` open ones, each with services,
    a commander, and a page for every other one; written in bulk."""
    services, people, methods = world["services"], world["people"], world["methods"]

    def build(n: int, is_open: bool) -> Incident:
        declared = NOW - (timedelta(minutes=10 + n) if is_open else timedelta(hours=1 + n % 700))
        fields = {} if is_open else {
            "status": IncidentStatus.CLOSED,
            "resolved_at": declared + timedelta(minutes=30 + n % 300),
        }
        return Incident(
            title=f"Incident {n}", severity=f"sev{n % 4 + 1}", declared_at=declared,
            acknowledged_at=declared + timedelta(minutes=1 + n % 9) if n % 5 else None,
            triaged_at=declared + timedelta(minutes=7) if n % 2 else None,
            escalation_level=n % 3, is_drill=n % 13 == 0, updated_at=declared, **fields,
        )

    rows = Incident.objects.bulk_create(
        [build(next(_numbers), False) for _ in range(closed)]
        + [build(next(_numbers), True) for _ in range(open_)],
        batch_size=2000,
    )
    links = Incident.services.through
    links.objects.bulk_create(
        [
            links(incident_id=row.pk, service_id=services[(i + shift) % len(services)].pk)
            for i, row in enumerate(rows)
            for shift in range(i % 2 + 1)
        ],
        batch_size=2000,
    )
    IncidentRole.objects.bulk_create(
        [
            IncidentRole(incident=row, kind=IncidentRoleKind.COMMANDER, holder=people[i % 6])
            for i, row in enumerate(rows)
        ],
        batch_size=2000,
    )
    Notification.objects.bulk_create(
        [
            Notification(
                incident=row, reason=Notification.Reason.ESCALATION, cause=f"c{row.pk}",
                recipient=people[i % 6], contact_method=methods[i % 6], channel="email",
                urgency="urgent", subject="s", body="b", idempotency_key=f"k{row.pk}",
                queued_at=row.declared_at + timedelta(minutes=1),
            )
            for i, row in enumerate(rows)
            if i % 2 == 0
        ],
        batch_size=2000,
    )


def count_queries(client, url=URL, **kwargs) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, **kwargs)
    return len(captured), response


def test_same_number_of_queries_at_10_and_at_10000_incidents(client_as, world, clock):
    client = client_as("leader")
    add_incidents(world, closed=8, open_=2)
    cache.clear()
    small, response = count_queries(client)
    assert response.status_code == 200
    small_warm, _ = count_queries(client)

    add_incidents(world, closed=9_790, open_=200)
    assert Incident.objects.count() == 10_000
    cache.clear()
    large, response = count_queries(client)
    assert response.status_code == 200
    assert 'Open incidents <span class="muted">(' in response.content.decode()
    large_warm, _ = count_queries(client)

    assert large == small
    assert large_warm == small_warm == CACHED_PAGE_QUERIES


def test_unchanged_poll_is_one_query_after_authentication(client_as, world, clock):
    add_incidents(world, closed=50, open_=20)
    client = client_as("leader")
    queries, response = count_queries(client, headers=HTMX)
    version = re.search(r'data-version="([^"]+)"', response.content.decode()).group(1)
    queries, response = count_queries(client, f"{URL}?v={version}", headers=HTMX)
    assert response.status_code == 204
    assert queries == AUTHENTICATION_QUERIES + 1


def incidents_figure(response) -> int:
    text = re.sub(r"\s+", " ", response.content.decode())
    found = re.search(r'Incidents</span> <span class="dashboard-figure-value">(\d+)</span>', text)
    return int(found.group(1))


def test_metrics_follow_a_change_within_half_a_minute(client_as, world, clock):
    add_incidents(world, closed=20, open_=0)
    client = client_as("leader")
    before = incidents_figure(client.get(URL))
    with CaptureQueriesContext(connection) as cached:
        assert incidents_figure(client.get(URL)) == before
    assert len(cached) == CACHED_PAGE_QUERIES

    Incident.objects.create(
        title="Declared just now", severity="sev2", declared_at=NOW - timedelta(minutes=1),
        updated_at=NOW,
    )
    # A busy incident changes every few seconds; the month's figures are not redrawn for each.
    clock.shift(timedelta(seconds=20))
    assert incidents_figure(client.get(URL)) == before
    clock.shift(timedelta(seconds=15))
    with CaptureQueriesContext(connection) as recomputed:
        assert incidents_figure(client.get(URL)) == before + 1
    assert len(recomputed) > CACHED_PAGE_QUERIES


def test_metrics_are_redrawn_every_two_minutes_without_changes(client_as, world, clock):
    add_incidents(world, closed=5, open_=0)
    client = client_as("leader")
    client.get(URL)
    clock.shift(timedelta(seconds=119))
    with CaptureQueriesContext(connection) as cached:
        client.get(URL)
    clock.shift(timedelta(seconds=2))
    with CaptureQueriesContext(connection) as redrawn:
        client.get(URL)
    # Both requests redraw the now panels (a new minute each time); only the second, more
    # than two minutes after the first, redraws the metrics.
    assert len(cached) < len(redrawn)
