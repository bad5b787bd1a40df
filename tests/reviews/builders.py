"""Builders for the reviews tests: an organisation, and an incident scripted through the
incidents workflows from declaration to resolution with the clock moved by hand."""

from datetime import UTC, datetime, timedelta

import time_machine

from incidents.models import ContactMethod, NotificationRule, ServiceDependency
from incidents.services import (
    decision_record,
    decision_record_outcome,
    incident_acknowledge,
    incident_add_note,
    incident_assign_role,
    incident_declare,
    incident_set_status,
    task_add,
    task_set_done,
)
from incidents.timers import sweep_due
from tests.incidents.factories import make_person, make_rotation, make_service, make_team

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)  # a Monday


def reach(person, address: str | None = None, urgency: str = "routine") -> ContactMethod:
    """Give ``person`` an email method and a rule for ``urgency`` using it."""
    method = ContactMethod.objects.create(
        person=person, kind="email", address=address or f"p{person.pk}@example.org"
    )
    NotificationRule.objects.create(person=person, urgency=urgency, contact_method=method)
    return method


def make_org():
    """A tier-1 public checkout on Bubble that depends on an internal records base, owned
    by a payments team with a manager and an on-call engineer; the cast's commander and
    responder are people on the roster."""
    manager = make_person("Mia Manager")
    reach(manager, urgency="urgent")
    reach(manager, "mia.routine@example.org")
    team = make_team("Payments team", manager=manager)
    oncall = make_person("Olu Oncall", team=team)
    reach(oncall, urgency="urgent")
    rotation = make_rotation("Payments on-call", people=[oncall], team=team)
    records = make_service(
        "Customer records", tier=2, business_process="Customer data", owner_team=team,
        platform="airtable",
    )
    checkout = make_service(
        "Checkout", tier=1, business_process="Payments", owner_team=team, public=True,
        platform="bubble", rotation=rotation,
    )
    ServiceDependency.objects.create(service=checkout, depends_on=records)
    return {
        "team": team, "manager": manager, "oncall": oncall, "records": records,
        "checkout": checkout,
    }


def person_for(user, name: str | None = None):
    person = make_person(name or user.get_full_name() or user.username)
    person.user = user
    person.save()
    return person


def at(minutes: float) -> datetime:
    return T0 + timedelta(minutes=minutes)


def script_incident(org, cast, *, resolve: bool = True):
    """A SEV2 on the records base (so checkout fails with it), driven through the
    workflows: paged, acknowledged late, seats taken, a note, a decision with an outcome,
    a task done, then identified, monitoring and resolved after 95 minutes."""
    commander, responder = cast["commander"], cast["responder"]
    cole = getattr(commander, "person", None) or person_for(commander, "Cole Commander")
    rita = getattr(responder, "person", None) or person_for(responder, "Rita Responder")
    with time_machine.travel(at(0), tick=False):
        incident = incident_declare(
            title="Customer records API failing", severity="sev2", declared_by=commander,
            services=[org["records"]], summary="The Airtable base answers 503 to every call.",
        )
    for minute in (1, 6, 12, 16):
        with time_machine.travel(at(minute), tick=False):
            sweep_due(at(minute))
    with time_machine.travel(at(14), tick=False):
        incident_acknowledge(incident=incident, by=responder)
    with time_machine.travel(at(15), tick=False):
        incident_assign_role(incident=incident, kind="commander", person=cole, by=commander)
        incident_assign_role(incident=incident, kind="technical_lead", person=rita, by=commander)
    with time_machine.travel(at(20), tick=False):
        incident_set_status(incident=incident, status="investigating", by=commander)
        incident_add_note(incident=incident, text="Airtable status page is green.", by=responder)
    with time_machine.travel(at(40), tick=False):
        decision = decision_record(
            incident=incident, decision="Pause the checkout sync scenario",
            rationale="Retries pile up and would double-charge when the base returns",
            options_considered="Keep retrying; pause the sync; switch to the CSV fallback",
            by=commander,
        )
        task = task_add(incident=incident, title="Export failed orders", by=commander,
                        assignee=rita)
    with time_machine.travel(at(55), tick=False):
        task_set_done(task=task, done=True, by=responder)
        incident_set_status(incident=incident, status="identified", by=commander)
    with time_machine.travel(at(70), tick=False):
        decision_record_outcome(decision=decision, outcome="No duplicate charge.", by=commander)
        incident_set_status(incident=incident, status="monitoring", by=commander)
    if resolve:
        with time_machine.travel(at(95), tick=False):
            incident_set_status(incident=incident, status="resolved", by=commander)
    incident.refresh_from_db()
    return incident
