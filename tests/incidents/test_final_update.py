"""Resolving a public incident closes its story on the status page: the final "Resolved"
update is published at once by someone who may publish to customers, and otherwise waits as
a draft whose due clock reminds the communications lead."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from incidents.comms.publish import update_publish
from incidents.comms.render import Draft
from incidents.models import Notification, StatusUpdate, Timer
from incidents.services import (
    incident_assign_role,
    incident_declare,
    incident_set_status,
    task_add,
)
from incidents.timers import sweep_due
from tests.incidents.factories import make_pageable, make_person, make_service

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ANSWERS = {
    "what_happened": "Sign-ups stall at the verification step.",
    "current_impact": "A third of new customers cannot finish signing up.",
    "being_done": "Switching to the standby verification provider.",
    "responsible": "Cara Comms",
    "expected_timeline": "Fixed within the hour.",
}


@pytest.fixture
def org(cast):
    comms = make_pageable(make_person("Cara Comms"))
    make_person("Rae Responder", user=cast["responder"])
    service = make_service("Sign-up flow", tier=1, public=True)
    with time_machine.travel(T0, tick=False):
        incident = incident_declare(
            title="Verification timeouts", severity="sev2", services=[service],
            declared_by=cast["commander"],
        )
        incident_assign_role(
            incident=incident, kind="communications_lead", person=comms, by=cast["commander"]
        )
        update_publish(
            incident=incident, by=cast["commander"],
            draft=Draft(**ANSWERS, visibility="public", customer_headline="Sign-up delays"),
        )
    return {"incident": incident, "service": service, "comms": comms}


def resolve(org, by, at=T0 + timedelta(minutes=30), **kwargs):
    with time_machine.travel(at, tick=False):
        incident_set_status(incident=org["incident"], status="resolved", by=by, **kwargs)


def test_a_commander_resolving_publishes_the_resolved_update_at_once(org, cast, client):
    resolve(org, cast["commander"])
    final = StatusUpdate.objects.order_by("-posted_at", "-id").first()
    assert final.is_public and final.incident_status == "resolved"
    assert final.customer_headline == "Sign-up delays"
    assert final.what_happened == ANSWERS["what_happened"]  # from the last update
    assert not Timer.objects.filter(kind="comms_final_update_due", state="pending").exists()
    with time_machine.travel(T0 + timedelta(minutes=31), tick=False):
        page = client.get("/status/").content.decode()
        feed = client.get("/status/feed.atom").content.decode()
    assert "This incident is resolved: Sign-up flow works normally again." in page
    first_entry = feed.split("<entry>")[1]
    assert "<title>Resolved: Resolved: Sign-up delays</title>" not in first_entry
    assert "<title>Resolved: Sign-up delays</title>" in first_entry


def test_without_the_right_the_final_update_waits_and_its_clock_reminds_the_lead(
    org, cast, client_as
):
    resolve(org, cast["responder"])
    assert StatusUpdate.objects.count() == 1  # nothing published
    timer = Timer.objects.get(kind="comms_final_update_due", state="pending")
    assert timer.due_at == T0 + timedelta(minutes=60)
    page = client_as("comms").get(
        reverse("incidents:incident_updates", args=[org["incident"].pk])
    ).content.decode()
    assert "A drafted “Resolved” update for customers waits below" in page
    assert "This incident is resolved: Sign-up flow works normally again." in page
    with time_machine.travel(T0 + timedelta(minutes=61), tick=False):
        sweep_due(T0 + timedelta(minutes=61))
    reminder = Notification.objects.get(recipient=org["comms"], reason="reminder")
    assert "final public update still waits as a draft" in reminder.body


def test_publishing_the_final_update_stops_its_clock(org, cast):
    resolve(org, cast["responder"])
    with time_machine.travel(T0 + timedelta(minutes=40), tick=False):
        update_publish(
            incident=org["incident"], by=cast["comms"],
            draft=Draft(**ANSWERS, visibility="public"),
        )
    assert Timer.objects.get(kind="comms_final_update_due").state == "cancelled"
    with time_machine.travel(T0 + timedelta(minutes=61), tick=False):
        sweep_due(T0 + timedelta(minutes=61))
    assert not Notification.objects.filter(reason="reminder", recipient=org["comms"]).exists()


@pytest.mark.parametrize(("setting", "published"), [("hold", False), ("publish", True)])
def test_an_alert_driven_resolve_follows_the_services_automatic_setting(
    org, setting, published
):
    org["service"].automatic_status = setting
    org["service"].save()
    resolve(org, None, system=True, name="Grafana")
    final = StatusUpdate.objects.filter(incident_status="resolved").first()
    assert (final is not None) == published
    assert Timer.objects.filter(kind="comms_final_update_due").exists() != published
    if published:
        assert final.posted_by_name == "Portal"


def test_internal_incidents_and_drills_get_no_public_update(cast):
    internal = make_service("Records base", public=False)
    public = make_service("Checkout", public=True)
    with time_machine.travel(T0, tick=False):
        one = incident_declare(title="Internal", severity="sev3", services=[internal],
                               declared_by=cast["commander"])
        drill = incident_declare(title="Drill", severity="sev3", services=[public],
                                 declared_by=cast["commander"], is_drill=True)
    for incident in (one, drill):
        incident_set_status(incident=incident, status="resolved", by=cast["commander"])
    assert not StatusUpdate.objects.exists()
    assert not Timer.objects.filter(kind="comms_final_update_due").exists()


# --- resolving from the incident page -------------------------------------------------------


def post_resolve(client, incident, follow=False, **extra):
    return client.post(incident.get_absolute_url(),
                       {"action": "status", "status-to": "resolved", **extra}, follow=follow)


def test_resolve_warns_of_open_tasks_and_a_waiting_final_update_then_goes_on(org, client_as):
    task_add(incident=org["incident"], title="Re-run stuck sign-ups", assignee=None,
             by=org["incident"].declared_by)
    client = client_as("responder")
    response = post_resolve(client, org["incident"])
    page = response.content.decode()
    assert response.status_code == 200 and 'id="resolve-warnings"' in page
    assert "1 task is still open: Re-run stuck sign-ups." in page
    assert "the final “Resolved” update will wait as a draft" in page
    org["incident"].refresh_from_db()
    assert org["incident"].status != "resolved"
    response = post_resolve(client, org["incident"], confirmed="yes", follow=True)
    org["incident"].refresh_from_db()
    assert org["incident"].status == "resolved"
    assert "the final public update waits as a draft" in response.content.decode()


def test_a_commander_with_nothing_left_resolves_at_once(org, client_as):
    response = post_resolve(client_as("commander"), org["incident"], follow=True)
    org["incident"].refresh_from_db()
    assert org["incident"].status == "resolved"
    assert "the “Resolved” update is on the status page" in response.content.decode()


@pytest.mark.parametrize("name", ["leader", "roster_admin", "outsider"])
def test_people_who_do_not_run_incidents_cannot_resolve(org, client_as, name):
    response = post_resolve(client_as(name), org["incident"], confirmed="yes")
    assert response.status_code == 403
    org["incident"].refresh_from_db()
    assert org["incident"].status != "resolved"
    assert not StatusUpdate.objects.filter(incident_status="resolved").exists()
