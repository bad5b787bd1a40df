"""The lifecycle workflows: every transition rule, the milestones they stamp, reopening,
acknowledging and changing severity."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents.models import Incident, IncidentStatus, TimelineEvent
from incidents.services import (
    NotAllowed,
    TransitionRefused,
    allowed_transitions,
    incident_acknowledge,
    incident_change_severity,
    incident_declare,
    incident_reopen,
    incident_set_status,
    incident_unacknowledge,
)

S = IncidentStatus
T0 = datetime(2026, 4, 6, 10, 0, tzinfo=UTC)
ALLOWED = {
    S.TRIAGE: {S.INVESTIGATING, S.IDENTIFIED, S.MONITORING, S.RESOLVED},
    S.INVESTIGATING: {S.IDENTIFIED, S.MONITORING, S.RESOLVED},
    S.IDENTIFIED: {S.INVESTIGATING, S.MONITORING, S.RESOLVED},
    S.MONITORING: {S.INVESTIGATING, S.IDENTIFIED, S.RESOLVED},
    S.RESOLVED: {S.CLOSED},
    S.CLOSED: set(),
}
PAIRS = [(a, b) for a in S for b in S]



def declare(severity="sev2", **fields):
    return incident_declare(title="Invoices stuck", severity=severity, declared_by=None, **fields)


def in_status(status) -> Incident:
    incident = declare()
    Incident.objects.filter(pk=incident.pk).update(status=status)
    return Incident.objects.get(pk=incident.pk)


def fresh(incident) -> Incident:
    return Incident.objects.get(pk=incident.pk)


def kinds(incident) -> list[str]:
    return list(incident.timeline.values_list("kind", flat=True))


# --- Transition rules -----------------------------------------------------------------------


@pytest.mark.parametrize("current, target", [pair for pair in PAIRS if pair[1] in ALLOWED[pair[0]]])
def test_an_allowed_transition_moves_the_incident_and_is_recorded(cast, current, target):
    incident = in_status(current)
    incident_set_status(incident=incident, status=target, by=cast["commander"], note="why")
    assert fresh(incident).status == target
    event = incident.timeline.filter(kind="status_change").get()
    assert event.text == f"Status: {S(current).label} → {S(target).label}. why"
    assert event.details == {"from": current.value, "to": target.value}
    assert event.actor_name == "Commander"


@pytest.mark.parametrize(
    "current, target", [pair for pair in PAIRS if pair[1] not in ALLOWED[pair[0]]]
)
def test_a_forbidden_transition_is_refused_with_what_is_allowed(cast, current, target):
    incident = in_status(current)
    before = kinds(incident)
    with pytest.raises(TransitionRefused) as refusal:
        incident_set_status(incident=incident, status=target, by=cast["commander"])
    allowed = ", ".join(S(s).label for s in allowed_transitions(current)) or "none"
    assert str(refusal.value) == (
        f"An incident cannot go from {S(current).label} to {S(target).label}. "
        f"From {S(current).label} it can go to: {allowed}."
    )
    assert fresh(incident).status == current
    assert kinds(incident) == before


def test_allowed_transitions_lists_statuses_in_lifecycle_order():
    assert allowed_transitions("triage") == [
        "investigating",
        "identified",
        "monitoring",
        "resolved",
    ]
    assert allowed_transitions("resolved") == ["closed"]
    assert allowed_transitions("closed") == []


def test_the_page_shows_the_refusal_message(client_as, cast, db):
    incident = in_status(S.CLOSED)
    response = client_as("commander").post(
        incident.get_absolute_url(), {"action": "status", "status-to": "monitoring"}
    )
    assert response.status_code == 400
    assert "An incident cannot go from Closed to Monitoring." in response.text
    assert "it can go to: none." in response.text


@pytest.mark.parametrize("name", ["leader", "roster_admin", "outsider"])
def test_only_operators_may_move_an_incident(cast, db, name):
    incident = declare()
    with pytest.raises(NotAllowed):
        incident_set_status(incident=incident, status="investigating", by=cast[name])
    assert fresh(incident).status == "triage"


# --- Milestones -----------------------------------------------------------------------------


def test_each_milestone_is_stamped_when_it_is_reached(cast, db):
    with time_machine.travel(T0, tick=False):
        incident = declare()
    steps = [
        (5, "investigating", "triaged_at"),
        (20, "identified", None),
        (35, "monitoring", "mitigated_at"),
        (50, "resolved", "resolved_at"),
        (90, "closed", "closed_at"),
    ]
    for minutes, status, milestone in steps:
        with time_machine.travel(T0 + timedelta(minutes=minutes), tick=False):
            incident_set_status(incident=incident, status=status, by=cast["commander"])
        if milestone:
            assert getattr(fresh(incident), milestone) == T0 + timedelta(minutes=minutes)
    final = fresh(incident)
    assert final.declared_at == T0
    assert final.triaged_at == T0 + timedelta(minutes=5)
    assert final.mitigated_at == T0 + timedelta(minutes=35)  # not moved by resolving
    assert final.resolved_at == T0 + timedelta(minutes=50)
    assert final.closed_at == T0 + timedelta(minutes=90)


def test_leaving_triage_straight_to_resolved_stamps_triage_mitigation_and_resolution(cast, db):
    with time_machine.travel(T0, tick=False):
        incident = declare()
        incident_set_status(incident=incident, status="resolved", by=cast["responder"])
    incident = fresh(incident)
    assert incident.triaged_at == incident.mitigated_at == incident.resolved_at == T0


def test_triage_is_stamped_once_even_when_work_goes_back_and_forth(cast, db):
    incident = declare()
    with time_machine.travel(T0, tick=False):
        incident_set_status(incident=incident, status="investigating", by=cast["responder"])
    with time_machine.travel(T0 + timedelta(minutes=30), tick=False):
        incident_set_status(incident=incident, status="monitoring", by=cast["responder"])
        incident_set_status(incident=incident, status="investigating", by=cast["responder"])
    with time_machine.travel(T0 + timedelta(minutes=60), tick=False):
        incident_set_status(incident=incident, status="monitoring", by=cast["responder"])
    incident = fresh(incident)
    assert incident.triaged_at == T0
    assert incident.mitigated_at == T0 + timedelta(minutes=30)


def test_acknowledging_stamps_the_milestone_once(cast, db):
    incident = declare()
    with time_machine.travel(T0, tick=False):
        assert incident_acknowledge(incident=incident, by=cast["responder"]) is True
    with time_machine.travel(T0 + timedelta(minutes=3), tick=False):
        assert incident_acknowledge(incident=incident, by=cast["commander"]) is False
    assert fresh(incident).acknowledged_at == T0
    assert kinds(incident).count("acknowledged") == 1


def test_withdrawing_an_acknowledgement_clears_it_and_is_recorded(cast, db):
    incident = declare()
    incident_acknowledge(incident=incident, by=cast["responder"])
    incident_unacknowledge(incident=incident, by=cast["responder"], reason="Not mine")
    assert fresh(incident).acknowledged_at is None
    assert incident.timeline.get(kind="unacknowledged").text == (
        "Acknowledgement withdrawn. Not mine"
    )


def test_withdrawing_an_acknowledgement_nobody_gave_is_refused(cast, db):
    incident = declare()
    with pytest.raises(TransitionRefused, match="nothing to withdraw"):
        incident_unacknowledge(incident=incident, by=cast["responder"])
    assert "unacknowledged" not in kinds(incident)


def test_a_system_acknowledgement_names_who_it_was(db):
    incident = declare()
    incident_acknowledge(incident=incident, by=None, name="Ana via the page link")
    assert incident.timeline.get(kind="acknowledged").actor_name == "Ana via the page link"


@pytest.mark.parametrize("name", ["leader", "roster_admin"])
def test_leadership_and_roster_admins_cannot_acknowledge(cast, db, name):
    incident = declare()
    with pytest.raises(NotAllowed):
        incident_acknowledge(incident=incident, by=cast[name])
    assert fresh(incident).acknowledged_at is None


# --- Reopening ------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["resolved", "closed"])
def test_reopening_clears_resolution_and_counts(cast, db, status):
    with time_machine.travel(T0, tick=False):
        incident = declare()
        incident_set_status(incident=incident, status="resolved", by=cast["commander"])
        if status == "closed":
            incident_set_status(incident=incident, status="closed", by=cast["commander"])
    incident_reopen(incident=incident, by=cast["responder"], reason="Errors came back")
    incident = fresh(incident)
    assert incident.status == "investigating"
    assert incident.resolved_at is None
    assert incident.closed_at is None
    assert incident.reopened_count == 1
    assert incident.triaged_at == T0  # earlier milestones stay
    event = incident.timeline.get(kind="reopened")
    assert event.text == "Reopened: Errors came back"
    assert event.details == {"previous": status}
    assert event.actor_name == "Responder"


def test_a_second_reopen_counts_again(cast, db):
    incident = declare()
    for _ in range(2):
        incident_set_status(incident=incident, status="resolved", by=cast["commander"])
        incident_reopen(incident=incident, by=cast["commander"], reason="Again")
    assert fresh(incident).reopened_count == 2


def test_an_open_incident_cannot_be_reopened(cast, db):
    incident = declare()
    with pytest.raises(TransitionRefused, match="Only a resolved or closed incident"):
        incident_reopen(incident=incident, by=cast["commander"], reason="?")
    assert fresh(incident).reopened_count == 0


def test_reopening_needs_a_reason(cast, db):
    incident = in_status(S.RESOLVED)
    with pytest.raises(TransitionRefused, match="Say why"):
        incident_reopen(incident=incident, by=cast["commander"], reason="   ")
    assert fresh(incident).status == "resolved"


def test_reopen_from_the_page_with_a_reason(client_as, db):
    incident = in_status(S.CLOSED)
    client = client_as("responder")
    page = client.get(incident.get_absolute_url()).text
    assert 'name="action" value="reopen"' in page
    assert 'name="status-to"' not in page
    client.post(
        incident.get_absolute_url(), {"action": "reopen", "reopen-reason": "Customers report it"}
    )
    assert fresh(incident).status == "investigating"


# --- Severity -------------------------------------------------------------------------------


def test_lowering_severity_is_any_operators_call_and_is_recorded(cast, db):
    incident = declare(severity="sev1")
    incident_change_severity(incident=incident, severity="sev3", by=cast["comms"], reason="Few")
    assert fresh(incident).severity == "sev3"
    event = incident.timeline.get(kind="severity_change")
    assert event.text == "Severity lowered: SEV1 → SEV3. Few"
    assert event.details == {"from": "sev1", "to": "sev3"}


def test_the_severity_of_a_resolved_incident_cannot_change(cast, db):
    incident = in_status(S.RESOLVED)
    with pytest.raises(TransitionRefused, match="resolved incident cannot change"):
        incident_change_severity(incident=incident, severity="sev4", by=cast["commander"])
    assert fresh(incident).severity == "sev2"


# --- Every workflow moves the version token that live pages poll ----------------------------


def test_each_change_moves_the_incidents_updated_at(cast, db):
    with time_machine.travel(T0, tick=False):
        incident = declare()
    assert fresh(incident).updated_at == T0
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        incident_acknowledge(incident=incident, by=cast["responder"])
    assert fresh(incident).updated_at == T0 + timedelta(minutes=1)
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        incident_set_status(incident=incident, status="identified", by=cast["responder"])
    assert fresh(incident).updated_at == T0 + timedelta(minutes=2)
    with time_machine.travel(T0 + timedelta(minutes=3), tick=False):
        incident_change_severity(incident=incident, severity="sev3", by=cast["responder"])
    assert fresh(incident).updated_at == T0 + timedelta(minutes=3)


def test_the_timeline_tells_the_whole_story_in_order(cast, db):
    incident = declare()
    incident_acknowledge(incident=incident, by=cast["responder"])
    incident_set_status(incident=incident, status="identified", by=cast["responder"])
    incident_set_status(incident=incident, status="resolved", by=cast["responder"])
    incident_set_status(incident=incident, status="closed", by=cast["commander"])
    assert kinds(incident) == [
        "declared",
        "acknowledged",
        "status_change",
        "status_change",
        "status_change",
    ]
    assert TimelineEvent.objects.filter(incident=incident).count() == 5
