"""Cadence: the reminder before the next update is due, the escalation of a missed one,
huddles, and the wrap-up prompt once the incident is resolved."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from incidents.comms.cadence import HuddleRefused, huddle_schedule
from incidents.comms.publish import update_publish
from incidents.comms.render import Draft
from incidents.models import (
    Notification,
    TimelineEvent,
    Timer,
)
from incidents.services import (
    incident_assign_role,
    incident_declare,
    incident_release_role,
    incident_set_status,
)
from incidents.timers import sweep_due
from tests.incidents.factories import make_pageable, make_person, make_service

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ANSWERS = {
    "what_happened": "Sign-ups stall.",
    "current_impact": "New customers wait.",
    "being_done": "Failing over.",
    "responsible": "Cara Comms",
    "expected_timeline": "Within the hour.",
}
REMINDER = "comms_update_reminder"




@pytest.fixture
def org(cast):
    comms = make_pageable(make_person("Cara Comms", user=cast["comms"]))
    commander = make_pageable(make_person("Cole Commander", user=cast["commander"]))
    service = make_service("Sign-up flow", tier=1, public=True)
    with time_machine.travel(T0, tick=False):
        incident = incident_declare(
            title="Verification timeouts", severity="sev1", services=[service],
            declared_by=cast["commander"],
        )
        incident_assign_role(
            incident=incident, kind="communications_lead", person=comms, by=cast["commander"]
        )
        incident_assign_role(
            incident=incident, kind="commander", person=commander, by=cast["commander"]
        )
    return {"incident": incident, "comms": comms, "commander": commander}


def run(at):
    with time_machine.travel(at, tick=False):
        sweep_due(at)


def reminders(**filters):
    return Notification.objects.filter(reason="reminder", **filters).select_related("recipient")


def publish(org, user, at, **changes):
    with time_machine.travel(at, tick=False):
        return update_publish(
            incident=org["incident"], draft=Draft(**{**ANSWERS, **changes}), by=user, now=at
        )


def test_the_communications_lead_is_reminded_five_minutes_before_the_first_update(org):
    timer = Timer.objects.get(kind=REMINDER, state="pending")
    assert timer.due_at == T0 + timedelta(minutes=25)  # SEV1: an update every 30 minutes
    run(T0 + timedelta(minutes=24, seconds=59))
    assert not reminders().exists()
    run(T0 + timedelta(minutes=25))
    [row] = reminders()
    assert row.recipient == org["comms"]
    assert row.cause == f"timer:{timer.pk}"
    assert row.urgency == "routine"
    assert "The next status update on INC-" in row.body and "10:30 UTC" in row.body
    event = TimelineEvent.objects.filter(kind="notification").last()
    assert event.text == "Reminder: next update due at 10:30 UTC on 2 Mar; told Cara Comms."


def test_a_missed_update_escalates_through_the_engine(org):
    run(T0 + timedelta(minutes=30))
    assert TimelineEvent.objects.filter(
        kind="target_breached", text="Response target missed: update cadence."
    ).exists()


def test_publishing_moves_the_reminder_to_the_next_deadline(org, cast):
    publish(org, cast["comms"], T0 + timedelta(minutes=20))
    assert Timer.objects.filter(kind=REMINDER, state="cancelled").count() == 1
    assert Timer.objects.get(kind=REMINDER, state="pending").due_at == (
        T0 + timedelta(minutes=45)
    )
    run(T0 + timedelta(minutes=25))
    assert not reminders().exists()


def test_a_promised_earlier_update_is_reminded_before_that_time(org, cast):
    at = T0 + timedelta(minutes=20)
    publish(org, cast["comms"], at, next_update_at=at + timedelta(minutes=12))
    # A quarter of the 12 minutes promised: 3 minutes before.
    assert Timer.objects.get(kind=REMINDER, state="pending").due_at == (
        at + timedelta(minutes=9)
    )


def test_without_a_communications_lead_the_commander_is_reminded(org, cast):
    incident_release_role(incident=org["incident"], kind="communications_lead",
                          by=cast["commander"])
    run(T0 + timedelta(minutes=25))
    assert [row.recipient for row in reminders()] == [org["commander"]]


def test_with_nobody_to_remind_the_timeline_says_so(org, cast):
    for kind in ("communications_lead", "commander"):
        incident_release_role(incident=org["incident"], kind=kind, by=cast["commander"])
    run(T0 + timedelta(minutes=25))
    assert not reminders().exists()
    assert TimelineEvent.objects.filter(
        kind="notification", text__contains="nobody holds the communications lead"
    ).exists()


def test_resolving_stops_the_reminders(org, cast):
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        incident_set_status(incident=org["incident"], status="resolved", by=cast["commander"])
    assert not Timer.objects.filter(kind=REMINDER, state="pending").exists()


# --- huddles --------------------------------------------------------------------------------


def test_a_huddle_invites_now_and_reminds_shortly_before(org, cast):
    at = T0 + timedelta(minutes=10)
    with time_machine.travel(at, tick=False):
        huddle = huddle_schedule(
            incident=org["incident"], at=T0 + timedelta(minutes=40),
            bridge_link="https://meet.example.org/inc", agenda="Fail over or wait?",
            invitees=[org["comms"], org["commander"]], by=cast["commander"], now=at,
        )
    invites = reminders(cause=f"huddle:{huddle.pk}")
    assert {row.recipient.name for row in invites} == {"Cara Comms", "Cole Commander"}
    assert "https://meet.example.org/inc" in invites[0].body
    assert "Fail over or wait?" in invites[0].body
    timer = Timer.objects.get(kind="comms_huddle_reminder")
    assert timer.due_at == T0 + timedelta(minutes=35)
    run(T0 + timedelta(minutes=35))
    assert reminders(cause=f"timer:{timer.pk}").count() == 2
    assert TimelineEvent.objects.filter(kind="note", text__startswith="Huddle scheduled").exists()


def test_a_huddle_in_the_past_is_refused(org, cast):
    with time_machine.travel(T0 + timedelta(minutes=10), tick=False), pytest.raises(
        HuddleRefused, match="future"
    ):
        huddle_schedule(
            incident=org["incident"], at=T0, bridge_link="https://meet.example.org/x",
            invitees=[org["comms"]], by=cast["commander"],
        )


def test_the_page_schedules_a_huddle_for_operators_only(org, client_as):
    url = reverse("incidents:incident_updates", args=[org["incident"].pk])
    data = {
        "action": "huddle", "huddle-at": "2026-03-02T10:40",
        "huddle-bridge_link": "https://meet.example.org/inc",
        "huddle-invitees": [org["comms"].pk],
    }
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        assert client_as("leader").post(url, data).status_code == 403
        response = client_as("responder").post(url, data)
    assert response.status_code == 302
    assert org["incident"].huddles.get().invitees.get() == org["comms"]


# --- wrap-up --------------------------------------------------------------------------------


def test_a_resolved_incident_without_a_final_update_prompts_the_wrap_up(org, cast, client_as):
    # An internal incident: a public one gets its final public update on resolving.
    org["incident"].services.update(public=False)
    publish(org, cast["comms"], T0 + timedelta(minutes=10))
    with time_machine.travel(T0 + timedelta(minutes=20), tick=False):
        incident_set_status(incident=org["incident"], status="resolved", by=cast["commander"])
    client = client_as("comms")
    incident_page = client.get(org["incident"].get_absolute_url()).content.decode()
    updates_url = reverse("incidents:incident_updates", args=[org["incident"].pk])
    assert "Resolved without a final update" in incident_page
    assert 'id="wrap-up"' in client.get(updates_url).content.decode()

    publish(org, cast["comms"], T0 + timedelta(minutes=25), what_happened="All fixed.")
    assert "Resolved without a final update" not in client.get(
        org["incident"].get_absolute_url()
    ).content.decode()
    assert 'id="wrap-up"' not in client.get(updates_url).content.decode()
