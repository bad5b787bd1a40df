"""In a browser: the commander resolves a public incident, is warned of the task still open,
goes on, and the status page and its feed show the incident resolved."""

import pytest

from incidents.comms.publish import update_publish
from incidents.comms.render import Draft
from incidents.services import incident_declare, task_add
from tests.incidents.factories import make_service

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_resolving_a_public_incident_puts_resolved_on_the_status_page_and_feed(
    cast, browser_login, live_server
):
    service = make_service("Identity verification", tier=1, public=True,
                           business_process="Customer onboarding")
    incident = incident_declare(
        title="Identity checks timing out", severity="sev2", services=[service],
        declared_by=cast["commander"],
    )
    update_publish(incident=incident, by=cast["commander"], draft=Draft(
        what_happened="Identity checks time out.", current_impact="Sign-ups stall.",
        being_done="Switching provider.", responsible="The incident team",
        expected_timeline="Within the hour.", customer_headline="Sign-up verification delays",
        visibility="public",
    ))
    task_add(incident=incident, title="Re-run the stuck sign-ups", assignee=None,
             by=cast["commander"])

    page = browser_login("commander")
    page.goto(f"{live_server.url}{incident.get_absolute_url()}")
    page.get_by_role("button", name="Resolve", exact=True).click()
    page.wait_for_load_state()
    warnings = page.locator("#resolve-warnings")
    warnings.wait_for()
    assert "1 task is still open: Re-run the stuck sign-ups." in warnings.inner_text()
    page.get_by_role("button", name="Resolve anyway").click()
    page.wait_for_load_state()
    page.get_by_text("the “Resolved” update is on the status page").wait_for()

    page.goto(f"{live_server.url}/status/")
    recent = page.locator("#recent")
    assert "Sign-up verification delays" in recent.inner_text()
    assert "Resolved" in recent.inner_text()
    assert "Identity verification works normally again" in recent.inner_text()
    assert page.locator("#incidents").count() == 0  # nothing active any more

    feed = page.request.get(f"{live_server.url}/status/feed.atom").text()
    newest = feed.split("<entry>")[1]
    assert "<title>Resolved: Sign-up verification delays</title>" in newest
