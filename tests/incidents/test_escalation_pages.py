from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents.models import Notification, TimelineEvent, Timer
from incidents.services import incident_acknowledge, incident_declare
from incidents.timers import sweep_due
from tests.incidents.factories import (
    make_person,
    make_reachable,
    make_rotation,
    make_service,
    make_team,
)

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
    assert "Page by hand" not in page  # leadership reads but does not act


def test_escalate_now_runs_the_next_step_at_once_and_is_recorded(client_as, incident):
    client = client_as("commander")
    with time_machine.travel(T0 + timedelta(seconds=30), tick=False):
        sweep_due()
        response = client.post(f"/incidents/{incident.pk}/escalation/", {"action": "escalate_now"})
    assert response.status_code == 302
    texts = list(TimelineEvent.objects.filter(kind="escalation").values_list("text", flat=True))
    assert "Escalated now by hand." in texts
    assert any(t.startswith("Escalation step 2 of 3") for t in texts)


def test_manual_page_asks_for_confirmation_listing_who_it_reaches(client_as, incident):
    person = make_person("Pat Page")
    make_reachable(person)
    client = client_as("responder")
    url = f"/incidents/{incident.pk}/escalation/"
    response = client.post(url, {"action": "page", "target_kind": "person",
                                 "target": str(person.pk)})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Page 1 person?" in page and "<li>Pat Page</li>" in page
    assert 'name="confirmed" value="yes"' in page
    assert not Notification.objects.filter(reason="manual_page").exists()
    client.post(url, {"action": "page", "target_kind": "person", "target": str(person.pk),
                      "confirmed": "yes"})
    row = Notification.objects.get(recipient=person)
    assert row.reason == "manual_page" and row.urgency == "urgent"
    assert TimelineEvent.objects.filter(text="Paged by hand: Pat Page.").exists()


def test_a_team_page_lists_every_member_before_paging(client_as, incident):
    team = make_team("Growth")
    for name in ("Ann Able", "Ben Baker"):
        member = make_person(name, team=team)
        make_reachable(member)
    page = client_as("commander").post(
        f"/incidents/{incident.pk}/escalation/",
        {"action": "page", "target_kind": "team", "target": str(team.pk)},
    ).content.decode()
    assert "Page 2 people?" in page
    assert "<li>Ann Able</li>" in page and "<li>Ben Baker</li>" in page
    assert not Notification.objects.filter(reason="manual_page").exists()


def test_the_manual_page_form_names_nobody_until_chosen(client_as, incident):
    make_person("Aaron First")
    page = client_as("commander").get(f"/incidents/{incident.pk}/escalation/").content.decode()
    assert '<option value="" selected>Choose…</option>' in page
    assert page.count(" selected>") == 3  # one empty choice per form, nobody by default


def test_a_malformed_page_request_is_refused_with_a_message(client_as, incident):
    response = client_as("responder").post(
        f"/incidents/{incident.pk}/escalation/",
        {"action": "page", "target_kind": "person", "target": "not-a-number"},
        follow=True,
    )
    assert "Choose a person, a team or a rotation" in response.content.decode()
    assert not Notification.objects.filter(reason="manual_page").exists()


@pytest.mark.parametrize("name", ["leader", "roster_admin", "outsider"])
def test_people_who_do_not_run_incidents_cannot_page(client_as, incident, name):
    person = make_person("Pat Page")
    make_reachable(person)
    url = f"/incidents/{incident.pk}/escalation/"
    client = client_as(name)
    assert client.post(url, {"action": "escalate_now"}).status_code == 403
    response = client.post(url, {"action": "page", "target_kind": "person",
                                 "target": str(person.pk), "confirmed": "yes"})
    assert response.status_code == 403
    assert not TimelineEvent.objects.filter(text__contains="by hand").exists()
    assert not Notification.objects.filter(recipient=person).exists()


def test_escalate_now_after_acknowledgement_pages_the_next_step_once(client_as, incident, cast):
    manager = make_person("Mia Manager")
    make_reachable(manager)
    team = incident.services.get().owner_team
    team.manager = manager
    team.save()
    client = client_as("commander")
    with time_machine.travel(T0 + timedelta(seconds=30), tick=False):
        sweep_due()  # step 1 pages on-call
        incident_acknowledge(incident=incident, by=cast["responder"])
        page = client.get(f"/incidents/{incident.pk}/escalation/").content.decode()
        assert "Page the next escalation step once (step 2, round 1)" in page
        response = client.post(f"/incidents/{incident.pk}/escalation/",
                               {"action": "escalate_now"}, follow=True)
    assert "Paging stays stopped" in response.content.decode()
    event = TimelineEvent.objects.filter(kind="escalation").order_by("-pk").first()
    assert event.text.startswith("Escalation step 2 of 3, round 1, run by hand")
    assert event.details["manual"] is True and event.actor == cast["commander"]
    assert "paged Mia Manager" in event.text
    row = Notification.objects.get(recipient=manager)
    assert row.reason == "manual_page" and row.urgency == "urgent"
    assert not Notification.objects.filter(reason="escalation").exclude(
        timer__reference__step=0).exists()
    # Nothing was re-armed: no step of the policy is pending, and the sweep pages nobody.
    assert not Timer.objects.filter(kind="escalation_step", state="pending").exists()
    paging = Notification.objects.filter(reason__in=["escalation", "manual_page"])
    before = paging.count()
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        sweep_due()
    assert paging.count() == before


def test_escalate_now_runs_the_following_step_each_time_then_says_all_ran(
    client_as, incident, cast
):
    client = client_as("commander")
    url = f"/incidents/{incident.pk}/escalation/"
    with time_machine.travel(T0 + timedelta(seconds=30), tick=False):
        sweep_due()
        incident_acknowledge(incident=incident, by=cast["responder"])
    steps = []
    for _ in range(20):
        response = client.post(url, {"action": "escalate_now"}, follow=True)
        if "Every step of the escalation policy has run" in response.content.decode():
            break
        event = TimelineEvent.objects.filter(kind="escalation").order_by("-pk").first()
        steps.append((event.details["round"], event.details["step"]))
    plan = incident.escalation_snapshot
    expected = [(r, s) for r in range(plan["rounds"]) for s in range(len(plan["steps"]))][1:]
    assert steps == expected


def test_after_acknowledgement_nothing_is_due(client_as, incident, cast):
    incident_acknowledge(incident=incident, by=cast["responder"])
    page = client_as("commander").get(f"/incidents/{incident.pk}/escalation/").content.decode()
    assert "Nothing is due: the incident is acknowledged" in page
