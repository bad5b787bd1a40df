"""Measuring a drill from the rows the path wrote: hand-built notifications and
acknowledgements give known latencies, 3 of 5 stakeholders reached in their window, the
swarming and handoff times, and the failures listed for follow-up."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents.models import ContactMethod, Incident, Notification, Task, TimelineEvent
from incidents.services import incident_assign_role
from playbooks.follow_ups import drill_follow_ups
from playbooks.measurement import measure_drill, percentile
from playbooks.models import Drill, DrillStakeholder
from tests.incidents.factories import make_person, make_rotation, make_service, make_team
from tests.playbooks.builders import make_playbook

S = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # the drill's start; Olu's week on call


def at(minutes=0, seconds=0):
    return S + timedelta(minutes=minutes, seconds=seconds)


def test_percentiles_are_nearest_rank():
    assert percentile([], 0.5) is None
    assert percentile([7], 0.95) == 7
    assert percentile([4, 1, 3, 2], 0.5) == 2
    assert percentile([4, 1, 3, 2], 0.95) == 4
    assert percentile(range(1, 101), 0.95) == 95


@pytest.fixture
def drill(db, django_user_model):
    team = make_team("Finance Operations")
    people = {name: make_person(name) for name in ("Olu", "Bea", "Cy", "Dee", "Eve")}
    people["Olu"].user = django_user_model.objects.create_user("olu")
    people["Olu"].save()
    rotation = make_rotation("Payments rota", people=[people["Olu"]], team=team)
    service = make_service("Payments", owner_team=team, rotation=rotation, tier=1)
    incident = Incident.objects.create(title="Drill: payments", severity="sev1", is_drill=True,
                                       declared_at=S)
    incident.services.set([service])
    drill = Drill.objects.create(title="Payments drill", severity="sev1", status="running",
                                 started_at=S, incident=incident)
    drill.services.set([service])
    for name, minute, window in [("Olu", 0, 5), ("Bea", 5, 10), ("Cy", 10, 15),
                                 ("Dee", 10, 15), ("Eve", 10, 15)]:
        DrillStakeholder.objects.create(drill=drill, person=people[name], person_name=name,
                                        source="test", pages_at_minutes=minute,
                                        reach_window_minutes=window)
    return drill, incident, people, service


def notification(incident, person, kind, queued, sent=None, acked=None, failed=None, error=""):
    method, _ = ContactMethod.objects.get_or_create(
        person=person, kind=kind,
        address=f"{person.name.lower()}@example.org" if kind == "email"
        else f"https://hooks.example.org/{person.name.lower()}-secret",
    )
    return Notification.objects.create(
        incident=incident, reason="escalation", cause=f"timer:{person.pk}", recipient=person,
        contact_method=method, channel=kind, urgency="urgent", subject="[DRILL]", body="",
        idempotency_key=f"k{person.pk}{kind}{queued}", queued_at=queued, sent_at=sent,
        acknowledged_at=acked, failed_at=failed, error=error,
        state="failed" if failed else ("sent" if sent else "queued"),
    )


@pytest.fixture
def measured(drill):
    drill, incident, people, _service = drill
    # Olu acknowledges the incident itself with his login at 3 min (no link used).
    notification(incident, people["Olu"], "email", at(0), sent=at(0, 2))
    TimelineEvent.objects.create(incident=incident, kind="acknowledged", at=at(3),
                                 actor=people["Olu"].user, actor_name="Olu", text="Ack.")
    notification(incident, people["Bea"], "email", at(5), sent=at(5, 4), acked=at(8))
    notification(incident, people["Cy"], "webhook", at(10), failed=at(10, 1),
                 error="Refused (HTTP 404): not found")
    ContactMethod.objects.filter(person=people["Cy"]).update(failure_reason="Refused (HTTP 404)")
    notification(incident, people["Dee"], "email", at(10), sent=at(10, 6), acked=at(22))
    notification(incident, people["Eve"], "email", at(10), sent=at(10, 1), acked=at(12))
    return drill, incident, people


def test_three_of_five_are_reached_in_their_window(measured):
    drill, _incident, _people = measured
    m = measure_drill(drill, now=at(30))
    by_name = {r.name: r for r in m.results}
    assert [(n, r.reached_in_window) for n, r in by_name.items()] == [
        ("Olu", True), ("Bea", True), ("Cy", False), ("Dee", False), ("Eve", True)]
    assert (m.reached_in_window, m.expected, m.share_percent, m.passed) == (3, 5, 60, False)
    assert by_name["Olu"].delivered_after == timedelta(seconds=2)
    assert by_name["Olu"].acknowledged_after == timedelta(minutes=3)
    assert by_name["Bea"].acknowledged_after == timedelta(minutes=8)
    assert by_name["Dee"].acknowledged_after == timedelta(minutes=22)
    assert by_name["Dee"].outcome == "reached late"
    assert by_name["Cy"].delivered_after is None and by_name["Cy"].outcome == "delivery failed"


def test_the_latencies_are_queued_to_sent_percentiles(measured):
    m = measure_drill(measured[0], now=at(30))
    assert sorted(m.latencies) == [1, 2, 4, 6]
    assert (m.latency_p50, m.latency_p95) == (2, 6)


def test_the_failures_are_listed_for_follow_up(measured):
    drill, _incident, _people = measured
    items = [(f.kind, f.summary) for f in drill_follow_ups(drill)]
    assert ("unreached", "Cy was not reached within 15 min (delivery failed).") in items
    assert ("unreached", "Dee was reached after 22 min 00 s, outside the 15 min window.") in items
    assert ("contact_failed", "Cy: Webhook failed — Refused (HTTP 404): not found") in items
    assert ("missing_playbook", "Payments has no playbook.") in items
    assert [kind for kind, _ in items].count("unreached") == 2
    assert [kind for kind, _ in items].count("contact_failed") == 1  # flagged method: once
    assert all("secret" not in summary for _kind, summary in items)
    assert {f.owner_team.name for f in drill_follow_ups(drill)} == {"Finance Operations"}


def test_a_stale_playbook_is_a_follow_up_and_a_fresh_one_is_not(drill):
    drill, _incident, _people, service = drill
    with time_machine.travel(S - timedelta(days=100), tick=False):
        make_playbook(owner_team=service.owner_team, services=[service], title="Old one")
    kinds = [(f.kind, f.summary) for f in drill_follow_ups(drill)]
    assert ("stale_playbook", "The playbook “Old one” was due for review on 22 Feb 2026.") in kinds
    assert "missing_playbook" not in [kind for kind, _ in kinds]


def test_swarming_handoff_and_playbook_steps(measured, cast):
    drill, incident, people = measured
    seats = [("commander", "Olu", 2), ("technical_lead", "Bea", 4),
             ("communications_lead", "Dee", 6)]
    for kind, name, minute in seats:
        with time_machine.travel(at(minute), tick=False):
            incident_assign_role(incident=incident, kind=kind, person=people[name],
                                 by=cast["commander"])
    m = measure_drill(drill, now=at(30))
    assert m.roles_filled_after is None
    assert m.roles_missing == ("Business liaison",)
    with time_machine.travel(at(9), tick=False):
        incident_assign_role(incident=incident, kind="business_liaison", person=people["Eve"],
                             by=cast["commander"])
    m = measure_drill(drill, now=at(30))
    assert m.roles_filled_after == timedelta(minutes=9)
    # Technical lead Bea acknowledged at 8 min, on-call Olu at 3 min: both by 8 min.
    assert m.handoff_after == timedelta(minutes=8)
    Task.objects.create(incident=incident, title="a", source="playbook:x", done_at=at(5))
    Task.objects.create(incident=incident, title="b", source="playbook:x")
    Task.objects.create(incident=incident, title="c", source="")
    m = measure_drill(drill, now=at(30))
    assert (m.steps_done, m.steps_total) == (1, 2)


def test_the_handoff_waits_for_the_technical_lead_to_acknowledge(measured, cast):
    drill, incident, people = measured
    incident_assign_role(incident=incident, kind="technical_lead", person=people["Cy"],
                         by=cast["commander"])
    m = measure_drill(drill, now=at(30))
    assert m.handoff_after is None and m.handoff_note == "Not acknowledged by Cy."


def test_all_reached_in_window_passes(drill):
    drill, incident, people, _service = drill
    for minute, name in enumerate(["Olu", "Bea", "Cy", "Dee", "Eve"]):
        notification(incident, people[name], "email", at(minute), sent=at(minute, 1),
                     acked=at(minute + 1))
    m = measure_drill(drill, now=at(30))
    assert (m.reached_in_window, m.passed) == (5, True)
    assert [f.kind for f in drill_follow_ups(drill)] == ["missing_playbook"]


def test_a_drill_not_started_measures_nothing(db):
    drill = Drill.objects.create(title="Later", severity="sev2")
    m = measure_drill(drill)
    assert (m.expected, m.share_reached, m.passed) == (0, None, False)
    assert drill_follow_ups(drill) == []
