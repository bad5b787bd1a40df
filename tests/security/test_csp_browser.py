"""Finding 8, in a browser: under the Content-Security-Policy (scripts from the portal's own
files only, no eval) the board, the incident page's htmx actions, the dashboard, the status
page, the login form and the admin site still work, and Chromium reports no violation of the
policy — neither as a ``securitypolicyviolation`` event nor on the console."""

import pytest

from incidents.models import Incident, Service, ServiceStatus, Tier
from incidents.services import incident_declare
from tests.conftest import PASSWORD, screenshot
from tests.incidents.factories import make_service
from tests.incidents.test_dashboard_browser import build_month

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

POLL_SECONDS = 5
WITHIN_ONE_POLL_MS = (POLL_SECONDS + 3) * 1000

# Runs before any script of each document: keeps every violation the page reports.
RECORD_VIOLATIONS = """
window.cspViolations = [];
document.addEventListener("securitypolicyviolation", function (event) {
  window.cspViolations.push(event.violatedDirective + " blocked " + (event.blockedURI || "inline")
    + " at " + event.sourceFile + ":" + event.lineNumber);
});
"""
# What Chromium and htmx write to the console when the policy or htmx's eval switch stops
# something: "Refused to execute inline script…", "htmx:evalDisallowedError".
CONSOLE_SIGNS = ("Content Security Policy", "Refused to", "htmx:evalDisallowedError")


class Watched:
    """A page whose policy violations and console complaints are kept from its first load."""

    def __init__(self, page):
        self.page = page
        self.console = []
        page.add_init_script(RECORD_VIOLATIONS)
        page.on("console", self._keep)

    def _keep(self, message):
        if any(sign in message.text for sign in CONSOLE_SIGNS):
            self.console.append(f"{message.type}: {message.text}")

    def violations(self) -> list[str]:
        reported = self.page.evaluate("window.cspViolations || []")
        return reported + self.console


@pytest.fixture
def open_as(browser, live_server):
    """``open_as("commander")`` → a watched page, logged in through the login form (watched
    too); ``open_as(None)`` → a watched page of an anonymous visitor."""
    contexts = []

    def open_page(username: str | None) -> Watched:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        contexts.append(context)
        watched = Watched(context.new_page())
        if username is not None:
            page = watched.page
            page.goto(f"{live_server.url}/accounts/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state()
            assert page.url == f"{live_server.url}/", "the login went through"
        return watched

    yield open_page
    for context in contexts:
        context.close()


def test_the_board_polls_pauses_for_a_note_and_acknowledges_under_the_policy(
    cast, open_as, live_server
):
    checkout = make_service("Checkout flow", slug="checkout", tier=Tier.CRITICAL)
    first = incident_declare(
        title="Card payments failing", severity="sev1", declared_by=cast["commander"],
        services=[checkout],
    )
    board = open_as("responder")
    page = board.page
    page.goto(f"{live_server.url}/board/")
    assert page.evaluate("htmx.config.allowEval") is False  # read from the meta tag
    card = page.locator(f"#incident-{first.pk}")
    card.wait_for()

    # A note being written holds the poll (board.js, not an eval'd hx-trigger filter) ...
    note = card.locator("input[name=text]")
    note.fill("Stripe says webhooks are delayed")
    second = incident_declare(
        title="Invoices not sent", severity="sev2", declared_by=cast["commander"],
        services=[checkout],
    )
    page.wait_for_timeout(WITHIN_ONE_POLL_MS)
    assert page.locator(f"#incident-{second.pk}").count() == 0
    assert note.input_value() == "Stripe says webhooks are delayed"
    # ... and the next poll after it brings the board up to date.
    note.fill("")
    page.locator("h1").click()  # the field loses focus
    page.locator(f"#incident-{second.pk}").wait_for(timeout=WITHIN_ONE_POLL_MS)

    card.get_by_role("button", name="Acknowledge").click()
    card.get_by_text(f"INC-{first.pk} acknowledged.").wait_for()
    assert Incident.objects.get(pk=first.pk).acknowledged_at is not None
    assert board.violations() == []


def test_the_incident_page_actions_work_under_the_policy(cast, open_as, live_server):
    checkout = make_service("Checkout flow", slug="checkout", tier=Tier.CRITICAL)
    incident = incident_declare(
        title="Card payments failing", severity="sev1", declared_by=cast["commander"],
        services=[checkout],
    )
    watched = open_as("commander")
    page = watched.page
    page.goto(f"{live_server.url}/incidents/{incident.pk}/")
    page.evaluate("window.pageNeverReloaded = true")

    page.locator("form:has(input[name=action][value=note]) textarea").fill(
        "Rolled back the Make scenario to yesterday's version."
    )
    page.get_by_role("button", name="Add to the timeline").click()
    page.locator("#timeline").get_by_text("Rolled back the Make scenario").wait_for()
    page.locator("#incident-summary").get_by_role("button", name="Acknowledge").click()
    page.locator("#incident-summary").get_by_role("button", name="Acknowledge").wait_for(
        state="detached"
    )
    assert page.evaluate("window.pageNeverReloaded") is True  # swapped by htmx, not reloaded
    assert Incident.objects.get(pk=incident.pk).acknowledged_at is not None
    page.wait_for_timeout(WITHIN_ONE_POLL_MS)  # one poll of the live timeline
    assert watched.violations() == []


def test_the_dashboard_draws_its_charts_and_polls_under_the_policy(cast, open_as, live_server):
    signup = build_month()
    watched = open_as("leader")
    page = watched.page
    assert page.goto(f"{live_server.url}/dashboard/").status == 200
    canvases = page.locator("canvas[data-chart]")
    assert canvases.count() == 4
    for index in range(canvases.count()):
        assert canvases.nth(index).get_attribute("data-drawn") == "1"
    Service.objects.filter(pk=signup.pk).update(status=ServiceStatus.MAJOR_OUTAGE)
    critical = page.locator("#critical-heading + .table-scroll table")
    critical.get_by_text("Major outage").wait_for(timeout=WITHIN_ONE_POLL_MS)
    screenshot(page, "dashboard-under-csp")
    assert watched.violations() == []


def test_the_status_page_and_the_login_form_show_no_violation(cast, open_as, live_server):
    make_service("Checkout flow", slug="checkout", tier=Tier.CRITICAL, public=True)
    visitor = open_as(None)
    response = visitor.page.goto(f"{live_server.url}/status/")
    assert response.status == 200
    assert "Checkout flow" in visitor.page.locator("main").inner_text()
    visitor.page.goto(f"{live_server.url}/accounts/login/")
    assert visitor.violations() == []
    assert open_as("commander").violations() == []  # the login form, then home


def test_the_admin_site_shows_no_violation(cast, open_as, live_server):
    admin = open_as("roster_admin")
    page = admin.page
    assert page.goto(f"{live_server.url}/admin/").status == 200
    assert page.goto(f"{live_server.url}/admin/incidents/service/add/").status == 200
    page.locator("#id_name").fill("Refund flow")
    assert admin.violations() == []
