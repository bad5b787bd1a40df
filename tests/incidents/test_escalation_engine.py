"""The escalation engine driven through whole scenarios with the clock moved by hand."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents.models import (
    AudienceGroup,
    Notification,
    NotificationRule,
    TimelineEvent,
    Timer,
)
from incidents.services import (
    decision_record,
    incident_acknowledge,
    incident_change_severity,
    incident_declare,
    incident_set_status,
)
from incidents.timers import sweep_due
from tests.incidents.factories import (
    make_pageable,
    make_person,
    make_reachable,
    make_rotation,
    make_service,
    make_team,
)

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday, inside the demo rotation's shift


@pytest.fixture
def org(db):
    """A tier-1 service whose rotation has Olu on call, a team manager and a leadership group."""
    manager = make_person("Mia Manager")
    make_reachable(manager)
    team = make_team("Payments team", manager=manager)
    oncall = make_person("Olu Oncall", team=team)
    make_reachable(oncall)
    leader = make_pageable(make_person("Lee Leader"))  # breaches reach leaders as routine news
    wide = make_person("Wren Wide")
    make_reachable(wide)
    AudienceGroup.objects.get(slug="leadership").members.add(leader)
    AudienceGroup.objects.get(slug="cross-functional").members.add(wide)
    rotation = make_rotation("Payments on-call", people=[oncall], team=team)
    service = make_service("Payments", tier=1, owner_team=team, rotation=rotation)
    return {"service": service, "oncall": oncall, "manager": manager, "leader": leader,
            "wide": wide}


def paged(at):
    """Names of people paged (urgent or routine) at ``at``, sorted."""
    rows = Notification.objects.filter(queued_at=at).select_related("recipient")
    return sorted({n.recipient.name for n in rows})


def run(at):
    with time_machine.travel(at, tick=False):
        sweep_due(at)
    return paged(at)


def declare(org, cast, severity="sev1"):
    with time_machine.travel(T0, tick=False):
        return incident_declare(
            title="Payments failing", severity=severity, declared_by=cast["commander"],
            services=[org["service"]],
        )


def test_unacknowledged_sev1_on_tier1_runs_every_step_and_repeat_on_time(org, cast):
    incident = declare(org, cast)
    assert run(T0) == ["Olu Oncall"]
    # Triaged in time, so the triage clock (15 min) adds no breach page to this scenario.
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        incident_set_status(incident=incident, status="investigating", by=cast["commander"])
    assert run(T0 + timedelta(minutes=4, seconds=59)) == []
    assert run(T0 + timedelta(minutes=5)) == ["Mia Manager"]
    assert run(T0 + timedelta(minutes=10)) == ["Lee Leader", "Wren Wide"]
    # Round 2 starts after the policy's repeat interval (5 minutes for tier 1 SEV1).
    assert run(T0 + timedelta(minutes=15)) == ["Olu Oncall"]
    assert run(T0 + timedelta(minutes=20)) == ["Mia Manager"]
    steps = TimelineEvent.objects.filter(kind="escalation").values_list("text", flat=True)
    assert "Escalation step 1 of 3, round 2: paged Olu Oncall." in list(steps)


def test_three_rounds_then_paging_stops(org, cast):
    declare(org, cast)
    for minute in range(0, 60):
        run(T0 + timedelta(minutes=minute))
    assert Notification.objects.filter(recipient=org["oncall"], reason="escalation").count() == 3
    assert not Timer.objects.filter(kind="escalation_step", state="pending").exists()


def test_acknowledgement_between_steps_sends_nothing_more(org, cast):
    incident = declare(org, cast)
    run(T0)
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        incident_acknowledge(incident=incident, by=cast["responder"])
        incident_set_status(incident=incident, status="investigating", by=cast["commander"])
    for minute in range(3, 40):
        assert run(T0 + timedelta(minutes=minute)) == []
    assert Notification.objects.filter(reason="escalation").count() == 1


def test_acknowledgement_cancels_the_delayed_sms_step_of_a_rule(org, cast):
    from incidents.models import ContactMethod

    sms = ContactMethod.objects.create(person=org["oncall"], kind="sms", address="+447700900123")
    NotificationRule.objects.create(
        person=org["oncall"], urgency="urgent", contact_method=sms, delay_minutes=5
    )
    incident = declare(org, cast)
    run(T0)
    queued_sms = Notification.objects.get(channel="sms")
    assert queued_sms.deliver_after == T0 + timedelta(minutes=5)
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        incident_acknowledge(incident=incident, by=cast["responder"])
    queued_sms.refresh_from_db()
    assert queued_sms.state == "cancelled"


def test_sweeping_the_same_instant_twice_pages_once(org, cast):
    declare(org, cast)
    run(T0)
    run(T0)
    assert Notification.objects.count() == 1


def test_raising_severity_midway_replans_from_the_new_policy(org, cast):
    incident = declare(org, cast, severity="sev3")
    assert run(T0) == ["Olu Oncall"]
    later = T0 + timedelta(minutes=3)
    with time_machine.travel(later, tick=False):
        incident_change_severity(incident=incident, severity="sev1", by=cast["commander"])
    incident.refresh_from_db()
    assert incident.escalation_snapshot["severity"] == "sev1"
    assert run(later) == ["Olu Oncall"]
    assert run(later + timedelta(minutes=5)) == ["Mia Manager"]
    assert run(later + timedelta(minutes=10)) == ["Lee Leader", "Wren Wide"]


def test_missed_triage_is_recorded_and_escalates_at_once(org, cast):
    incident = declare(org, cast)
    run(T0)
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        incident_acknowledge(incident=incident, by=cast["responder"])
    breach = T0 + timedelta(minutes=15)
    # Acknowledged, so paging stopped; the breach rule still pages the manager and tells
    # leadership (SEV1 missed triage).
    assert run(breach) == ["Lee Leader", "Mia Manager"]
    kinds = list(TimelineEvent.objects.filter(incident=incident).values_list("kind", flat=True))
    assert "target_breached" in kinds


def test_missed_triage_without_acknowledgement_runs_the_next_step_early(org, cast):
    declare(org, cast, severity="sev2")  # SEV2: triage 30 min; steps at 0, 5, 10
    run(T0)
    run(T0 + timedelta(minutes=5))
    run(T0 + timedelta(minutes=10))
    # Round 2 would start at minute 15+... the breach at 30 runs the pending step at once.
    names = run(T0 + timedelta(minutes=30))
    assert "Mia Manager" in names  # breach rule for SEV2 triage pages the manager


def test_leaving_triage_in_time_cancels_the_triage_clock(org, cast):
    incident = declare(org, cast)
    with time_machine.travel(T0 + timedelta(minutes=3), tick=False):
        incident_set_status(incident=incident, status="investigating", by=cast["commander"])
        decision_record(incident=incident, decision="Pause sync", rationale="Stops bad data",
                        by=cast["commander"])
    pending = Timer.objects.filter(incident=incident, state="pending", kind="response_target")
    assert sorted(t.reference["target"] for t in pending) == ["update"]


def test_resolve_cancels_every_timer_of_the_incident(org, cast):
    incident = declare(org, cast)
    with time_machine.travel(T0 + timedelta(minutes=1), tick=False):
        incident_set_status(incident=incident, status="resolved", by=cast["commander"])
    assert not Timer.objects.filter(incident=incident, state="pending").exists()
    assert run(T0 + timedelta(minutes=5)) == []


def test_a_step_that_reaches_nobody_pages_the_fallback_and_flags_the_incident(org, cast):
    org["service"].rotation.layers.all().delete()  # a gap: nobody on call
    incident = declare(org, cast)
    assert run(T0) == ["Mia Manager"]
    incident.refresh_from_db()
    assert "reached nobody" in incident.paging_gap
