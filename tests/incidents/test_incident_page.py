"""/incidents/<number>/: the incident page, its live timeline and the actions posted to it."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from incidents.models import (
    Decision,
    Incident,
    IncidentRole,
    ServiceDependency,
    Task,
    Tier,
    TimelineEvent,
)
from incidents.services import incident_assign_role, incident_declare, task_add
from incidents.services.timeline import record
from incidents.views.incident import ACTIONS, version_token
from tests.incidents.factories import make_person, make_service

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def url(incident) -> str:
    return reverse("incidents:incident_detail", args=[incident.pk])


def declare(title="Checkout emails not sent", severity="sev2", services=(), **fields):
    """An incident declared by the system, so that no decision authority stands in the way."""
    return incident_declare(
        title=title, severity=severity, services=services, declared_by=None, **fields
    )


def post(client, incident, action, htmx=False, **fields):
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(url(incident), {"action": action, **fields}, headers=headers)


def fresh(incident) -> Incident:
    return Incident.objects.get(pk=incident.pk)



@pytest.fixture
def incident(db):
    return declare()


# --- Who may read, who may act -------------------------------------------------------------


@pytest.mark.parametrize("name", ["leader", "commander", "responder", "comms"])
def test_leadership_and_operators_may_read_the_page(client_as, incident, name):
    response = client_as(name).get(url(incident))
    assert response.status_code == 200
    assert "Checkout emails not sent" in response.text


@pytest.mark.parametrize("name", ["roster_admin", "outsider"])
def test_roster_admins_and_outsiders_are_refused_the_page(client_as, incident, name):
    assert client_as(name).get(url(incident)).status_code == 403


def test_an_anonymous_visitor_is_sent_to_log_in(client, incident):
    response = client.get(url(incident))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


@pytest.mark.parametrize("number", [999, 10**25])
def test_an_unknown_incident_number_is_a_404(client_as, db, number):
    assert client_as("commander").get(f"/incidents/{number}/").status_code == 404


def test_an_unknown_incident_number_is_a_404_for_a_post_too(client_as, db):
    response = client_as("commander").post("/incidents/999/", {"action": "note"})
    assert response.status_code == 404


def test_leadership_sees_no_action_at_all(client_as, incident):
    response = client_as("leader").get(url(incident))
    assert 'name="action"' not in response.text
    assert "I'll be IC" not in response.text
    assert "Record a decision" not in response.text


@pytest.mark.parametrize(
    "action, fields",
    [
        ("acknowledge", {}),
        ("note", {"note-text": "Looking at the Zap history"}),
        ("status", {"status-to": "investigating"}),
        ("task_add", {"task_add-title": "Check the Stripe webhook"}),
    ],
)
def test_leadership_cannot_act_even_with_a_crafted_post(client_as, incident, action, fields):
    events = TimelineEvent.objects.count()
    response = post(client_as("leader"), incident, action, **fields)
    assert response.status_code == 403
    assert TimelineEvent.objects.count() == events
    assert fresh(incident).acknowledged_at is None
    assert fresh(incident).status == "triage"


@pytest.mark.parametrize("action", sorted(ACTIONS))
@pytest.mark.parametrize("name", ["leader", "roster_admin", "outsider"])
def test_every_action_is_refused_to_non_operators_before_anything_is_read(
    client_as, incident, name, action
):
    events = TimelineEvent.objects.count()
    response = post(client_as(name), incident, action)
    assert response.status_code == 403
    assert TimelineEvent.objects.count() == events
    assert fresh(incident).acknowledged_at is None


@pytest.mark.parametrize("name", ["commander", "responder", "comms"])
def test_every_operator_sees_the_everyday_actions(client_as, incident, name):
    text = client_as(name).get(url(incident)).text
    for action in ("acknowledge", "status", "note", "task_add", "decision", "assign"):
        assert f'name="action" value="{action}"' in text


# --- What the page shows -------------------------------------------------------------------


def test_the_header_shows_severity_status_drill_and_no_commander(client_as, db):
    drill = declare("Onboarding drill", severity="sev1", is_drill=True)
    text = client_as("leader").get(url(drill)).text
    assert 'class="sev sev-sev1"' in text
    assert ">Triage<" in text
    assert 'class="badge-drill"' in text
    assert "No commander: nobody is running this incident" in text


def test_a_seated_commander_removes_the_flag_and_empty_seats_stay_visible(client_as, cast, db):
    incident = declare()
    ana = make_person("Ana Alvarez")
    incident_assign_role(incident=incident, kind="commander", person=ana, by=cast["commander"])
    text = client_as("leader").get(url(incident)).text
    assert "No commander: nobody" not in text
    assert "Ana Alvarez" in text
    assert text.count('class="seat seat-empty"') == 3  # comms lead, technical lead, liaison


@time_machine.travel(NOW, tick=False)
def test_the_clocks_show_each_response_target(client_as, db):
    incident = declare(severity="sev1")
    text = client_as("commander").get(url(incident)).text
    assert text.count('class="clock clock-') == 4
    for label in ("Acknowledge", "Triage", "First decision", "Next update"):
        assert f'<span class="clock-label">{label}</span>' in text
    assert "js/clocks.js" in text


def test_business_impact_names_processes_and_tier_one_services_through_dependencies(client_as, db):
    forms_service = make_service("Signup form", tier=Tier.IMPORTANT, business_process="Leads")
    onboarding = make_service(
        "Customer onboarding flow", tier=Tier.CRITICAL, business_process="Customer onboarding"
    )
    ServiceDependency.objects.create(service=onboarding, depends_on=forms_service)
    incident = declare(services=[forms_service])
    text = client_as("leader").get(url(incident)).text
    assert "Leads" in text
    assert "Customer onboarding" in text
    assert "Customer onboarding flow" in text
    assert "Customer onboarding flow</a> · Customer onboarding" in text
    assert "(through a dependency)" in text


def test_an_incident_without_services_says_its_impact_is_unknown(client_as, incident):
    text = client_as("commander").get(url(incident)).text
    assert "No affected service is named yet" in text


def test_the_decision_log_shows_every_part_of_a_decision(client_as, cast, incident):
    Decision.objects.create(
        incident=incident,
        decision="Pause the Make scenario",
        kind=Decision.Kind.WORKAROUND,
        options_considered="Pause it; patch it live",
        rationale="Stops duplicate charges at once",
        decided_by=cast["commander"],
        decided_by_name="Commander",
        reversible=False,
        outcome="Duplicates stopped",
    )
    text = client_as("leader").get(url(incident)).text
    for part in (
        "Pause the Make scenario",
        "Workaround",
        "Pause it; patch it live",
        "Stops duplicate charges at once",
        "Commander",
        "No: cannot be undone",
        "Duplicates stopped",
    ):
        assert part in text


def test_tasks_show_with_their_assignee(client_as, cast, incident):
    ana = make_person("Ana Alvarez")
    task_add(incident=incident, title="Replay the failed runs", assignee=ana, by=None)
    text = client_as("responder").get(url(incident)).text
    assert "Replay the failed runs" in text
    assert "Ana Alvarez" in text


def test_the_page_answers_with_a_constant_number_of_queries(client_as, cast, db):
    small, large = declare("Small"), declare("Large")
    service = make_service("Payments", tier=Tier.CRITICAL)
    for incident, events in ((small, 10), (large, 200)):
        incident.services.add(service)
        for n in range(events):
            record(incident, TimelineEvent.Kind.NOTE, f"note {n}", by=cast["responder"])
        task_add(incident=incident, title="A task", by=None)
    client = client_as("commander")
    client.get(url(small))  # warm the session and caches alike for both
    counts = []
    for incident in (small, large):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url(incident)).status_code == 200
        counts.append(len(queries))
    # Compared with each other on the same database: holds on SQLite and PostgreSQL alike.
    assert counts[0] == counts[1]
    assert counts[1] < 30


# --- The live timeline ----------------------------------------------------------------------


def test_the_timeline_is_polled_every_five_seconds_with_the_incidents_version(client_as, incident):
    text = client_as("commander").get(url(incident)).text
    version = version_token(fresh(incident).updated_at)
    assert f"?part=live&amp;version={version}" in text
    assert 'hx-trigger="every 5s"' in text


def test_an_unchanged_poll_answers_204_with_one_query_beyond_login(client_as, incident):
    client = client_as("responder")
    version = version_token(fresh(incident).updated_at)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(
            url(incident), {"part": "live", "version": version}, headers={"HX-Request": "true"}
        )
    assert response.status_code == 204
    assert response.content == b""
    # session, user, the user's portal roles, and the version check (any database)
    assert len(queries) == 4


def test_a_poll_after_a_change_returns_the_new_timeline_and_the_header(client_as, cast, incident):
    client = client_as("responder")
    version = version_token(fresh(incident).updated_at)
    record(incident, TimelineEvent.Kind.NOTE, "Zapier says the task history is empty", by=None)
    response = client.get(
        url(incident), {"part": "live", "version": version}, headers={"HX-Request": "true"}
    )
    assert response.status_code == 200
    assert "Zapier says the task history is empty" in response.text
    assert 'id="incident-summary" class="incident-head" hx-swap-oob="true"' in response.text
    assert "<html" not in response.text
    assert version_token(fresh(incident).updated_at) in response.text


def test_the_poll_is_refused_to_outsiders_and_404s_for_unknown_incidents(client_as, incident):
    assert client_as("outsider").get(url(incident), {"part": "live"}).status_code == 403
    assert client_as("leader").get("/incidents/999/", {"part": "live"}).status_code == 404


def test_the_page_varies_on_the_htmx_header(client_as, incident):
    response = client_as("leader").get(url(incident))
    assert "HX-Request" in response["Vary"]


def test_a_long_timeline_shows_the_newest_events_and_links_to_all(client_as, incident):
    for n in range(305):
        record(incident, TimelineEvent.Kind.NOTE, f"step {n:03d}", by=None)
    text = client_as("leader").get(url(incident)).text
    assert "step 304" in text
    assert "step 003" not in text
    assert "Show the whole timeline" in text
    assert "step 003" in client_as("leader").get(url(incident), {"all": "1"}).text


# --- Actions --------------------------------------------------------------------------------


def test_a_plain_post_redirects_back_with_a_message(client_as, incident):
    client = client_as("responder")
    response = post(client, incident, "note", **{"note-text": "Make's run log shows 429s"})
    assert response.status_code == 302
    assert response["Location"] == url(incident)
    page = client.get(url(incident)).text
    assert "Note added to the timeline." in page
    assert "Make&#x27;s run log shows 429s" in page


def test_an_htmx_post_returns_the_page_partial_with_the_message(client_as, incident):
    response = post(
        client_as("responder"), incident, "note", htmx=True, **{"note-text": "Retrying"}
    )
    assert response.status_code == 200
    assert 'id="incident-page"' in response.text
    assert "<html" not in response.text
    assert "Note added to the timeline." in response.text
    assert "Retrying" in response.text


def test_an_unknown_action_changes_nothing_and_says_so(client_as, incident):
    events = TimelineEvent.objects.count()
    response = post(client_as("commander"), incident, "explode")
    assert response.status_code == 400
    assert "that action is not known" in response.text
    assert TimelineEvent.objects.count() == events


def test_an_invalid_form_keeps_what_was_typed_and_changes_nothing(client_as, incident):
    events = TimelineEvent.objects.count()
    response = post(
        client_as("commander"),
        incident,
        "decision",
        **{"decision-decision": "Switch to the backup Zap", "decision-kind": "other"},
    )
    assert response.status_code == 400
    assert "Nothing was changed." in response.text
    assert "Switch to the backup Zap" in response.text
    assert "This field is required." in response.text
    assert TimelineEvent.objects.count() == events
    assert not Decision.objects.exists()


def test_an_htmx_refusal_is_shown_in_the_swapped_partial(client_as, incident):
    response = post(
        client_as("commander"), incident, "status", htmx=True, **{"status-to": "closed"}
    )
    assert response.status_code == 200
    assert "cannot go from Triage to Closed" in response.text
    assert fresh(incident).status == "triage"


@pytest.mark.parametrize(
    "fields",
    [
        {"status-to": "nonsense"},
        {},
    ],
)
def test_a_malformed_status_post_is_a_400_not_a_500(client_as, incident, fields):
    assert post(client_as("commander"), incident, "status", **fields).status_code == 400


def test_acknowledge_from_the_page(client_as, incident):
    client = client_as("responder")
    assert post(client, incident, "acknowledge").status_code == 302
    assert fresh(incident).acknowledged_at is not None
    response = post(client, incident, "acknowledge")
    assert response.status_code == 302
    assert "already acknowledged" in client.get(url(incident)).text


def test_withdraw_an_acknowledgement_with_a_reason(client_as, incident):
    client = client_as("responder")
    post(client, incident, "acknowledge")
    post(client, incident, "unacknowledge", **{"unacknowledge-reason": "Wrong incident"})
    assert fresh(incident).acknowledged_at is None
    assert TimelineEvent.objects.filter(
        incident=incident, kind="unacknowledged", text__contains="Wrong incident"
    ).exists()


def test_withdrawing_an_acknowledgement_that_was_never_given_is_refused(client_as, incident):
    response = post(client_as("responder"), incident, "unacknowledge")
    assert response.status_code == 400
    assert "nothing to withdraw" in response.text
    assert not TimelineEvent.objects.filter(kind="unacknowledged").exists()


def test_only_the_allowed_transitions_are_offered(client_as, incident):
    text = client_as("commander").get(url(incident)).text
    for status in ("investigating", "identified", "monitoring", "resolved"):
        assert f'name="status-to" value="{status}"' in text
    assert 'name="status-to" value="closed"' not in text
    assert 'name="status-to" value="triage"' not in text


def test_close_is_offered_to_a_commander_but_not_to_a_responder(client_as, cast, incident):
    post(client_as("commander"), incident, "status", **{"status-to": "resolved"})
    assert 'name="status-to" value="closed"' in client_as("commander").get(url(incident)).text
    text = client_as("responder").get(url(incident)).text
    assert 'name="status-to" value="closed"' not in text
    assert "Closing is for Incident commanders" in text
    assert 'name="action" value="reopen"' in text


def test_a_responder_crafting_a_close_gets_403_and_the_reason(client_as, incident):
    post(client_as("commander"), incident, "status", **{"status-to": "resolved"})
    response = post(client_as("responder"), incident, "status", **{"status-to": "closed"})
    assert response.status_code == 403
    assert "You may not close at SEV2" in response.text
    assert fresh(incident).status == "resolved"


def test_reopen_needs_a_reason(client_as, incident):
    client = client_as("responder")
    post(client, incident, "status", **{"status-to": "resolved"})
    assert post(client, incident, "reopen", **{"reopen-reason": "  "}).status_code == 400
    assert fresh(incident).status == "resolved"
    post(client, incident, "reopen", **{"reopen-reason": "Errors are back"})
    assert fresh(incident).status == "investigating"


def test_raising_to_sev1_is_not_offered_to_a_responder(client_as, incident):
    text = client_as("responder").get(url(incident)).text
    assert '<option value="sev1">' not in text
    assert "Raising to SEV1 is for Incident commanders" in text
    assert '<option value="sev3">' in text
    assert '<option value="sev1">' in client_as("commander").get(url(incident)).text


def test_change_severity_from_the_page(client_as, incident):
    client = client_as("commander")
    post(client, incident, "severity", **{"severity-severity": "sev1", "severity-reason": "x"})
    assert fresh(incident).severity == "sev1"
    response = post(client, incident, "severity", **{"severity-severity": "sev1"})
    assert response.status_code == 400
    assert "already is SEV1" in response.text


def test_a_responder_crafting_a_raise_to_sev1_is_refused(client_as, incident):
    response = post(client_as("responder"), incident, "severity", **{"severity-severity": "sev1"})
    assert response.status_code == 403
    assert "You may not raise severity to this level at SEV1" in response.text
    assert fresh(incident).severity == "sev2"


def test_record_a_decision_and_later_its_outcome(client_as, incident):
    client = client_as("commander")
    post(
        client,
        incident,
        "decision",
        **{
            "decision-decision": "Keep the Zap off",
            "decision-kind": "other",
            "decision-rationale": "It double-posts",
            "decision-reversible": "on",
        },
    )
    decision = Decision.objects.get()
    assert decision.reversible
    assert fresh(incident).first_decision_at is not None
    post(
        client,
        incident,
        "outcome",
        **{"outcome-decision": decision.pk, "outcome-outcome": "No more double posts"},
    )
    decision.refresh_from_db()
    assert decision.outcome == "No more double posts"


def test_an_outcome_for_a_decision_of_another_incident_is_refused(client_as, cast, incident):
    other = declare("Other")
    decision = Decision.objects.create(
        incident=other, decision="x", rationale="y", decided_by_name="z"
    )
    response = post(
        client_as("commander"),
        incident,
        "outcome",
        **{"outcome-decision": decision.pk, "outcome-outcome": "Hijacked"},
    )
    assert response.status_code == 400
    decision.refresh_from_db()
    assert decision.outcome == ""


def test_rollback_is_not_offered_to_someone_without_a_seat(client_as, incident):
    text = client_as("commander").get(url(incident)).text
    assert '<option value="rollback"' not in text
    assert "Rollbacks and workarounds are approved by the incident" in text


def test_add_a_task_and_tick_it_off(client_as, incident):
    client = client_as("responder")
    ana = make_person("Ana Alvarez")
    post(
        client,
        incident,
        "task_add",
        **{"task_add-title": "Rotate the Airtable key", "task_add-assignee": ana.pk},
    )
    task = Task.objects.get()
    assert task.assignee == ana
    post(client, incident, "task_done", **{"task_done-task": task.pk, "task_done-done": "1"})
    task.refresh_from_db()
    assert task.is_done
    assert task.done_by_name == "Responder"
    response = post(
        client, incident, "task_done", **{"task_done-task": task.pk, "task_done-done": "1"}
    )
    assert response.status_code == 400
    assert "already done" in response.text


def test_a_task_of_another_incident_cannot_be_ticked_from_this_page(client_as, incident):
    other = declare("Other")
    task = task_add(incident=other, title="Not yours", by=None)
    response = post(
        client_as("responder"),
        incident,
        "task_done",
        **{"task_done-task": task.pk, "task_done-done": "1"},
    )
    assert response.status_code == 400
    task.refresh_from_db()
    assert not task.is_done


def test_edit_the_affected_services(client_as, incident):
    payments = make_service("Payments")
    response = post(
        client_as("commander"), incident, "services", **{"services-services": [payments.pk]}
    )
    assert response.status_code == 302
    assert list(fresh(incident).services.all()) == [payments]
    response = post(client_as("commander"), incident, "services", **{"services-services": ["x"]})
    assert response.status_code == 400
    assert list(fresh(incident).services.all()) == [payments]


def test_take_a_seat_without_a_roster_person_is_refused_with_a_reason(client_as, incident):
    response = post(client_as("commander"), incident, "take", **{"take-kind": "commander"})
    assert response.status_code == 400
    assert "not linked to a person in the roster" in response.text
    assert not IncidentRole.objects.exists()


@time_machine.travel(NOW, tick=False)
def test_the_times_are_shown_in_the_viewers_own_time_zone(client_as, cast, db):
    make_person("Commander", user=cast["commander"], time_zone="Asia/Tokyo")
    incident = declare()
    text = client_as("commander").get(url(incident)).text
    assert "2 Mar 18:00" in text  # 09:00 UTC


def test_the_poll_for_a_stale_version_after_a_page_action_sees_the_change(client_as, incident):
    client = client_as("commander")
    old = version_token(fresh(incident).updated_at)
    with time_machine.travel(datetime.now(UTC) + timedelta(seconds=1)):
        post(client, incident, "acknowledge")
    response = client.get(url(incident), {"part": "live", "version": old})
    assert response.status_code == 200
    assert "Acknowledged." in response.text


# --- In a browser: actions swap the page in place and the timeline stays live ---------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_in_a_browser_actions_update_the_page_without_reload_and_the_timeline_is_live(
    cast, browser_login, live_server
):
    from incidents.services import incident_add_note
    from tests.conftest import screenshot

    make_person("Cora Commander", user=cast["commander"])
    service = make_service("Checkout flow", tier=Tier.CRITICAL, business_process="Payments")
    incident = declare("Card payments failing", severity="sev2", services=[service])
    page = browser_login("commander")
    page.goto(f"{live_server.url}{url(incident)}")
    page.evaluate("window.neverReloaded = true")

    page.get_by_role("button", name="I'll be IC").click()
    page.get_by_text("You are now Incident commander.").wait_for()
    assert "No commander" not in page.locator("#incident-summary").inner_text()

    page.fill("#id_note-text", "Stripe dashboard shows card_declined spikes")
    page.get_by_role("button", name="Add to the timeline").click()
    page.locator(".tl-note", has_text="card_declined spikes").wait_for()

    page.get_by_text("Record a decision").click()
    page.fill("#id_decision-decision", "Roll the checkout Zap back to yesterday's version")
    page.select_option("#id_decision-kind", "rollback")
    page.fill("#id_decision-rationale", "The change went out an hour before the errors")
    page.get_by_role("button", name="Record the decision").click()
    page.locator("#decisions .decision-rollback").wait_for()
    assert page.evaluate("window.neverReloaded") is True

    # A change made elsewhere shows within one poll, header included.
    incident_add_note(incident=incident, text="Customers confirm it", by=cast["responder"])
    page.locator(".tl-note", has_text="Customers confirm it").wait_for(timeout=7000)
    assert page.evaluate("window.neverReloaded") is True
    screenshot(page, "incident-page-actions")
    assert Decision.objects.get(incident=incident).kind == "rollback"
