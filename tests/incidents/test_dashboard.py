"""/dashboard/: who may see it, what its panels show, its live partial and its exports."""

import csv
import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from django.core.cache import cache

from incidents.metrics.definitions import DEFINITIONS
from incidents.models import (
    Connector,
    ContactMethod,
    Incident,
    IncidentRole,
    IncidentRoleKind,
    IncidentStatus,
    Notification,
    Service,
    ServiceDependency,
    ServiceStatus,
    Tier,
)
from tests.incidents.factories import make_person, make_service, make_team

URL = "/dashboard/"
HTMX = {"HX-Request": "true"}
NOW = datetime(2026, 3, 12, 12, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


@pytest.fixture(autouse=True)
def fresh_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def catalog(db):
    payments = make_team("Payments team")
    checkout = make_service(
        "Checkout", tier=Tier.CRITICAL, business_process="Payments", owner_team=payments
    )
    billing = make_service(
        "Billing sync", tier=Tier.IMPORTANT, business_process="Invoicing", owner_team=payments
    )
    onboarding = make_service("Signup form", tier=Tier.CRITICAL, business_process="Onboarding")
    # Checkout needs the billing sync: trouble there reaches the payments process.
    ServiceDependency.objects.create(service=checkout, depends_on=billing)
    return {"checkout": checkout, "billing": billing, "onboarding": onboarding}


def declare(title, severity="sev1", *, ago=timedelta(minutes=30), services=(), **fields):
    incident = Incident.objects.create(
        title=title, severity=severity, declared_at=NOW - ago, updated_at=NOW - ago, **fields
    )
    incident.services.set(services)
    return incident


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.mark.parametrize("name", ["leader", "commander"])
def test_leadership_and_commanders_see_the_dashboard(client_as, name):
    response = client_as(name).get(URL)
    assert response.status_code == 200
    assert "Leadership dashboard" in response.content.decode()


@pytest.mark.parametrize("name", ["responder", "comms", "roster_admin", "outsider"])
def test_other_roles_are_refused(client_as, name):
    assert client_as(name).get(URL).status_code == 403
    assert client_as(name).get(URL, headers=HTMX).status_code == 403
    assert client_as(name).get(URL + "?_export=csv").status_code == 403


def test_anonymous_visitor_is_sent_to_login(client, db):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_only_reading_methods_are_allowed(client_as):
    assert client_as("leader").post(URL).status_code == 405


def test_now_panels_show_critical_services_open_incidents_and_impact(client_as, catalog, clock):
    catalog["billing"].status = ServiceStatus.MAJOR_OUTAGE
    catalog["billing"].save()
    late = declare("Card payments failing", services=[catalog["checkout"]], ago=40 * MIN)
    commander = make_person("Cora Commander")
    IncidentRole.objects.create(incident=late, kind=IncidentRoleKind.COMMANDER, holder=commander)
    declare("Signup slow", "sev3", services=[catalog["onboarding"]], ago=5 * MIN,
            acknowledged_at=NOW - 4 * MIN)

    page = text(client_as("leader").get(URL))
    assert "Critical services (tier 1)" in page
    assert "Checkout" in page and "Signup form" in page
    # The SEV1 was never acknowledged within 5 minutes: its target is missed.
    assert f"INC-{late.pk}</a> Card payments failing" in page
    assert "Missed: Acknowledge" in page
    assert "Cora Commander" in page
    assert "40 min" in page
    # Payments is hit through Checkout (the incident) and through its billing dependency.
    impact = page.split('id="impact-heading"')[1].split('id="workload-heading"')[0]
    assert "Payments" in impact and "Invoicing" in impact
    assert "needs Billing sync" in impact
    assert "Billing sync is major outage" in impact


def test_failing_connector_impacts_the_processes_that_depend_on_it(client_as, catalog, clock):
    stripe = Connector.objects.create(
        name="Stripe (Make)", vendor="Stripe", platform="make", failing_since=NOW - 10 * MIN
    )
    catalog["billing"].connectors.add(stripe)
    page = text(client_as("leader").get(URL))
    impact = page.split('id="impact-heading"')[1].split('id="workload-heading"')[0]
    assert "Failing connectors:" in impact
    assert "connector Stripe (Make) failing, used by Billing sync" in impact
    assert "Payments" in impact  # through Checkout, which needs Billing sync


def test_workload_counts_seats_and_pages_per_person(client_as, catalog, clock):
    incident = declare("Checkout down", services=[catalog["checkout"]])
    other = declare("Billing stuck", "sev2", services=[catalog["billing"]])
    busy = make_person("Bea Busy")
    IncidentRole.objects.create(incident=incident, kind=IncidentRoleKind.COMMANDER, holder=busy)
    IncidentRole.objects.create(
        incident=other, kind=IncidentRoleKind.TECHNICAL_LEAD, holder=busy
    )
    method = ContactMethod.objects.create(person=busy, kind="email", address="bea@example.org")
    for n, ago in enumerate([MIN, 2 * 60 * MIN, 3 * 24 * 60 * MIN, 9 * 24 * 60 * MIN]):
        Notification.objects.create(
            incident=incident, reason=Notification.Reason.ESCALATION, cause=f"t:{n}",
            recipient=busy, contact_method=method, channel="email", urgency="urgent",
            subject="s", body="b", idempotency_key=f"k{n}", queued_at=NOW - ago,
        )
    drill = declare("Drill", services=[catalog["checkout"]], is_drill=True)
    Notification.objects.create(
        incident=drill, reason=Notification.Reason.ESCALATION, cause="drill",
        recipient=busy, contact_method=method, channel="email", urgency="urgent",
        subject="s", body="b", idempotency_key="drill", queued_at=NOW - MIN,
    )
    page = text(client_as("leader").get(URL))
    workload = page.split('id="workload-heading"')[1].split("</table>")[0]
    assert "Bea Busy <span class=\"flag\">busy</span>" in workload
    seats = f'<a href="/incidents/{incident.pk}/">INC-{incident.pk}</a>: Incident commander'
    assert seats in workload
    assert f'INC-{other.pk}</a>: Technical lead (no-code)' in workload
    # Two pages in the last 24 h, three in the last 7 days (the 9-day-old one is out, and
    # the drill's page counts only when drills are asked for).
    assert "<td>2</td> <td>3</td>" in workload
    with_drills = text(client_as("leader").get(URL + "?drills=1"))
    assert "<td>3</td> <td>4</td>" in with_drills.split('id="workload-heading"')[1]


def test_drills_are_left_out_unless_asked_for(client_as, catalog, clock):
    declare("Fire drill", services=[catalog["checkout"]], is_drill=True)
    assert "Fire drill" not in text(client_as("leader").get(URL))
    assert "Fire drill" in text(client_as("leader").get(URL + "?drills=1"))


def test_poll_answers_204_while_nothing_changed(client_as, catalog, clock):
    client = client_as("leader")
    incident = declare("Checkout down", services=[catalog["checkout"]])
    first = client.get(URL, headers=HTMX)
    assert first.status_code == 200
    assert first["Vary"] and "HX-Request" in first["Vary"]
    body = first.content.decode()
    assert body.lstrip().startswith('<section id="dashboard-now"')
    assert "Response over the last" not in body  # the partial alone
    version = re.search(r'data-version="([^"]+)"', body).group(1)

    unchanged = client.get(f"{URL}?period=30&v={version}", headers=HTMX)
    assert unchanged.status_code == 204
    assert unchanged.content == b""

    Incident.objects.filter(pk=incident.pk).update(updated_at=NOW + MIN)
    assert client.get(f"{URL}?v={version}", headers=HTMX).status_code == 200


def test_poll_sees_a_service_status_change(client_as, catalog, clock):
    client = client_as("leader")
    version = re.search(
        r'data-version="([^"]+)"', client.get(URL, headers=HTMX).content.decode()
    ).group(1)
    Service.objects.filter(pk=catalog["checkout"].pk).update(status=ServiceStatus.DEGRADED)
    response = client.get(f"{URL}?v={version}", headers=HTMX)
    assert response.status_code == 200
    assert "Degraded performance" in response.content.decode()


def test_poll_refreshes_once_a_minute_for_the_clocks(client_as, catalog, clock):
    client = client_as("leader")
    version = re.search(
        r'data-version="([^"]+)"', client.get(URL, headers=HTMX).content.decode()
    ).group(1)
    clock.shift(timedelta(seconds=61))
    assert client.get(f"{URL}?v={version}", headers=HTMX).status_code == 200


def test_the_full_page_also_varies_on_htmx(client_as):
    response = client_as("leader").get(URL)
    assert "HX-Request" in response["Vary"]
    assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]


def test_metrics_show_figures_charts_with_tables_and_definitions(client_as, catalog, clock):
    declare("Acked", services=[catalog["checkout"]], ago=3 * 24 * 60 * MIN,
            acknowledged_at=NOW - 3 * 24 * 60 * MIN + 4 * MIN,
            resolved_at=NOW - 3 * 24 * 60 * MIN + 120 * MIN, status=IncidentStatus.CLOSED)
    declare("Never acked", "sev2", ago=2 * 24 * 60 * MIN)
    page = text(client_as("leader").get(URL))
    figures = page.split('class="dashboard-figures"')[1].split("</ul>")[0]
    assert "MTTA</span> <span class=\"dashboard-figure-value\">4 min</span>" in figures
    assert "over 1 acknowledged · 1 never acknowledged" in figures
    assert "MTTR</span> <span class=\"dashboard-figure-value\">2 h 00 min</span>" in figures
    for slug in ("incidents-per-bucket", "mtta-trend", "mttr-trend", "missed-by-severity"):
        assert f'id="chart-data-{slug}"' in page  # the numbers for the chart
        assert f'data-chart="chart-data-{slug}"' in page  # its canvas
    # Every figure links to its definition, and every definition is on the page.
    for anchor in re.findall(r'class="dashboard-how" href="#([^"]+)"', page):
        assert f'id="{anchor}"' in page
    for definition in DEFINITIONS:
        assert definition.term in page


def test_period_switch(client_as, catalog, clock):
    declare(
        "Five weeks ago", ago=35 * 24 * 60 * MIN, resolved_at=NOW - 34 * 24 * 60 * MIN,
        status=IncidentStatus.CLOSED,
    )
    client = client_as("leader")
    assert "Five weeks ago" not in text(client.get(URL))
    assert "Five weeks ago" in text(client.get(URL + "?period=90"))
    assert "Response over the last 30 days" in text(client.get(URL + "?period=12"))


def test_incident_table_filters_sorts_and_exports_csv(client_as, catalog, clock):
    team_incident = declare(
        "=HYPERLINK(evil)", services=[catalog["checkout"], catalog["billing"]],
        ago=60 * MIN, acknowledged_at=NOW - 50 * MIN,
    )
    declare("Signup broken", "sev2", services=[catalog["onboarding"]], ago=90 * MIN,
            acknowledged_at=NOW - 88 * MIN)
    client = client_as("leader")

    filtered = text(client.get(URL + "?team=payments-team"))
    table = filtered.split('id="incidents-heading"')[1]
    assert "HYPERLINK" in table and "Signup broken" not in table

    by_ack = text(client.get(URL + "?sort=acknowledge"))
    table = by_ack.split('id="incidents-heading"')[1]
    assert table.index("Signup broken") < table.index("HYPERLINK")

    response = client.get(URL + "?_export=csv&team=payments-team")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:4] == ["Incident", "Title", "Severity", "Status"]
    assert "Time to acknowledge (min)" in rows[0]
    assert len(rows) == 2
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["Incident"] == f"INC-{team_incident.pk}"
    assert record["Title"] == "'=HYPERLINK(evil)"  # made inert for a spreadsheet
    assert record["Time to acknowledge (min)"] == "10.0"
    assert record["Services"] == "Checkout; Billing sync"  # most critical first


def test_invalid_filter_refuses_the_export(client_as, catalog):
    response = client_as("leader").get(URL + "?_export=csv&severity=sev9")
    assert response.status_code == 400


def test_breakdowns_export_as_csv(client_as, catalog, clock):
    declare("A", services=[catalog["checkout"]], ago=60 * MIN, acknowledged_at=NOW - 58 * MIN)
    response = client_as("leader").get(URL + "?_export=csv&_table=service")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    record = dict(zip(rows[0], rows[1], strict=True))
    assert record["Service"] == "Checkout"
    assert record["Incidents"] == "1"
    assert record["MTTA (min)"] == "2.0"
    assert "MTTA" not in rows[0]  # the page's readable column stays on the page


def test_readme_states_every_definition_as_the_page_does():
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    section = " ".join(readme.split("## Metric definitions", 1)[1].split())
    for definition in DEFINITIONS:
        assert f"**{definition.term}.** {definition.text}" in section
