"""The playbook page and a drill report in a real browser: the text renders, no script from
the playbook runs, and the report's verdict, figures and chart are on screen."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import ContactMethod, Incident, Notification
from playbooks.models import Drill, DrillStakeholder
from tests.conftest import screenshot
from tests.incidents.factories import make_person, make_rotation, make_service, make_team
from tests.playbooks.builders import make_playbook, reach_by

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def payments():
    team = make_team("Finance Operations")
    olu = make_person("Olu Oncall")
    reach_by(olu, "email", "olu@example.org")
    rotation = make_rotation("Payments rota", people=[olu], team=team,
                             starts_on=timezone.localdate() - timedelta(days=7),
                             shift_unit="days")
    return make_service("Payments", owner_team=team, rotation=rotation, tier=1)


def test_the_playbook_renders_and_its_script_never_runs(browser_login, live_server, payments,
                                                      cast):
    playbook = make_playbook(
        owner_team=payments.owner_team, services=[payments], title="Stripe webhooks",
        body="## Recognise it\n\nMake answers **400**.\n\n<script>window.pwned = 1</script>\n\n"
        '<img src="x" onerror="window.pwned = 2">\n\n[click](javascript:window.pwned=3)',
    )
    page = browser_login("responder")
    page.goto(f"{live_server.url}{playbook.get_absolute_url()}")
    assert page.locator("#text h2").inner_text() == "Recognise it"
    assert page.locator("#live-facts .oncall").inner_text().startswith("On call now: Olu Oncall")
    page.locator("#text a", has_text="click").click()
    assert page.evaluate("window.pwned") is None
    screenshot(page, "playbook-page")


def test_the_drill_report_shows_verdict_figures_and_history(browser_login, live_server,
                                                          payments, cast):
    start = timezone.now() - timedelta(minutes=30)
    incident = Incident.objects.create(title="Drill: payments", severity="sev1", is_drill=True,
                                       declared_at=start)
    drill = Drill.objects.create(title="Payments drill", severity="sev1", status="running",
                                 started_at=start, incident=incident)
    drill.services.set([payments])
    for index, (name, acked) in enumerate([("Ana", 3), ("Ben", None), ("Cy", 20)]):
        person = make_person(name)
        method = ContactMethod.objects.create(person=person, kind="email",
                                              address=f"{name.lower()}@example.org")
        DrillStakeholder.objects.create(drill=drill, person=person, person_name=name,
                                        source="Step 1", reach_window_minutes=10)
        Notification.objects.create(
            incident=incident, reason="escalation", cause="timer:1", recipient=person,
            contact_method=method, channel="email", urgency="urgent", subject="s", body="b",
            idempotency_key=f"k{index}", queued_at=start, sent_at=start + timedelta(seconds=2),
            state="sent",
            acknowledged_at=start + timedelta(minutes=acked) if acked else None,
        )
    page = browser_login("leader")
    page.goto(f"{live_server.url}{drill.get_absolute_url()}")
    assert page.locator("#verdict").inner_text().startswith("Fail: 1 of 3")
    assert page.locator("#latency-p50").inner_text().startswith("2.0 s")
    screenshot(page, "drill-report")
    page.goto(f"{live_server.url}/drills/")
    assert page.locator("svg.history-chart rect").count() == 2
    screenshot(page, "drill-history")


def test_a_planned_drill_offers_its_windows_and_the_start(browser_login, live_server, payments,
                                                        cast):
    drill = Drill.objects.create(title="Quarterly drill", severity="sev1",
                                 scenario="Stripe is down (pretend).", policy_name="Tier 1 · SEV1",
                                 plan_notes="Step 3 (minute 10): Cross-functional group reaches "
                                 "nobody now.")
    drill.services.set([payments])
    for minute, name in [(0, "Olu Oncall"), (5, "Priya Manager"), (10, "Lena Leader")]:
        DrillStakeholder.objects.create(
            drill=drill, person=make_person(name), person_name=name, pages_at_minutes=minute,
            source=f"Step (minute {minute})", reach_window_minutes=minute + 5)
    page = browser_login("commander")
    page.goto(f"{live_server.url}{drill.get_absolute_url()}")
    assert page.locator("#stakeholders tbody tr").count() == 3
    assert page.get_by_role("button", name="Start the drill…").is_visible()
    page.get_by_label("Reach window for Lena Leader (minutes)").fill("12")
    page.get_by_role("button", name="Save the windows").click()
    page.wait_for_load_state()
    assert "Reach windows saved." in page.content()
    assert drill.stakeholders.get(person_name="Lena Leader").reach_window_minutes == 12
    screenshot(page, "drill-plan")
