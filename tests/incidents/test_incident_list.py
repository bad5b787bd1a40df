"""/incidents/: every incident, open and closed, filtered, searched, sorted, exported."""

import csv
import io
from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from incidents.comms.publish import update_publish
from incidents.comms.render import Draft
from incidents.models import Tier
from incidents.services import incident_add_note, incident_declare, incident_set_status
from tests.incidents.factories import make_service, make_team

URL = reverse("incidents:incident_list")
T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def declare(title, *, severity="sev3", services=(), at=T0, drill=False, summary=""):
    with time_machine.travel(at, tick=False):
        return incident_declare(
            title=title, severity=severity, services=services, declared_by=None,
            is_drill=drill, summary=summary,
        )


def numbers(response) -> list[int]:
    return [row.record.pk for row in response.context["table"].paginated_rows]


@pytest.fixture
def catalog(db):
    growth = make_team("Growth", slug="growth")
    finance = make_team("Finance", slug="finance")
    return {
        "onboarding": make_service("Onboarding", slug="onboarding", tier=Tier.CRITICAL,
                                   owner_team=growth),
        "payments": make_service("Payments", slug="payments", owner_team=finance),
    }


@pytest.mark.parametrize("name", ["leader", "commander", "responder", "comms"])
def test_the_roles_that_read_incidents_open_it(client_as, name):
    assert client_as(name).get(URL).status_code == 200


@pytest.mark.parametrize("name", ["roster_admin", "outsider"])
def test_others_are_refused(client_as, name):
    assert client_as(name).get(URL).status_code == 403


def test_open_and_closed_incidents_are_both_listed(client_as, cast):
    open_one = declare("Signup Zap slow")
    closed = declare("Invoices not sent", at=datetime(2026, 3, 1, tzinfo=UTC))
    incident_set_status(incident=closed, status="resolved", by=cast["commander"])
    incident_set_status(incident=closed, status="closed", by=cast["commander"])
    response = client_as("leader").get(URL)
    assert numbers(response) == [open_one.pk, closed.pk]
    assert "INC-" in response.text and "Invoices not sent" in response.text


def test_filters_by_status_severity_service_team_dates_and_drill(client_as, catalog, cast):
    a = declare("A", severity="sev1", services=[catalog["onboarding"]],
                at=datetime(2026, 3, 1, 12, tzinfo=UTC))
    b = declare("B", severity="sev2", services=[catalog["payments"]],
                at=datetime(2026, 3, 5, 12, tzinfo=UTC))
    c = declare("C", severity="sev2", services=[catalog["onboarding"], catalog["payments"]],
                drill=True, at=datetime(2026, 3, 9, 12, tzinfo=UTC))
    incident_set_status(incident=b, status="resolved", by=cast["commander"])
    client = client_as("commander")
    assert numbers(client.get(URL, {"severity": "sev2"})) == [c.pk, b.pk]
    assert numbers(client.get(URL, {"status": "resolved"})) == [b.pk]
    assert numbers(client.get(URL, {"status": "open"})) == [c.pk, a.pk]
    assert numbers(client.get(URL, {"service": "payments"})) == [c.pk, b.pk]
    assert numbers(client.get(URL, {"team": "growth"})) == [c.pk, a.pk]
    assert numbers(client.get(URL, {"drill": "yes"})) == [c.pk]
    assert numbers(client.get(URL, {"drill": "no"})) == [b.pk, a.pk]
    window = {"declared_after": "2026-03-05", "declared_before": "2026-03-05"}
    assert numbers(client.get(URL, window)) == [b.pk]


def test_search_reads_titles_summaries_notes_and_updates(client_as, cast):
    by_title = declare("HubSpot sync stalled")
    by_summary = declare("Slow pages", summary="Airtable quota hit on the base")
    by_note = declare("Forms lost")
    incident_add_note(
        incident=by_note, text="Typeform webhook signature rotated", by=cast["commander"]
    )
    by_update = declare("Invoices late")
    update_publish(
        incident=by_update,
        draft=Draft(
            what_happened="Stripe payouts delayed", current_impact="Invoices late",
            being_done="Retrying", responsible="Finance", expected_timeline="Today",
        ),
        by=cast["commander"],
    )
    declare("Unrelated")
    client = client_as("responder")
    assert numbers(client.get(URL, {"q": "hubspot"})) == [by_title.pk]
    assert numbers(client.get(URL, {"q": "airtable"})) == [by_summary.pk]
    assert numbers(client.get(URL, {"q": "typeform"})) == [by_note.pk]
    assert numbers(client.get(URL, {"q": "stripe"})) == [by_update.pk]
    assert numbers(client.get(URL, {"q": "nothing-like-this"})) == []


def test_sorting_by_severity(client_as):
    low = declare("Low", severity="sev4")
    high = declare("High", severity="sev1", at=datetime(2026, 3, 1, tzinfo=UTC))
    assert numbers(client_as("leader").get(URL, {"sort": "severity"})) == [high.pk, low.pk]
    assert numbers(client_as("leader").get(URL, {"sort": "-severity"})) == [low.pk, high.pk]


def test_pages_of_fifty(client_as):
    for n in range(55):
        declare(f"Incident {n}", at=datetime(2026, 3, 1, 0, n, tzinfo=UTC))
    client = client_as("leader")
    assert len(numbers(client.get(URL))) == 50
    assert len(numbers(client.get(URL, {"page": "2"}))) == 5
    assert len(numbers(client.get(URL, {"page": "not-a-page"}))) == 50


def test_the_csv_export_has_every_matching_incident(client_as, catalog):
    declare("=HYPERLINK(1)", severity="sev1", services=[catalog["payments"]])
    declare("Other", severity="sev4")
    response = client_as("leader").get(URL, {"severity": "sev1", "_export": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Number", "Title", "Severity", "Status", "Services", "Declared",
                       "Resolved", "Drill"]
    assert len(rows) == 2
    assert rows[1][1] == "'=HYPERLINK(1)"
    assert rows[1][4] == "Payments"
    assert rows[1][7] == "no"


@pytest.mark.parametrize(
    "query, problem",
    [
        ({"severity": "sev9"}, "Select a valid choice"),
        ({"service": "no-such-service"}, "Select a valid choice"),
        ({"declared_after": "yesterday"}, "Enter a valid date"),
        ({"q": "x" * 201}, "at most 200 characters"),
    ],
)
def test_bad_filters_are_a_400_with_the_reason(client_as, query, problem, db):
    declare("Something")
    response = client_as("leader").get(URL, query)
    assert response.status_code == 400
    assert problem in response.text
    assert client_as("leader").get(URL, {**query, "_export": "csv"}).status_code == 400


@pytest.mark.parametrize("count", [5, 60])
def test_queries_per_page_do_not_grow_with_incidents(client_as, catalog, count,
                                                     django_assert_num_queries):
    for n in range(count):
        declare(f"Zap {n}", services=[catalog["onboarding"], catalog["payments"]],
                at=datetime(2026, 3, 1, 0, n, tzinfo=UTC))
    client = client_as("commander")
    client.get(URL)  # the session and the user's roles, read once
    # session, user, roles, the header's declare question, the sweep banner, the team
    # filter's team, count, page, the page's services, the filter form's services and teams
    with django_assert_num_queries(11):
        response = client.get(URL, {"q": "zap", "team": "growth", "severity": "sev3"})
    assert len(numbers(response)) == min(count, 50)
