"""In a browser: a commander declares from the header's button, adds a note, and finds the
incident again in /incidents/ by a word of that note; the list fits a 390 px phone."""

import pytest

from incidents.models import Incident, Tier
from tests.conftest import screenshot
from tests.incidents.factories import make_service

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_declare_from_the_header_then_find_it_by_a_word_of_its_timeline(
    cast, browser_login, live_server
):
    make_service("Lead capture", slug="leads", tier=Tier.CRITICAL, business_process="Sales")
    page = browser_login("commander")
    page.goto(f"{live_server.url}/services/")
    page.locator("header").get_by_role("link", name="Declare incident").click()
    page.wait_for_url("**/incidents/new/")
    page.fill("#id_title", "New leads missing in the CRM")
    page.locator("input[name=severity][value=sev2]").check()
    page.get_by_label("Lead capture", exact=False).check()
    page.get_by_role("button", name="Declare").click()
    page.wait_for_url("**/incidents/*/")
    incident = Incident.objects.get(title="New leads missing in the CRM")

    page.locator("textarea[name=note-text]").fill("The Pipedrive webhook answers 410 since 9:02.")
    page.get_by_role("button", name="Add to the timeline").click()
    page.locator("#timeline").get_by_text("Pipedrive webhook").wait_for()

    page.locator("header").get_by_role("link", name="Incidents").click()
    page.wait_for_url("**/incidents/")
    page.fill("#id_q", "pipedrive")
    page.get_by_role("button", name="Filter").click()
    page.wait_for_url("**/incidents/?q=pipedrive*")
    rows = page.locator("table.incident-list tbody tr")
    assert rows.count() == 1
    assert incident.reference in rows.first.inner_text()
    assert "New leads missing in the CRM" in rows.first.inner_text()
    screenshot(page, "incident-list-search")

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}/incidents/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.goto(f"{live_server.url}/")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "incident-list-390")
