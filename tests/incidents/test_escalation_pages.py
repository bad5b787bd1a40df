from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents.models import Notification, TimelineEvent
from incidents.services import incident_acknowledge, incident_declare
from incidents.timers import sweep_due
from tests.incidents.factories import make_person, make_reachable, make_rotation, make_service

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def incident(cast):
    oncall = make_person("Olu Oncall")
    make_reachable(oncall)
    service = make_service("Payments", tier=1, rotation=make_rotation(people=[oncall]))
    with time_machine.travel(T0, tick=False):
        return incident_declare(
            title="Payments failing",
            severity="sev1",
            declared_by=cast["commander"],
            services=[service],
        )


@pytest.mark.parametrize("name", ["leader", "commander", "responder", "comms", "roster_admin"])
def test_the_policy_matrix_is_readable_by_every_portal_role(client_as, name):
    page = client_as(name).get("/escalation/").content.decode()
    assert "Tier 1 · SEV1" in page and "owner teams' managers" in page


def test_the_policy_matrix_refuses_users_without_a_role(client_as):
    assert client_as("outsider").get("/escalation/").status_code == 403


def test_the_plan_shows_what_ran_and_what_is_due_next(client_as, incident):
    with time_machine.travel(T0 + timedelta(seconds=30), tick=False):
        sweep_due()
        page = client_as("leader").get(f"/incidents/{incident.pk}/escalation/").content.decode()
    assert "Escalation step 1 of 3, round 1: paged Olu Oncall." in page
    assert "10:05:30" in page  # step 2 due five minutes after the first one ran
    assert "Page now" not in page  # leadership reads but does not act


def test_escalate_now_runs_the_next_step_at_once_and_is_recorded(client_as, incident):
    client = client_as("commander")
    with time_machine.travel(T0 + timedelta(seconds=30), tick=False):
        sweep_due()
        response = client.post(f"/incidents/{incident.pk}/escalation/", {"action": "escalate_now"})
    assert response.status_code == 302
    texts = list(TimelineEvent.objects.filter(kind="escalation").values_list("text", flat=True))
    assert "Escalated now by hand." in texts
    assert any(t.startswith("Escalation step 2 of 3") for t in texts)


def test_manual_page_of_a_person_queues_an_urgent_notification(client_as, incident):
    person = make_person("Pat Page")
    make_reachable(person)
    client_as("responder").post(
        f"/incidents/{incident.pk}/escalation/",
        {"action": "page", "target_kind": "person", "target": str(person.pk)},
    )
    row = Notification.objects.get(recipient=person)
    assert row.reason == "manual_page" and row.urgency == "urgent"
    assert TimelineEvent.objects.filter(text="Paged by hand: Pat Page.").exists()


def test_a_malformed_page_request_is_refused_with_a_message(client_as, incident):
    response = client_as("responder").post(
        f"/incidents/{incident.pk}/escalation/",
        {"action": "page", "target_kind": "person", "target": "not-a-number"},
        follow=True,
    )
    assert "Choose a person, a team or a rotation" in response.content.decode()
    assert not Notification.objects.filter(reason="manual_page").exists()


def test_leadership_cannot_page(client_as, incident):
    client_as("leader").post(f"/incidents/{incident.pk}/escalation/", {"action": "escalate_now"})
    assert not TimelineEvent.objects.filter(text="Escalated now by hand.").exists()


def test_after_acknowledgement_nothing_is_due(client_as, incident, cast):
    incident_acknowledge(incident=incident, by=cast["responder"])
    page = client_as("commander").get(f"/incidents/{incident.pk}/escalation/").content.decode()
    assert "Nothing is due: the incident is acknowledged" in page
