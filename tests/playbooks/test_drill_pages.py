"""Drill pages: leadership and operators read drills and their reports; incident
commanders plan, edit, schedule, start and end them; anyone else is refused."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import Incident
from incidents.services import incident_acknowledge
from incidents.timers import sweep_due
from playbooks.models import Drill
from playbooks.services import drill_create, drill_start
from tests.incidents.factories import make_person
from tests.playbooks.drill_setup import build_org

READERS = ["leader", "commander", "responder", "comms"]
REFUSED = ["roster_admin", "outsider"]


@pytest.fixture
def org(db):
    return build_org()


@pytest.fixture
def drill(org, cast):
    return drill_create(title="Payments drill", severity="sev1", services=[org.service],
                        scenario="Stripe webhooks rejected.", by=cast["commander"])


@pytest.fixture
def started(drill, cast):
    drill_start(drill=drill, by=cast["commander"])
    drill.refresh_from_db()
    return drill


@pytest.mark.parametrize("name", READERS)
def test_leadership_and_operators_read_drills(client_as, started, name):
    client = client_as(name)
    assert client.get("/drills/").status_code == 200
    assert client.get(started.get_absolute_url()).status_code == 200


@pytest.mark.parametrize("name", REFUSED)
def test_others_may_not_see_drills(client_as, started, name):
    client = client_as(name)
    assert client.get("/drills/").status_code == 403
    assert client.get(started.get_absolute_url()).status_code == 403
    assert client.get("/drills/new/").status_code == 403


def test_logged_out_visitors_are_sent_to_log_in(client, drill):
    response = client.get("/drills/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("name", ["leader", "responder", "comms"])
def test_only_commanders_plan_and_run(client_as, org, drill, name):
    client = client_as(name)
    assert client.get("/drills/new/").status_code == 403
    response = client.post(drill.get_absolute_url(), {"action": "start", "confirmed": "yes"})
    assert response.status_code == 403
    drill.refresh_from_db()
    assert drill.status == "planned" and not Incident.objects.filter(is_drill=True).exists()
    assert "Start the drill" not in client.get(drill.get_absolute_url()).content.decode()


def test_a_commander_plans_a_drill_and_sees_the_expected_stakeholders(client_as, org):
    client = client_as("commander")
    response = client.post("/drills/new/", {
        "title": "Quarterly payments drill", "scenario": "Stripe is down (pretend).",
        "services": [org.service.pk], "severity": "sev1",
    })
    drill = Drill.objects.get(title="Quarterly payments drill")
    assert response.status_code == 302 and response["Location"] == drill.get_absolute_url()
    html = client.get(drill.get_absolute_url()).content.decode()
    for name in ("Olu Oncall", "Priya Manager", "Lena Leader", "Hannah Head"):
        assert name in html
    assert "Cross-functional group reaches nobody now." in html
    assert "Start the drill…" in html


def test_a_drill_needs_a_scenario_or_a_playbook(client_as, org):
    response = client_as("commander").post("/drills/new/", {
        "title": "Empty", "services": [org.service.pk], "severity": "sev2"})
    assert response.status_code == 400
    assert "Describe the scenario, or choose its playbook." in response.content.decode()


def test_windows_are_edited_and_people_dropped_or_added_before_the_start(client_as, drill):
    client = client_as("commander")
    stakes = {s.person_name: s for s in drill.stakeholders.all()}
    data = {"action": "windows"}
    for stake in stakes.values():
        data[f"plan-window-{stake.pk}"] = stake.reach_window_minutes
    data[f"plan-window-{stakes['Lena Leader'].pk}"] = 12
    data[f"plan-remove-{stakes['Hannah Head'].pk}"] = "on"
    assert client.post(drill.get_absolute_url(), data).status_code == 302
    cam = make_person("Cam Comms")
    response = client.post(drill.get_absolute_url(), {
        "action": "add", "add-person": cam.pk, "add-reach_window_minutes": 20})
    assert response.status_code == 302
    windows = dict(drill.stakeholders.values_list("person_name", "reach_window_minutes"))
    assert windows == {"Olu Oncall": 5, "Priya Manager": 10, "Lena Leader": 12, "Cam Comms": 20}


def test_an_invalid_window_is_refused_and_changes_nothing(client_as, drill):
    stake = drill.stakeholders.first()
    response = client_as("commander").post(drill.get_absolute_url(), {
        "action": "windows", f"plan-window-{stake.pk}": 0})
    assert response.status_code == 400
    stake.refresh_from_db()
    assert stake.reach_window_minutes > 0


def test_a_commander_starts_it_and_the_page_becomes_its_report(client_as, drill, org, cast):
    client = client_as("commander")
    response = client.post(drill.get_absolute_url(), {"action": "start"})
    # First the people it pages, and nothing started yet.
    html = response.content.decode()
    assert response.status_code == 200 and 'id="confirm-start"' in html
    names = [s.person_name for s in drill.stakeholders.all()]
    assert names and all(f"<li>{name} (" in html for name in names)
    assert f"page {len(names)} people?" in html
    drill.refresh_from_db()
    assert drill.status == "planned" and not Incident.objects.filter(is_drill=True).exists()
    response = client.post(drill.get_absolute_url(), {"action": "start", "confirmed": "yes"})
    assert response.status_code == 302
    drill.refresh_from_db()
    assert drill.status == "running" and drill.incident.is_drill
    now = timezone.now()
    sweep_due(now)
    incident_acknowledge(incident=drill.incident, by=cast["responder"])
    html = client.get(drill.get_absolute_url()).content.decode()
    assert 'id="report"' in html and "Fail: 0 of 4 stakeholders" in html
    assert 'id="follow-ups"' in html and "Payments has no playbook." in html
    assert "End the drill" in html
    response = client.post(drill.get_absolute_url(), {"action": "end"})
    assert response.status_code == 302
    drill.refresh_from_db()
    assert drill.status == "finished" and drill.incident.status == "resolved"


def test_a_commander_schedules_it(client_as, drill):
    later = timezone.localtime(timezone.now() + timedelta(days=1))
    response = client_as("commander").post(drill.get_absolute_url(), {
        "action": "schedule", "schedule-at": later.strftime("%Y-%m-%dT%H:%M")})
    assert response.status_code == 302
    drill.refresh_from_db()
    assert drill.status == "scheduled"
    assert drill.scheduled_for == later.replace(second=0, microsecond=0)


def test_the_list_draws_the_history_chart_and_its_table(client_as, started):
    html = client_as("leader").get("/drills/").content.decode()
    assert '<svg class="history-chart" role="img"' in html
    assert f"{started.reference}: 0%" in html  # the chart's text alternative
    assert 'id="history-table"' in html and "0 of 4 (0%)" in html
    assert "Plan a drill" not in html
    assert "Plan a drill" in client_as("commander").get("/drills/").content.decode()
