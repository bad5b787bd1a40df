"""The board's cost: a version token in one query, 204 while nothing changed, and a fixed
number of queries for the cards however many incidents are open. The counts, and the
quoted table names they look for, hold on SQLite and PostgreSQL alike."""

import itertools
import re
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.board import board_version
from incidents.models import Incident, IncidentRole, IncidentRoleKind, IncidentStatus, Tier
from incidents.services import (
    incident_acknowledge,
    incident_add_note,
    incident_assign_role,
    incident_change_severity,
    incident_declare,
    incident_set_status,
)
from tests.incidents.factories import make_person, make_service

URL = "/board/"
HTMX = {"HX-Request": "true"}
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
# A logged-in request reads its session, its user and the user's portal roles (the role
# check); the board's own work on an unchanged poll is the one version query after them.
AUTHENTICATION_QUERIES = 3
# + version, the viewer's person, incidents, their services, their seats, response targets.
PARTIAL_QUERIES = AUTHENTICATION_QUERIES + 6


@pytest.fixture
def payments(db):
    return make_service("Checkout", tier=Tier.CRITICAL, business_process="Payments")


def poll(client, version=None, query=""):
    params = f"?{query}&v={version}" if version else f"?{query}"
    return client.get(URL + params, headers=HTMX)


def version_of(response) -> str:
    found = re.search(r'data-version="([^"]+)"', response.content.decode())
    assert found, "the cards carry no version"
    return found.group(1)


def current_version(client) -> str:
    response = poll(client)
    assert response.status_code == 200
    return version_of(response)


def test_unchanged_poll_answers_204_with_no_body(client_as, clock, payments):
    incident_declare(title="Checkout down", severity="sev1", declared_by=None, services=[payments])
    client = client_as("responder")
    version = current_version(client)

    response = poll(client, version)

    assert response.status_code == 204
    assert response.content == b""
    assert "HX-Request" in response["Vary"]


def test_unchanged_poll_makes_only_the_authentication_queries_and_one_version_query(
    client_as, clock, payments
):
    incident_declare(title="Checkout down", severity="sev1", declared_by=None, services=[payments])
    client = client_as("responder")
    version = current_version(client)

    with CaptureQueriesContext(connection) as queries:
        response = poll(client, version)

    assert response.status_code == 204
    tables = [query["sql"] for query in queries.captured_queries]
    assert len(tables) == AUTHENTICATION_QUERIES + 1, "\n".join(tables)
    assert '"django_session"' in tables[0]
    assert '"auth_user"' in tables[1]
    assert '"auth_group"' in tables[2]
    assert '"incidents_incident"' in tables[3]


def test_a_poll_with_an_old_version_gets_the_cards_and_the_new_version(client_as, clock, payments):
    incident = incident_declare(
        title="Checkout down", severity="sev1", declared_by=None, services=[payments]
    )
    client = client_as("responder")
    version = current_version(client)
    assert "Not acknowledged" in poll(client).content.decode()

    clock.shift(timedelta(seconds=3))
    incident_acknowledge(incident=incident, by=None, name="Pager link")
    response = poll(client, version)

    assert response.status_code == 200
    page = response.content.decode()
    assert '<span class="tag">Acknowledged</span>' in page
    new_version = version_of(response)
    assert new_version != version
    assert f"v={new_version}" in page  # the next poll asks from the new version
    assert poll(client, new_version).status_code == 204


def test_a_full_page_load_ignores_the_version_and_renders_everything(client_as, clock, payments):
    client = client_as("leader")
    version = current_version(client)
    response = client.get(f"{URL}?v={version}")
    assert response.status_code == 200
    assert "<html" in response.content.decode()


CHANGES = {
    "declare": lambda incident, user: incident_declare(
        title="Another", severity="sev3", declared_by=user
    ),
    "acknowledge": lambda incident, user: incident_acknowledge(incident=incident, by=user),
    "role": lambda incident, user: incident_assign_role(
        incident=incident,
        kind=IncidentRoleKind.TECHNICAL_LEAD,
        person=make_person("Lee"),
        by=user,
    ),
    "severity": lambda incident, user: incident_change_severity(
        incident=incident, severity="sev3", by=user
    ),
    "note": lambda incident, user: incident_add_note(incident=incident, text="Looking", by=user),
    "status": lambda incident, user: incident_set_status(
        incident=incident, status=IncidentStatus.INVESTIGATING, by=user
    ),
    "resolve": lambda incident, user: incident_set_status(
        incident=incident, status=IncidentStatus.RESOLVED, by=user
    ),
}


@pytest.mark.parametrize("change", CHANGES)
def test_every_workflow_moves_the_version(cast, clock, payments, change):
    incident = incident_declare(
        title="Checkout down", severity="sev2", declared_by=None, services=[payments]
    )
    before = board_version()
    clock.shift(timedelta(milliseconds=1))
    CHANGES[change](incident, cast["commander"])
    assert board_version().token != before.token


def test_a_change_committed_late_with_an_earlier_stamp_still_moves_the_version(db, clock):
    """Transaction A stamps 10:00:01 and B 10:00:02; B commits first and a poll reads it;
    then A commits. The newest stamp is still B's, yet A's change must reach the board."""
    first = incident_declare(title="A", severity="sev2", declared_by=None)
    clock.shift(timedelta(seconds=2))
    incident_declare(title="B", severity="sev2", declared_by=None)
    seen = board_version()

    Incident.objects.filter(pk=first.pk).update(updated_at=NOW + timedelta(seconds=1))

    assert board_version().token != seen.token


def test_the_version_ignores_changes_to_closed_incidents(cast, clock):
    incident = incident_declare(title="Old", severity="sev3", declared_by=None)
    incident_set_status(incident=incident, status=IncidentStatus.RESOLVED, by=cast["commander"])
    seen = board_version()
    clock.shift(timedelta(seconds=1))
    incident_add_note(incident=incident, text="Post-mortem booked", by=cast["commander"])
    assert board_version().token == seen.token
    assert seen.open_count == 0


_numbers = itertools.count(1)


def open_incidents(count: int, services) -> None:
    """``count`` open incidents, each on two services with a commander, in a few queries."""
    commander = make_person(f"Commander {next(_numbers)}")
    incidents = Incident.objects.bulk_create(
        Incident(
            title=f"Incident {n}",
            severity=f"sev{n % 4 + 1}",
            status=IncidentStatus.INVESTIGATING if n % 2 else IncidentStatus.TRIAGE,
            declared_at=NOW - timedelta(minutes=n),
            acknowledged_at=NOW if n % 3 else None,
            last_update_at=NOW - timedelta(minutes=1) if n % 5 else None,
            is_drill=n % 7 == 0,
            updated_at=NOW,
        )
        for n in range(count)
    )
    links = Incident.services.through
    links.objects.bulk_create(
        links(incident_id=incident.pk, service_id=service.pk)
        for index, incident in enumerate(incidents)
        for service in (services[index % len(services)], services[(index + 1) % len(services)])
    )
    IncidentRole.objects.bulk_create(
        IncidentRole(incident=incident, kind=IncidentRoleKind.COMMANDER, holder=commander)
        for incident in incidents[::2]
    )


@pytest.mark.parametrize("count", [10, 500])
def test_the_cards_take_the_same_queries_for_10_and_500_incidents(
    client_as, clock, django_assert_max_num_queries, count
):
    services = [make_service(f"Service {n}", tier=n % 3 + 1) for n in range(6)]
    open_incidents(count, services)
    client = client_as("commander")

    with django_assert_max_num_queries(PARTIAL_QUERIES):
        response = poll(client)

    assert response.status_code == 200
    assert response.content.decode().count('class="card board-card ') == count


def test_filtered_cards_add_only_the_filter_lookups(client_as, clock, payments):
    open_incidents(20, [payments, make_service("Signup")])
    client = client_as("commander")
    with CaptureQueriesContext(connection) as queries:
        response = poll(client, query=f"service={payments.slug}&team={payments.owner_team.slug}")
    assert response.status_code == 200
    assert len(queries) == PARTIAL_QUERIES + 2  # the service and the team, found by slug
