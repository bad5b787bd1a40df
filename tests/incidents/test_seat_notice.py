"""A seat given to someone (a first assignment or a handover) tells them: a routine message
through the outbox and their routine rules."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.urls import reverse

from incidents.models import Notification
from incidents.services import incident_assign_role, incident_declare
from tests.incidents.factories import make_pageable, make_person, make_reachable, make_service

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def incident(cast):
    make_pageable(make_person("Cole Commander", user=cast["commander"]))
    with time_machine.travel(T0, tick=False):
        return incident_declare(
            title="Invoices stuck", severity="sev2", services=[make_service("Invoicing")],
            declared_by=cast["commander"],
        )


def seat_notices(person):
    return list(Notification.objects.filter(recipient=person, reason="seat"))


def test_the_new_holder_gets_a_routine_notice(incident, cast):
    cara = make_pageable(make_person("Cara Comms"))
    incident_assign_role(
        incident=incident, kind="communications_lead", person=cara, by=cast["commander"]
    )
    [notice] = seat_notices(cara)
    assert notice.urgency == "routine"
    assert notice.incident == incident
    assert notice.subject == (
        f"[Update] You are communications lead of {incident.reference}: Invoices stuck"
    )
    assert f"Commander made you communications lead of {incident.reference}." in notice.body
    assert incident.get_absolute_url() in notice.body


def test_a_handover_tells_the_new_holder_once(incident, cast):
    cara, rae = make_pageable(make_person("Cara Comms")), make_pageable(make_person("Rae"))
    with time_machine.travel(T0, tick=False):
        incident_assign_role(
            incident=incident, kind="technical_lead", person=cara, by=cast["commander"]
        )
    with time_machine.travel(T0.replace(minute=20), tick=False):
        incident_assign_role(
            incident=incident, kind="technical_lead", person=rae, by=cast["commander"]
        )
        # Giving the seat again to the one who holds it changes nothing and tells nobody.
        incident_assign_role(
            incident=incident, kind="technical_lead", person=rae, by=cast["commander"]
        )
    [notice] = seat_notices(rae)
    assert "handed over from Cara Comms" in notice.body
    assert len(seat_notices(cara)) == 1


def test_taking_a_seat_oneself_sends_nothing(incident, cast):
    commander = cast["commander"].person
    incident_assign_role(
        incident=incident, kind="commander", person=commander, by=cast["commander"]
    )
    assert seat_notices(commander) == []


def test_only_routine_rules_are_used(incident, cast):
    urgent_only = make_person("Uma Urgent")
    make_reachable(urgent_only)  # an urgent rule, no routine one
    incident_assign_role(
        incident=incident, kind="business_liaison", person=urgent_only, by=cast["commander"]
    )
    assert seat_notices(urgent_only) == []


def test_the_page_says_the_holder_is_told(incident, client_as):
    cara = make_pageable(make_person("Cara Comms"))
    client = client_as("commander")
    response = client.post(
        reverse("incidents:incident_detail", args=[incident.pk]),
        {"action": "assign", "assign-kind": "communications_lead", "assign-person": cara.pk},
        follow=True,
    )
    assert "Cara Comms is now Communications lead; they are told through their routine " \
        "notification rules." in response.content.decode()
    assert len(seat_notices(cara)) == 1


@pytest.mark.parametrize("name", ["leader", "roster_admin", "outsider"])
def test_people_who_do_not_run_incidents_cannot_assign_seats(incident, client_as, name):
    cara = make_pageable(make_person("Cara Comms"))
    response = client_as(name).post(
        reverse("incidents:incident_detail", args=[incident.pk]),
        {"action": "assign", "assign-kind": "communications_lead", "assign-person": cara.pk},
    )
    assert response.status_code == 403
    assert seat_notices(cara) == []
