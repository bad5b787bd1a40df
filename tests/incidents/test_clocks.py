"""Response-target clocks: computed from the targets and the incident's milestones, each a
separate clock from declaration, amber near the target and red past it."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from incidents.clocks import TargetBook, Targets, incident_clocks
from incidents.models import Incident, ResponseTarget
from incidents.services import (
    decision_record,
    incident_acknowledge,
    incident_declare,
    incident_set_status,
)
from tests.incidents.factories import make_service

T0 = datetime(2026, 5, 4, 8, 0, tzinfo=UTC)



def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def declare(severity="sev1", services=()):
    with time_machine.travel(T0, tick=False):
        return incident_declare(
            title="Onboarding emails stuck", severity=severity, services=services, declared_by=None
        )


def clocks_now(incident) -> dict[str, str]:
    """The state of each clock of ``incident`` at the travelled-to time."""
    incident = Incident.objects.get(pk=incident.pk)
    targets = TargetBook().for_incident(
        incident.severity, incident.services.values_list("pk", flat=True)
    )
    return {clock.name: clock.state for clock in incident_clocks(incident, targets, timezone.now())}


# --- Targets --------------------------------------------------------------------------------


def test_the_default_targets_follow_the_severity(db):
    book = TargetBook()
    assert book.for_incident("sev1", []) == Targets(5, 15, 60, 30)
    assert book.for_incident("sev2", []) == Targets(10, 30, 120, 60)
    assert book.for_incident("sev3", []) == Targets(30, 120, None, 240)
    assert book.for_incident("sev4", []) == Targets(60, None, None, None)


def test_a_service_override_tightens_the_targets(db):
    payments = make_service("Payments")
    ResponseTarget.objects.create(
        severity="sev1", service=payments, acknowledge_minutes=2, triage_minutes=10
    )
    assert TargetBook().for_incident("sev1", [payments.pk]) == Targets(2, 10, 60, 30)


def test_a_looser_service_override_is_that_services_own_target(db):
    payments = make_service("Payments")
    ResponseTarget.objects.create(
        severity="sev1", service=payments, acknowledge_minutes=20, update_minutes=90
    )
    assert TargetBook().for_incident("sev1", [payments.pk]) == Targets(20, 15, 60, 90)


def test_with_several_services_a_looser_override_does_not_loosen_the_others(db):
    payments, ledger = make_service("Payments"), make_service("Ledger")
    ResponseTarget.objects.create(severity="sev1", service=payments, acknowledge_minutes=20)
    assert TargetBook().for_incident("sev1", [payments.pk, ledger.pk]).acknowledge == 5


def test_an_override_adds_a_target_the_default_lacks(db):
    payments = make_service("Payments")
    ResponseTarget.objects.create(
        severity="sev4", service=payments, acknowledge_minutes=60, triage_minutes=240
    )
    assert TargetBook().for_incident("sev4", [payments.pk]).triage == 240


def test_the_strictest_of_several_services_applies(db):
    a, b = make_service("A"), make_service("B")
    ResponseTarget.objects.create(severity="sev2", service=a, acknowledge_minutes=8)
    ResponseTarget.objects.create(severity="sev2", service=b, acknowledge_minutes=3)
    assert TargetBook().for_incident("sev2", [a.pk, b.pk]).acknowledge == 3


def test_an_override_only_counts_for_its_own_severity_and_service(db):
    a, b = make_service("A"), make_service("B")
    ResponseTarget.objects.create(severity="sev2", service=a, acknowledge_minutes=1)
    book = TargetBook()
    assert book.for_incident("sev1", [a.pk]).acknowledge == 5
    assert book.for_incident("sev2", [b.pk]).acknowledge == 10


def test_the_clocks_of_an_incident_use_the_override_of_its_service(db):
    payments = make_service("Payments")
    ResponseTarget.objects.create(severity="sev1", service=payments, acknowledge_minutes=2)
    incident = declare(services=[payments])
    with time_machine.travel(at(3), tick=False):
        assert clocks_now(incident)["acknowledge"] == "breached"
    plain = declare()
    with time_machine.travel(at(3), tick=False):
        assert clocks_now(plain)["acknowledge"] == "ok"


# --- States ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "minutes, state",
    [
        (0, "ok"),
        (3.5, "ok"),  # 1.5 of 5 minutes left: more than a quarter
        (3.75, "near"),  # exactly a quarter left
        (4.5, "near"),
        (5, "breached"),  # due now
        (12, "breached"),
    ],
)
def test_an_unmet_clock_is_ok_then_near_then_breached(db, minutes, state):
    incident = declare()
    with time_machine.travel(at(minutes), tick=False):
        assert clocks_now(incident)["acknowledge"] == state


@pytest.mark.parametrize("ack_minute, state", [(1, "met"), (5, "met"), (7, "met_late")])
def test_a_clock_met_in_time_or_late_stays_so(cast, ack_minute, state):
    incident = declare()
    with time_machine.travel(at(ack_minute), tick=False):
        incident_acknowledge(incident=incident, by=cast["responder"])
    with time_machine.travel(at(300), tick=False):
        assert clocks_now(incident)["acknowledge"] == state


def test_triage_and_decision_clocks_stop_at_their_milestones(cast):
    incident = declare()
    with time_machine.travel(at(10), tick=False):
        incident_set_status(incident=incident, status="investigating", by=cast["responder"])
    with time_machine.travel(at(70), tick=False):
        decision_record(incident=incident, decision="Pause", rationale="Why", by=cast["responder"])
    with time_machine.travel(at(80), tick=False):
        states = clocks_now(incident)
    assert states["triage"] == "met"
    assert states["decision"] == "met_late"
    assert states["acknowledge"] == "breached"


def test_the_update_clock_restarts_from_the_last_update(db):
    incident = declare()  # SEV1: an update every 30 minutes
    with time_machine.travel(at(31), tick=False):
        assert clocks_now(incident)["update"] == "breached"
    Incident.objects.filter(pk=incident.pk).update(last_update_at=at(30))
    with time_machine.travel(at(31), tick=False):
        assert clocks_now(incident)["update"] == "ok"
    with time_machine.travel(at(54), tick=False):
        assert clocks_now(incident)["update"] == "near"
    with time_machine.travel(at(60), tick=False):
        assert clocks_now(incident)["update"] == "breached"


def test_a_severity_without_a_target_has_no_such_clock(db):
    incident = declare("sev4")
    with time_machine.travel(at(1), tick=False):
        assert set(clocks_now(incident)) == {"acknowledge"}


def test_a_resolved_incidents_clocks_stop_where_they_stood(cast):
    incident = declare()
    with time_machine.travel(at(2), tick=False):
        incident_set_status(incident=incident, status="resolved", by=cast["responder"])
    with time_machine.travel(at(600), tick=False):
        states = clocks_now(incident)
    assert states["acknowledge"] == "ok"  # never acknowledged, but it was not late yet
    assert states["triage"] == "met"
    assert "update" not in states  # no more updates are due


def test_each_clock_runs_from_declaration_with_its_own_due_time(db):
    incident = declare()
    targets = TargetBook().for_incident("sev1", [])
    clocks = {c.name: c for c in incident_clocks(incident, targets, at(1))}
    assert clocks["acknowledge"].due_at == at(5)
    assert clocks["triage"].due_at == at(15)
    assert clocks["decision"].due_at == at(60)
    assert clocks["update"].due_at == at(30)
    assert clocks["acknowledge"].label == "Acknowledge"


# --- On the page ----------------------------------------------------------------------------


def test_the_page_colours_each_clock_by_its_state(client_as, cast):
    incident = declare()
    with time_machine.travel(at(2), tick=False):
        incident_acknowledge(incident=incident, by=cast["responder"])
    with time_machine.travel(at(12), tick=False):
        text = client_as("leader").get(incident.get_absolute_url()).text
    assert 'class="clock clock-met"' in text  # acknowledged at 2 of 5 minutes
    assert 'class="clock clock-near"' in text  # triage: 3 of 15 minutes left
    assert 'class="clock clock-ok"' in text  # decision: 48 of 60 minutes left
    assert "met at 08:02" in text


def test_the_page_shows_a_breached_clock_in_red_with_how_far_over(client_as, db):
    incident = declare()
    with time_machine.travel(at(20), tick=False):
        text = client_as("commander").get(incident.get_absolute_url()).text
    assert 'class="clock clock-breached"' in text
    assert "15 min over" in text
