"""Decision authority: who may declare, raise to SEV1, close, and approve rollbacks or
workarounds, by portal role or by a seat on the incident."""

import pytest
from django.contrib.auth.models import Group

from incidents.models import Decision, DecisionAuthority, Incident, TimelineEvent
from incidents.services import (
    NotAllowed,
    decision_record,
    incident_assign_role,
    incident_change_severity,
    incident_declare,
    incident_set_status,
    may,
)
from portal import roles
from tests.incidents.factories import make_person


def declare(severity="sev2"):
    return incident_declare(title="Refunds not sent", severity=severity, declared_by=None)


def seat(incident, user, kind):
    """Give ``user`` (through a roster person) the ``kind`` seat on ``incident``."""
    person = make_person(user.get_full_name(), user=user)
    incident_assign_role(incident=incident, kind=kind, person=person, by=user)
    return person


def fresh(incident) -> Incident:
    return Incident.objects.get(pk=incident.pk)


# --- Declare --------------------------------------------------------------------------------


@pytest.mark.parametrize("severity", ["sev1", "sev2", "sev3", "sev4"])
@pytest.mark.parametrize("name", ["commander", "responder"])
def test_by_default_commanders_and_responders_may_declare_any_severity(cast, name, severity):
    incident = incident_declare(title="x", severity=severity, declared_by=cast[name])
    assert incident.severity == severity


@pytest.mark.parametrize("name", ["comms", "leader", "roster_admin", "outsider"])
def test_others_may_not_declare_and_are_told_who_may(cast, name):
    with pytest.raises(NotAllowed) as refusal:
        incident_declare(title="x", severity="sev3", declared_by=cast[name])
    assert str(refusal.value) == (
        "You may not declare at SEV3: that is for Incident commanders, Responders."
    )
    assert not Incident.objects.exists()


def test_declare_authority_is_per_severity(cast):
    authority = DecisionAuthority.objects.get(severity="sev1", action="declare")
    authority.portal_roles.set([Group.objects.get(name=roles.COMMANDERS)])
    with pytest.raises(NotAllowed, match=r"that is for Incident commanders\."):
        incident_declare(title="x", severity="sev1", declared_by=cast["responder"])
    assert incident_declare(title="x", severity="sev2", declared_by=cast["responder"])
    assert incident_declare(title="x", severity="sev1", declared_by=cast["commander"])


def test_an_action_nobody_configured_is_refused_to_everyone(cast):
    DecisionAuthority.objects.filter(severity="sev4", action="declare").delete()
    with pytest.raises(NotAllowed, match="nobody \\(not configured\\)"):
        incident_declare(title="x", severity="sev4", declared_by=cast["commander"])


# --- Raise to SEV1 --------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["responder", "comms"])
def test_raising_to_sev1_is_refused_to_operators_without_command(cast, name):
    incident = declare("sev2")
    with pytest.raises(NotAllowed) as refusal:
        incident_change_severity(incident=incident, severity="sev1", by=cast[name])
    assert "that is for Incident commanders, the incident's commander" in str(
        refusal.value
    )
    assert fresh(incident).severity == "sev2"
    assert not incident.timeline.filter(kind="severity_change").exists()


def test_a_commander_may_raise_to_sev1(cast):
    incident = declare("sev3")
    incident_change_severity(incident=incident, severity="sev1", by=cast["commander"])
    assert fresh(incident).severity == "sev1"
    assert incident.timeline.get(kind="severity_change").text == "Severity raised: SEV3 → SEV1."


def test_the_incidents_own_commander_may_raise_to_sev1_whatever_their_portal_role(cast):
    incident = declare("sev2")
    seat(incident, cast["responder"], "commander")
    incident_change_severity(incident=incident, severity="sev1", by=cast["responder"])
    assert fresh(incident).severity == "sev1"


def test_a_seat_on_another_incident_gives_no_authority_here(cast):
    other, incident = declare("sev2"), declare("sev2")
    seat(other, cast["responder"], "commander")
    with pytest.raises(NotAllowed):
        incident_change_severity(incident=incident, severity="sev1", by=cast["responder"])


def test_raising_below_sev1_is_open_to_responders(cast):
    incident = declare("sev4")
    incident_change_severity(incident=incident, severity="sev2", by=cast["responder"])
    assert fresh(incident).severity == "sev2"


def test_leadership_may_not_change_severity_at_all(cast):
    incident = declare("sev2")
    with pytest.raises(NotAllowed):
        incident_change_severity(incident=incident, severity="sev4", by=cast["leader"])


# --- Close ----------------------------------------------------------------------------------


def resolved(severity="sev2"):
    incident = declare(severity)
    Incident.objects.filter(pk=incident.pk).update(status="resolved")
    return fresh(incident)


@pytest.mark.parametrize("name", ["responder", "comms"])
def test_closing_is_refused_to_operators_without_command(cast, name):
    incident = resolved("sev1")
    with pytest.raises(NotAllowed) as refusal:
        incident_set_status(incident=incident, status="closed", by=cast[name])
    assert str(refusal.value) == (
        "You may not close at SEV1: that is for Incident commanders, "
        "the incident's commander."
    )
    assert fresh(incident).status == "resolved"
    assert fresh(incident).closed_at is None


def test_a_commander_may_close(cast):
    incident = resolved()
    incident_set_status(incident=incident, status="closed", by=cast["commander"])
    assert fresh(incident).status == "closed"


def test_the_incidents_own_commander_may_close(cast):
    incident = resolved()
    seat(incident, cast["comms"], "commander")
    incident_set_status(incident=incident, status="closed", by=cast["comms"])
    assert fresh(incident).status == "closed"


def test_the_technical_lead_may_not_close(cast):
    incident = resolved()
    seat(incident, cast["responder"], "technical_lead")
    with pytest.raises(NotAllowed):
        incident_set_status(incident=incident, status="closed", by=cast["responder"])


# --- Rollbacks and workarounds --------------------------------------------------------------


def decide(incident, user, kind):
    return decision_record(
        incident=incident,
        decision="Roll the Make scenario back to version 12",
        rationale="Version 13 drops refunds",
        kind=kind,
        by=user,
    )


@pytest.mark.parametrize("kind", ["rollback", "workaround"])
def test_a_commander_without_a_seat_may_not_approve_a_rollback(cast, kind):
    incident = declare()
    with pytest.raises(NotAllowed) as refusal:
        decide(incident, cast["commander"], kind)
    assert str(refusal.value) == (
        "You may not approve a rollback or workaround at SEV2: that is for "
        "the incident's commander, the incident's technical lead (no-code)."
    )
    assert not Decision.objects.exists()
    assert fresh(incident).first_decision_at is None


@pytest.mark.parametrize("kind", ["rollback", "workaround"])
@pytest.mark.parametrize("role", ["commander", "technical_lead"])
def test_the_incidents_commander_or_technical_lead_may_approve(cast, kind, role):
    incident = declare()
    seat(incident, cast["responder"], role)
    decision = decide(incident, cast["responder"], kind)
    assert decision.kind == kind
    assert decision.decided_by == cast["responder"]
    assert fresh(incident).first_decision_at == decision.decided_at


def test_the_communications_lead_may_not_approve_a_workaround(cast):
    incident = declare()
    seat(incident, cast["comms"], "communications_lead")
    with pytest.raises(NotAllowed):
        decide(incident, cast["comms"], "workaround")


def test_any_operator_may_record_an_ordinary_decision(cast):
    incident = declare()
    for name in ("commander", "responder", "comms"):
        decide(incident, cast[name], "other")
    assert Decision.objects.count() == 3
    assert TimelineEvent.objects.filter(incident=incident, kind="decision").count() == 3


def test_leadership_may_not_record_even_an_ordinary_decision(cast):
    with pytest.raises(NotAllowed):
        decide(declare(), cast["leader"], "other")


def test_the_page_offers_rollback_to_the_technical_lead_and_records_it(client_as, cast):
    incident = declare()
    seat(incident, cast["responder"], "technical_lead")
    client = client_as("responder")
    assert '<option value="rollback">' in client.get(incident.get_absolute_url()).text
    client.post(
        incident.get_absolute_url(),
        {
            "action": "decision",
            "decision-decision": "Roll back to version 12",
            "decision-kind": "rollback",
            "decision-rationale": "13 drops refunds",
        },
    )
    decision = Decision.objects.get()
    assert decision.kind == "rollback"
    assert not decision.reversible  # the box was not ticked


def test_a_crafted_rollback_post_is_refused_with_the_reason_and_keeps_the_form(client_as):
    incident = declare()
    response = client_as("commander").post(
        incident.get_absolute_url(),
        {
            "action": "decision",
            "decision-decision": "Roll back to version 12",
            "decision-kind": "rollback",
            "decision-rationale": "13 drops refunds",
        },
    )
    assert response.status_code == 403
    assert "You may not approve a rollback or workaround at SEV2" in response.text
    assert "Roll back to version 12" in response.text  # what was typed is kept
    assert not Decision.objects.exists()


def test_may_answers_without_raising(cast):
    incident = declare("sev1")
    assert may(cast["commander"], "close", "sev1", incident)
    assert not may(cast["responder"], "close", "sev1", incident)
    assert not may(cast["leader"], "declare", "sev1")
