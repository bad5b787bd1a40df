"""In a browser: the commander takes the review drafted for a resolved incident, writes its
sections, adds action items that land on the impact–effort matrix, sends it for review and
publishes it; leadership then finds the read-only report in the list."""

import os

import pytest

from portal.health import SWEEP
from portal.models import Heartbeat
from reviews.models import Review
from reviews.services import reviews_draft_due
from tests.conftest import ARTIFACTS, screenshot
from tests.reviews.builders import make_org, script_incident

# serialized_rollback: the decision authority, response targets and escalation policies the
# scripted incident runs on are rows written by migrations.
pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ITEMS = [
    # title, impact, effort: one per quadrant, and a second quick win
    ("Alert on failed sync runs", "5", "1"),
    ("Move the records base off the shared Airtable plan", "4", "5"),
    ("Rename the checkout scenarios", "1", "2"),
    ("Rebuild the sync in code", "2", "4"),
    ("Add the base to the status page", "3", "2"),
]


def test_a_review_walks_from_draft_to_published(cast, browser_login, live_server):
    org = make_org()
    incident = script_incident(org, cast)
    reviews_draft_due()
    review = Review.objects.get(incident=incident)
    # In production beat sweeps beside the web process; without it every page would carry
    # the "escalations are not running" banner, which is not what the screenshots are about.
    Heartbeat.record(SWEEP)

    page = browser_login("commander")
    page.goto(f"{live_server.url}/reviews/")
    page.locator(f"#review-{review.pk}").get_by_role("link").first.click()
    page.wait_for_url(f"**/reviews/{review.pk}/")
    assert page.locator("#review-state").inner_text() == "Draft"
    assert "Pause the checkout sync scenario" in page.locator("#decisions").inner_text()
    assert "Retries pile up" in page.locator("#decisions").inner_text()
    assert page.locator("#timeline tbody tr").count() == incident.timeline.count()

    page.get_by_role("link", name="Write sections").click()
    page.fill("#id_sections-narrative", "The records base answered 503 for 95 minutes; "
              "checkout could not look customers up and orders queued.")
    page.select_option("#id_sections-cause_class", "mixed")
    page.fill("#id_sections-cause_analysis", "Airtable throttled the shared plan, and our "
              "sync scenario retried without backing off, which kept it throttled.")
    page.fill("#id_sections-contributing_factors",
              "Shared Airtable plan\nRetries without back-off\nNo alert on failed runs")
    page.fill("#id_sections-lessons_learned", "Retries must back off; failed runs must alert.")
    page.get_by_role("button", name="Save sections").click()
    page.wait_for_url(f"**/reviews/{review.pk}/")
    assert page.locator("#cause-class").inner_text() == "Mixed"

    for title, impact, effort in ITEMS:
        form = page.locator("#add-item")
        form.locator("#id_item-title").fill(title)
        form.locator("#id_item-owner_team").select_option(label="Payments team")
        form.locator("#id_item-due_on").fill("2026-12-18")
        form.locator("#id_item-impact").select_option(impact)
        form.locator("#id_item-effort").select_option(effort)
        form.get_by_role("button", name="Add action item").click()
        page.wait_for_load_state()
    assert page.locator("#matrix-chart .matrix-dot").count() == len(ITEMS)
    first_two = page.locator(".priorities .item-title").all_inner_texts()[:2]
    assert first_two == ["Alert on failed sync runs", "Add the base to the status page"]
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.locator("#matrix").screenshot(path=os.path.join(ARTIFACTS, "review-matrix.png"))

    page.get_by_role("button", name="Send for review").click()
    page.wait_for_load_state()
    assert page.locator("#review-state").inner_text() == "In review"
    page.get_by_role("button", name="Publish").click()
    page.wait_for_load_state()
    assert page.locator("#review-state").inner_text() == "Published"
    assert "No one on a distribution list was told" in page.locator(".messages").inner_text()
    assert "read-only" in page.locator("#readonly-note").inner_text()
    assert page.get_by_role("link", name="Write sections").count() == 0
    screenshot(page, "review-report")

    review.refresh_from_db()
    assert review.state == "published" and review.versions.count() == 1
    leader = browser_login("leader")
    leader.goto(f"{live_server.url}/reviews/")
    assert review.reference in leader.locator("#published").inner_text()
