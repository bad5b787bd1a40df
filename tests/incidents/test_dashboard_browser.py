"""In a browser: the leader's dashboard draws its charts, its "now" panels follow a change by
themselves, and a responder is refused."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import (
    Connector,
    Incident,
    IncidentRole,
    IncidentRoleKind,
    IncidentStatus,
    Service,
    ServiceDependency,
    ServiceStatus,
    Tier,
)
from tests.conftest import screenshot
from tests.incidents.factories import make_person, make_service, make_team

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

POLL_SECONDS = 5
WITHIN_ONE_POLL_MS = (POLL_SECONDS + 3) * 1000
# Painted pixels (alpha above zero) a drawn chart has at the least: axes, labels, bars.
PAINTED_PIXELS = 2000
COUNT_PAINTED = """canvas => {
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 3; i < data.length; i += 4) if (data[i] > 0) painted++;
  return painted;
}"""


def build_month():
    """A month of history: a payments and an onboarding process, incidents every day with
    varied response times, three of them open now, and a failing connector."""
    now = timezone.now()
    payments, growth = make_team("Payments"), make_team("Growth")
    checkout = make_service(
        "Checkout", tier=Tier.CRITICAL, business_process="Payments", owner_team=payments
    )
    billing = make_service(
        "Billing sync", tier=Tier.IMPORTANT, business_process="Invoicing", owner_team=payments
    )
    signup = make_service(
        "Signup form", tier=Tier.CRITICAL, business_process="Onboarding", owner_team=growth
    )
    ServiceDependency.objects.create(service=checkout, depends_on=billing)
    stripe = Connector.objects.create(
        name="Stripe module", vendor="Stripe", platform="make",
        failing_since=now - timedelta(minutes=12), failure_note="HTTP 502 from Stripe",
    )
    billing.connectors.add(stripe)
    services = [checkout, billing, signup]
    for n in range(45):
        declared = now - timedelta(days=29) + timedelta(hours=n * 15)
        incident = Incident.objects.create(
            title=f"Past incident {n}",
            severity=f"sev{n % 4 + 1}",
            status=IncidentStatus.CLOSED,
            declared_at=declared,
            acknowledged_at=declared + timedelta(minutes=2 + n % 9) if n % 7 else None,
            triaged_at=declared + timedelta(minutes=10 + n % 25),
            first_decision_at=declared + timedelta(minutes=40 + n % 50) if n % 3 else None,
            resolved_at=declared + timedelta(minutes=60 + (n * 37) % 300),
            closed_at=declared + timedelta(hours=8),
            escalation_level=n % 4,
            updated_at=declared,
        )
        incident.services.set([services[n % 3]])
    people = [make_person(name) for name in ("Ada Commander", "Ben Lead", "Cy Liaison")]
    for n, (title, severity) in enumerate(
        [("Card payments failing", "sev1"), ("Invoices delayed", "sev2"), ("Slow signup", "sev3")]
    ):
        declared = now - timedelta(minutes=20 + n * 35)
        incident = Incident.objects.create(
            title=title, severity=severity, declared_at=declared, updated_at=declared,
            acknowledged_at=declared + timedelta(minutes=3) if n else None,
        )
        incident.services.set([services[n]])
        IncidentRole.objects.create(
            incident=incident, kind=IncidentRoleKind.COMMANDER, holder=people[0]
        )
        IncidentRole.objects.create(
            incident=incident, kind=IncidentRoleKind.TECHNICAL_LEAD, holder=people[n]
        )
    return signup


def test_leader_sees_charts_drawn_and_the_panels_follow_changes(cast, browser_login, live_server):
    signup = build_month()
    page = browser_login("leader")
    response = page.goto(f"{live_server.url}/dashboard/")
    assert response.status == 200
    page.evaluate("window.dashboardNeverReloaded = true")

    canvases = page.locator("canvas[data-chart]")
    assert canvases.count() == 4
    for index in range(canvases.count()):
        canvas = canvases.nth(index)
        assert canvas.get_attribute("data-drawn") == "1"
        assert canvas.evaluate(COUNT_PAINTED) > PAINTED_PIXELS
    # The numbers beside each chart are there for readers without the chart.
    assert page.locator(".dashboard-chart-table table").count() == 4
    now_panel = page.locator("#dashboard-now")
    assert "Card payments failing" in now_panel.inner_text()
    assert "Stripe module" in now_panel.inner_text()
    screenshot(page, "dashboard")

    Service.objects.filter(pk=signup.pk).update(status=ServiceStatus.MAJOR_OUTAGE)
    critical = page.locator("#critical-heading + .table-scroll table")
    critical.get_by_text("Major outage").wait_for(timeout=WITHIN_ONE_POLL_MS)
    assert page.evaluate("window.dashboardNeverReloaded") is True


def test_responder_is_refused(cast, browser_login, live_server):
    page = browser_login("responder")
    response = page.goto(f"{live_server.url}/dashboard/")
    assert response.status == 403
    assert page.locator("canvas").count() == 0
