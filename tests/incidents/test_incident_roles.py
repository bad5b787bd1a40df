"""Seats on an incident: assign, take ("I'll be IC"), hand over and release, each recorded
with who and when; an incident without a commander is flagged."""

from datetime import UTC, datetime

import pytest
import time_machine

from incidents.models import IncidentRole, TimelineEvent
from incidents.services import (
    NotAllowed,
    TransitionRefused,
    incident_assign_role,
    incident_declare,
    incident_release_role,
)
from tests.incidents.factories import make_person

T0 = datetime(2026, 7, 1, 9, 30, tzinfo=UTC)
T1 = datetime(2026, 7, 1, 9, 45, tzinfo=UTC)



@pytest.fixture
def incident(db):
    return incident_declare(title="Leads not synced to HubSpot", severity="sev2", declared_by=None)


@pytest.fixture
def ana(db):
    return make_person("Ana Alvarez")


@pytest.fixture
def ben(db):
    return make_person("Ben Brook")


def role_events(incident):
    return list(incident.timeline.filter(kind=TimelineEvent.Kind.ROLE_CHANGE))


def post(client, incident, action, **fields):
    return client.post(incident.get_absolute_url(), {"action": action, **fields})


def test_assigning_a_seat_is_recorded_with_who_and_when(cast, incident, ana):
    with time_machine.travel(T0, tick=False):
        seat = incident_assign_role(
            incident=incident, kind="commander", person=ana, by=cast["commander"]
        )
    assert seat.holder == ana
    assert seat.assigned_at == T0
    (event,) = role_events(incident)
    assert event.text == "Ana Alvarez is now Incident commander."
    assert event.actor == cast["commander"]
    assert event.actor_name == "Commander"
    assert event.at == T0
    assert event.details["holder"] == ana.pk
    assert event.details["previous"] is None


def test_a_handover_names_both_people_and_the_time(cast, incident, ana, ben):
    with time_machine.travel(T0, tick=False):
        incident_assign_role(incident=incident, kind="commander", person=ana, by=cast["commander"])
    with time_machine.travel(T1, tick=False):
        seat = incident_assign_role(
            incident=incident, kind="commander", person=ben, by=cast["responder"]
        )
    assert IncidentRole.objects.get(incident=incident, kind="commander").holder == ben
    assert seat.assigned_at == T1
    handover = role_events(incident)[-1]
    assert handover.text == "Incident commander handed over from Ana Alvarez to Ben Brook."
    assert handover.actor_name == "Responder"
    assert handover.at == T1
    assert handover.details["previous"] == ana.pk
    assert handover.details["holder"] == ben.pk


def test_assigning_the_same_person_again_records_nothing(cast, incident, ana):
    incident_assign_role(incident=incident, kind="technical_lead", person=ana, by=cast["commander"])
    incident_assign_role(incident=incident, kind="technical_lead", person=ana, by=cast["commander"])
    assert len(role_events(incident)) == 1


def test_releasing_a_seat_frees_it_and_is_recorded(cast, incident, ana):
    incident_assign_role(incident=incident, kind="commander", person=ana, by=cast["commander"])
    incident_release_role(incident=incident, kind="commander", by=cast["commander"])
    assert not IncidentRole.objects.filter(incident=incident).exists()
    assert role_events(incident)[-1].text == "Ana Alvarez left the Incident commander seat."


def test_a_custom_role_needs_a_name(cast, incident, ana):
    with pytest.raises(TransitionRefused, match="Name the custom role"):
        incident_assign_role(
            incident=incident, kind="custom", custom_name="  ", person=ana, by=cast["commander"]
        )
    seat = incident_assign_role(
        incident=incident, kind="custom", custom_name="Scribe", person=ana, by=cast["commander"]
    )
    assert seat.title == "Scribe"
    assert role_events(incident)[-1].text == "Ana Alvarez is now Scribe."


def test_one_person_may_hold_several_seats_and_seats_are_per_incident(cast, incident, ana):
    other = incident_declare(title="Other", severity="sev3", declared_by=None)
    for kind in ("commander", "communications_lead"):
        incident_assign_role(incident=incident, kind=kind, person=ana, by=cast["commander"])
    incident_assign_role(incident=other, kind="commander", person=ana, by=cast["commander"])
    assert IncidentRole.objects.filter(incident=incident).count() == 2
    assert IncidentRole.objects.filter(incident=other).count() == 1


@pytest.mark.parametrize("name", ["leader", "roster_admin", "outsider"])
def test_only_operators_may_change_seats(cast, incident, ana, name):
    with pytest.raises(NotAllowed):
        incident_assign_role(incident=incident, kind="commander", person=ana, by=cast[name])
    assert not IncidentRole.objects.exists()


# --- From the page --------------------------------------------------------------------------


def test_ill_be_ic_is_offered_while_the_seat_is_empty(client_as, cast, incident):
    make_person("Rhea Responder", user=cast["responder"])
    text = client_as("responder").get(incident.get_absolute_url()).text
    assert "I&#x27;ll be IC" in text or "I'll be IC" in text
    assert "No commander: nobody is running this incident" in text


def test_taking_command_from_the_page_seats_the_viewer(client_as, cast, incident):
    rhea = make_person("Rhea Responder", user=cast["responder"])
    client = client_as("responder")
    with time_machine.travel(T0, tick=False):
        response = post(client, incident, "take", **{"take-kind": "commander"})
    assert response.status_code == 302
    seat = IncidentRole.objects.get(incident=incident, kind="commander")
    assert seat.holder == rhea
    page = client.get(incident.get_absolute_url()).text
    assert "You are now Incident commander." in page
    assert "No commander: nobody" not in page
    assert "Rhea Responder is now Incident commander." in page  # in the timeline
    assert role_events(incident)[0].actor_name == "Responder"


def test_taking_over_a_held_seat_is_a_handover(client_as, cast, incident, ana):
    incident_assign_role(incident=incident, kind="commander", person=ana, by=cast["commander"])
    make_person("Cora Commander", user=cast["commander"])
    client = client_as("commander")
    assert "Take over" in client.get(incident.get_absolute_url()).text
    post(client, incident, "take", **{"take-kind": "commander"})
    assert role_events(incident)[-1].text == (
        "Incident commander handed over from Ana Alvarez to Cora Commander."
    )


def test_assign_and_hand_over_to_a_chosen_person_from_the_page(client_as, incident, ana, ben):
    client = client_as("comms")
    post(client, incident, "assign", **{"assign-kind": "technical_lead", "assign-person": ana.pk})
    post(client, incident, "assign", **{"assign-kind": "technical_lead", "assign-person": ben.pk})
    assert IncidentRole.objects.get(incident=incident, kind="technical_lead").holder == ben
    texts = [event.text for event in role_events(incident)]
    assert texts == [
        "Ana Alvarez is now Technical lead (no-code).",
        "Technical lead (no-code) handed over from Ana Alvarez to Ben Brook.",
    ]


def test_a_custom_role_from_the_page_is_shown_with_its_holder(client_as, incident, ana):
    client = client_as("commander")
    post(
        client,
        incident,
        "assign",
        **{
            "assign-kind": "custom",
            "assign-custom_name": "Vendor liaison",
            "assign-person": ana.pk,
        },
    )
    text = client.get(incident.get_absolute_url()).text
    assert '<span class="seat-title">Vendor liaison</span>' in text
    assert "Ana Alvarez" in text


def test_a_custom_role_without_a_name_is_refused_on_the_page(client_as, incident, ana):
    response = post(
        client_as("commander"),
        incident,
        "assign",
        **{"assign-kind": "custom", "assign-person": ana.pk},
    )
    assert response.status_code == 400
    assert "Name the custom role." in response.text
    assert not IncidentRole.objects.exists()


@pytest.mark.parametrize(
    "fields",
    [
        {"assign-kind": "commander", "assign-person": "999999"},
        {"assign-kind": "emperor", "assign-person": "1"},
        {"assign-kind": "commander"},
        {"assign-kind": "commander", "assign-person": str(10**30)},
    ],
)
def test_a_bad_assignment_is_a_400_and_seats_nobody(client_as, incident, ana, fields):
    assert post(client_as("commander"), incident, "assign", **fields).status_code == 400
    assert not IncidentRole.objects.exists()


def test_release_from_the_page_flags_the_missing_commander_again(client_as, cast, incident, ana):
    incident_assign_role(incident=incident, kind="commander", person=ana, by=cast["commander"])
    client = client_as("responder")
    assert "No commander: nobody" not in client.get(incident.get_absolute_url()).text
    post(client, incident, "release", **{"release-kind": "commander"})
    text = client.get(incident.get_absolute_url()).text
    assert "The Incident commander seat is free." in text
    assert "No commander: nobody is running this incident" in text


def test_releasing_an_empty_seat_says_so(client_as, incident):
    response = post(client_as("responder"), incident, "release", **{"release-kind": "commander"})
    assert response.status_code == 400
    assert "Nobody holds that seat." in response.text


def test_leadership_cannot_take_or_assign_seats(client_as, cast, incident, ana):
    make_person("Lee Leader", user=cast["leader"])
    client = client_as("leader")
    assert "I&#x27;ll be IC" not in client.get(incident.get_absolute_url()).text
    assert post(client, incident, "take", **{"take-kind": "commander"}).status_code == 403
    response = post(
        client, incident, "assign", **{"assign-kind": "commander", "assign-person": ana.pk}
    )
    assert response.status_code == 403
    assert not IncidentRole.objects.exists()
