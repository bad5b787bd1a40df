"""Starting a drill declares a real incident flagged as a drill and runs the real path:
the escalation's own pages, then the drill's pages for stakeholders the path stopped short
of once someone acknowledged. Drills start now or at a scheduled time (a durable timer)."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied

from incidents.models import Incident, Notification, Timer
from incidents.notifications.ack import PLACEHOLDER as ACK_PLACEHOLDER
from incidents.services import incident_acknowledge
from incidents.timers import sweep_due
from playbooks.models import Drill
from playbooks.services import (
    DRILL_PAGE,
    DRILL_START,
    DrillRefused,
    drill_add_stakeholder,
    drill_cancel,
    drill_create,
    drill_end,
    drill_schedule,
    drill_start,
)
from tests.incidents.factories import make_person, make_team
from tests.playbooks.builders import make_playbook, reach_by
from tests.playbooks.drill_setup import build_org

T0 = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)


@pytest.fixture
def org(db):
    return build_org()


@pytest.fixture
def drill(org, cast):
    scenario = make_playbook(owner_team=make_team(), title="Stripe webhooks",
                             checklist="Check the secret\nReplay events")
    return drill_create(title="Payments drill", severity="sev1", services=[org.service],
                        scenario="Stripe webhooks rejected (pretend).", playbook=scenario,
                        by=cast["commander"], now=T0)


def pages_to(person, incident):
    return list(Notification.objects.filter(incident=incident, recipient=person).order_by("pk"))


def test_starting_declares_a_drill_incident_and_pages_through_the_real_path(drill, org, cast):
    with time_machine.travel(T0, tick=False):
        drill_start(drill=drill, by=cast["commander"])
    drill.refresh_from_db()
    incident = drill.incident
    assert (drill.status, drill.started_at) == ("running", T0)
    assert incident.is_drill and incident.severity == "sev1"
    assert incident.title == "Drill: Payments drill"
    assert incident.summary == "Stripe webhooks rejected (pretend)."
    assert list(incident.services.all()) == [org.service]
    assert incident.declared_by == cast["commander"]
    assert sorted(incident.tasks.values_list("title", flat=True)) == [
        "Check the secret", "Replay events"]
    sweep_due(T0)
    [page] = pages_to(org.olu, incident)
    assert page.reason == "escalation"
    assert page.subject.startswith("[DRILL] [URGENT] SEV1")
    assert ACK_PLACEHOLDER in page.body  # the link itself is made when the page is sent


def test_after_an_acknowledgement_the_drill_pages_the_rest_at_their_minutes(drill, org, cast):
    with time_machine.travel(T0, tick=False):
        drill_start(drill=drill, by=cast["commander"])
    incident = Incident.objects.get(drill=drill)
    sweep_due(T0)
    incident_acknowledge(incident=incident, by=cast["responder"], at=T0 + timedelta(minutes=1))
    sweep_due(T0 + timedelta(minutes=4))
    assert pages_to(org.priya, incident) == []
    sweep_due(T0 + timedelta(minutes=5))
    [page] = pages_to(org.priya, incident)
    assert (page.reason, page.cause) == ("drill", f"drill:{drill.pk}:5")
    assert page.subject.startswith("[DRILL] [URGENT]") and ACK_PLACEHOLDER in page.body
    sweep_due(T0 + timedelta(minutes=10))
    assert len(pages_to(org.lena, incident)) == len(pages_to(org.hannah, incident)) == 1
    assert len(pages_to(org.olu, incident)) == 1  # never paged twice by the drill


def test_while_nobody_acknowledges_the_escalation_pages_them_itself(drill, org, cast):
    with time_machine.travel(T0, tick=False):
        drill_start(drill=drill, by=cast["commander"])
    incident = Incident.objects.get(drill=drill)
    for minute in (0, 5, 10):
        sweep_due(T0 + timedelta(minutes=minute))
    for person in (org.olu, org.priya, org.lena, org.hannah):
        [page] = pages_to(person, incident)
        assert page.reason == "escalation", person


def test_someone_added_by_hand_is_paged_by_the_drill_at_the_start(drill, cast):
    cam = make_person("Cam Comms")
    reach_by(cam, "sms", "+447700900123")
    drill_add_stakeholder(drill=drill, person=cam, reach_window_minutes=10, by=cast["commander"])
    with time_machine.travel(T0, tick=False):
        drill_start(drill=drill, by=cast["commander"])
    sweep_due(T0)
    [page] = Notification.objects.filter(recipient=cam)
    assert (page.reason, page.channel) == ("drill", "sms")
    assert page.body.startswith("[DRILL]")


def test_a_scheduled_drill_starts_by_itself_when_its_timer_fires(drill, cast):
    at = T0 + timedelta(days=2)
    with time_machine.travel(T0, tick=False):
        drill_schedule(drill=drill, at=at, by=cast["commander"])
    [timer] = Timer.objects.filter(kind=DRILL_START, state="pending")
    assert (timer.due_at, timer.reference) == (at, {"drill": drill.pk})
    sweep_due(at - timedelta(seconds=1))
    drill.refresh_from_db()
    assert drill.status == "scheduled" and drill.incident is None
    sweep_due(at)
    drill.refresh_from_db()
    assert (drill.status, drill.started_at) == ("running", at)
    assert drill.incident.is_drill and drill.incident.declared_by == cast["commander"]
    assert Timer.objects.filter(kind=DRILL_PAGE, incident=drill.incident).count() == 3


def test_a_scheduled_drill_whose_planner_lost_the_right_waits_with_a_note(drill, cast):
    with time_machine.travel(T0, tick=False):
        drill_schedule(drill=drill, at=T0 + timedelta(hours=1), by=cast["commander"])
    cast["commander"].groups.clear()
    sweep_due(T0 + timedelta(hours=1))
    drill.refresh_from_db()
    assert drill.status == "planned" and drill.incident is None
    assert "Did not start at 13:00" in drill.start_error
    assert not Incident.objects.filter(is_drill=True).exists()


def test_a_schedule_must_be_in_the_future(drill, cast):
    with time_machine.travel(T0, tick=False), pytest.raises(DrillRefused):
        drill_schedule(drill=drill, at=T0 - timedelta(minutes=1), by=cast["commander"])


def test_starting_now_replaces_the_schedule_and_a_drill_starts_once(drill, cast):
    with time_machine.travel(T0, tick=False):
        drill_schedule(drill=drill, at=T0 + timedelta(hours=1), by=cast["commander"])
        drill_start(drill=drill, by=cast["commander"])
        with pytest.raises(DrillRefused):
            drill_start(drill=drill, by=cast["commander"])
    assert not Timer.objects.filter(kind=DRILL_START, state="pending").exists()
    sweep_due(T0 + timedelta(hours=1))
    assert Incident.objects.filter(is_drill=True).count() == 1


def test_a_cancelled_drill_never_starts(drill, cast):
    with time_machine.travel(T0, tick=False):
        drill_schedule(drill=drill, at=T0 + timedelta(hours=1), by=cast["commander"])
    drill_cancel(drill=drill, by=cast["commander"])
    sweep_due(T0 + timedelta(hours=2))
    drill.refresh_from_db()
    assert drill.status == "cancelled" and drill.incident is None


def test_ending_a_drill_resolves_its_incident_and_stops_every_page(drill, org, cast):
    with time_machine.travel(T0, tick=False):
        drill_start(drill=drill, by=cast["commander"])
    sweep_due(T0)
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        drill_end(drill=drill, by=cast["commander"])
    drill.refresh_from_db()
    assert (drill.status, drill.finished_at) == ("finished", T0 + timedelta(minutes=2))
    assert drill.incident.status == "resolved"
    sweep_due(T0 + timedelta(minutes=30))
    assert Notification.objects.filter(incident=drill.incident).count() == 1


def test_only_commanders_plan_and_start_drills(org, cast):
    for name in ("responder", "leader", "comms"):
        with pytest.raises(PermissionDenied):
            drill_create(title="x", severity="sev2", services=[org.service], by=cast[name])
    assert not Drill.objects.exists()
