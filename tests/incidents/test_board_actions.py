"""Quick actions on a board card: acknowledge, "I'll be IC", raise severity, post a note.

Each works as an htmx post answered by the re-rendered card and as a plain form answered by
a redirect back to the board with a message; each is for operators only.
"""

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.messages import get_messages

from incidents.models import Incident, IncidentRole, IncidentRoleKind, IncidentStatus, TimelineEvent
from incidents.services import (
    incident_acknowledge,
    incident_assign_role,
    incident_declare,
    incident_set_status,
)
from tests.incidents.factories import make_person, make_service

HTMX = {"HX-Request": "true"}
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
Kind = TimelineEvent.Kind


pytestmark = pytest.mark.usefixtures("clock")  # time stands still at NOW


@pytest.fixture
def incident(cast):
    service = make_service("Checkout", tier=1, business_process="Payments")
    return incident_declare(
        title="Checkout down",
        severity="sev2",
        declared_by=cast["commander"],
        services=[service],
        at=NOW - timedelta(minutes=3),
    )


def url(incident_or_number, action: str) -> str:
    number = getattr(incident_or_number, "pk", incident_or_number)
    return f"/board/{number}/{action}/"


def events(incident, kind) -> list[TimelineEvent]:
    return list(TimelineEvent.objects.filter(incident=incident, kind=kind))


def flashed(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def fresh(incident) -> Incident:
    return Incident.objects.get(pk=incident.pk)


# --- Acknowledge ----------------------------------------------------------------------------


def test_acknowledge_with_htmx_returns_the_card_acknowledged(client_as, cast, incident):
    response = client_as("responder").post(url(incident, "acknowledge"), headers=HTMX)

    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<li class="card board-card board-card-sev2"')
    assert f'id="incident-{incident.pk}"' in page.split(">", 1)[0]
    assert f"INC-{incident.pk} acknowledged." in page
    assert '<span class="tag">Acknowledged</span>' in page
    assert "Acknowledge</button>" not in page
    assert fresh(incident).acknowledged_at == NOW
    [event] = events(incident, Kind.ACKNOWLEDGED)
    assert event.actor == cast["responder"]


def test_acknowledge_without_javascript_redirects_back_with_a_message(client_as, incident):
    client = client_as("comms")
    response = client.post(url(incident, "acknowledge"), {"next": "/board/?severity=sev2"})

    assert response.status_code == 302
    assert response["Location"] == f"/board/?severity=sev2#incident-{incident.pk}"
    assert flashed(response) == [f"INC-{incident.pk} acknowledged."]
    assert fresh(incident).acknowledged_at is not None


def test_acknowledging_twice_says_it_already_was(client_as, cast, incident):
    incident_acknowledge(incident=incident, by=cast["commander"])
    response = client_as("responder").post(url(incident, "acknowledge"), headers=HTMX)
    assert "was already acknowledged" in response.content.decode()
    assert len(events(incident, Kind.ACKNOWLEDGED)) == 1


# --- I'll be IC -----------------------------------------------------------------------------


def test_taking_command_gives_the_viewer_the_commander_seat(client_as, cast, incident):
    ana = make_person("Ana Ruiz", user=cast["responder"])

    response = client_as("responder").post(url(incident, "take-command"), headers=HTMX)

    page = response.content.decode()
    assert f"You are now the incident commander of INC-{incident.pk}." in page
    assert "Incident commander: Ana Ruiz <strong>(you)</strong>" in page
    assert "No commander" not in page
    assert "I'll be IC" not in page
    seat = IncidentRole.objects.get(incident=incident, kind=IncidentRoleKind.COMMANDER)
    assert seat.holder == ana
    assert len(events(incident, Kind.ROLE_CHANGE)) == 1


def test_taking_command_from_someone_else_is_a_recorded_handover(client_as, cast, incident):
    bo = make_person("Bo", user=cast["commander"])
    incident_assign_role(
        incident=incident, kind=IncidentRoleKind.COMMANDER, person=bo, by=cast["commander"]
    )
    make_person("Ana", user=cast["responder"])

    response = client_as("responder").post(url(incident, "take-command"))

    assert flashed(response) == [
        f"You took over as incident commander of INC-{incident.pk} from Bo."
    ]
    [handover] = events(incident, Kind.ROLE_CHANGE)[1:]
    assert "handed over from Bo to Ana" in handover.text


def test_taking_command_twice_changes_nothing(client_as, cast, incident):
    make_person("Ana", user=cast["responder"])
    client = client_as("responder")
    client.post(url(incident, "take-command"), headers=HTMX)
    response = client.post(url(incident, "take-command"), headers=HTMX)
    assert "You already are the incident commander" in response.content.decode()
    assert len(events(incident, Kind.ROLE_CHANGE)) == 1


@pytest.mark.parametrize("htmx", [True, False])
def test_a_user_without_a_person_record_is_told_why_they_cannot_take_command(
    client_as, incident, htmx
):
    client = client_as("responder")
    response = client.post(url(incident, "take-command"), headers=HTMX if htmx else {})

    reason = "Your login is not linked to a person in the roster"
    if htmx:
        assert response.status_code == 200
        assert reason in response.content.decode()
    else:
        assert response.status_code == 302
        assert reason in flashed(response)[0]
    assert not IncidentRole.objects.exists()


# --- Raise severity -------------------------------------------------------------------------


def test_a_commander_raises_severity_one_level(client_as, incident):
    response = client_as("commander").post(
        url(incident, "raise-severity"), {"to": "sev1"}, headers=HTMX
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert f"INC-{incident.pk} raised from SEV2 to SEV1." in page
    assert '<span class="sev sev-sev1">SEV1</span>' in page
    assert "Raise to" not in page  # nothing above SEV1
    assert fresh(incident).severity == "sev1"
    assert len(events(incident, Kind.SEVERITY_CHANGE)) == 1


def test_decision_authority_refuses_a_responder_raising_to_sev1_with_htmx(client_as, incident):
    response = client_as("responder").post(
        url(incident, "raise-severity"), {"to": "sev1"}, headers=HTMX
    )
    assert response.status_code == 403
    assert response["X-Board-Card"] == "1"
    page = response.content.decode()
    assert "You may not raise severity to this level at SEV1" in page
    assert f'id="incident-{incident.pk}"' in page
    assert fresh(incident).severity == "sev2"
    assert not events(incident, Kind.SEVERITY_CHANGE)


def test_decision_authority_refusal_is_a_message_without_javascript(client_as, incident):
    response = client_as("responder").post(url(incident, "raise-severity"), {"to": "sev1"})
    assert response.status_code == 302
    assert "You may not raise severity" in flashed(response)[0]
    assert fresh(incident).severity == "sev2"


def test_a_responder_may_raise_below_sev1(client_as, cast):
    minor = incident_declare(title="Slow wiki", severity="sev3", declared_by=cast["responder"])
    client_as("responder").post(url(minor, "raise-severity"), {"to": "sev2"}, headers=HTMX)
    assert fresh(minor).severity == "sev2"


@pytest.mark.parametrize(
    ("to", "message"),
    [
        ("sev3", "the board was out of date"),  # lower, from a stale card
        ("sev4", "the board was out of date"),
        ("sev2", "the board was out of date"),  # already there
        ("sev9", "Choose the severity"),
        ("", "Choose the severity"),
    ],
)
def test_raising_to_anything_but_one_level_up_is_refused(client_as, incident, to, message):
    client = client_as("commander")
    response = client.post(url(incident, "raise-severity"), {"to": to}, headers=HTMX)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert fresh(incident).severity == "sev2"


def test_a_stale_card_never_jumps_two_levels(client_as, cast):
    minor = incident_declare(title="Slow wiki", severity="sev3", declared_by=cast["commander"])
    # The card showed SEV2 (offering SEV1); it has been lowered to SEV3 since.
    response = client_as("commander").post(url(minor, "raise-severity"), {"to": "sev1"})
    assert "is SEV3 now" in flashed(response)[0]
    assert fresh(minor).severity == "sev3"


def test_raising_a_sev1_says_it_is_the_highest(client_as, cast):
    major = incident_declare(title="All down", severity="sev1", declared_by=cast["commander"])
    response = client_as("commander").post(url(major, "raise-severity"), {"to": "sev1"})
    assert "already SEV1, the highest" in flashed(response)[0]


# --- Note -----------------------------------------------------------------------------------


def test_posting_a_note_adds_it_to_the_timeline(client_as, cast, incident):
    response = client_as("comms").post(
        url(incident, "note"), {"text": "  Stripe reports degraded API  "}, headers=HTMX
    )
    assert response.status_code == 200
    assert f"Note added to INC-{incident.pk}." in response.content.decode()
    [note] = events(incident, Kind.NOTE)
    assert note.text == "Stripe reports degraded API"
    assert note.actor == cast["comms"]


@pytest.mark.parametrize(
    ("text", "message"),
    [("", "A note needs some text."), ("   ", "A note needs some text."), ("x" * 4001, "at most")],
)
def test_a_bad_note_is_refused_with_a_message_and_nothing_written(
    client_as, incident, text, message
):
    response = client_as("responder").post(url(incident, "note"), {"text": text})
    assert message in flashed(response)[0]
    assert not events(incident, Kind.NOTE)


# --- Who may act ----------------------------------------------------------------------------

ACTIONS = [
    ("acknowledge", {}),
    ("take-command", {}),
    ("raise-severity", {"to": "sev1"}),
    ("note", {"text": "Leadership was here"}),
]


@pytest.mark.parametrize(("action", "data"), ACTIONS)
@pytest.mark.parametrize("username", ["leader", "roster_admin", "outsider"])
@pytest.mark.parametrize("htmx", [True, False])
def test_non_operators_are_refused_every_action_and_nothing_changes(
    client_as, cast, incident, action, data, username, htmx
):
    make_person("Lea", user=cast[username])
    before = TimelineEvent.objects.count()

    response = client_as(username).post(url(incident, action), data, headers=HTMX if htmx else {})

    assert response.status_code == 403
    after = fresh(incident)
    assert after.acknowledged_at is None and after.severity == "sev2"
    assert not IncidentRole.objects.exists()
    assert TimelineEvent.objects.count() == before


@pytest.mark.parametrize(("action", "data"), ACTIONS)
def test_anonymous_action_is_sent_to_log_in(client, incident, action, data):
    response = client.post(url(incident, action), data)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


# --- Bad requests ---------------------------------------------------------------------------


@pytest.mark.parametrize("number", [999, 2**63, 10**30])
def test_an_unknown_incident_is_not_found(client_as, incident, number):
    response = client_as("responder").post(url(number, "acknowledge"))
    assert response.status_code == 404


def test_an_unknown_action_is_not_found(client_as, incident):
    assert client_as("responder").post(url(incident, "delete")).status_code == 404


def test_actions_refuse_get(client_as, incident):
    assert client_as("responder").get(url(incident, "acknowledge")).status_code == 405


@pytest.mark.parametrize("htmx", [True, False])
def test_an_incident_resolved_meanwhile_has_left_the_board(client_as, cast, incident, htmx):
    incident_set_status(incident=incident, status=IncidentStatus.RESOLVED, by=cast["commander"])

    response = client_as("responder").post(
        url(incident, "acknowledge"), headers=HTMX if htmx else {}
    )

    message = f"INC-{incident.pk} is resolved; it is no longer on the board."
    if htmx:
        assert message in response.content.decode()
        assert "board-card-gone" in response.content.decode()
    else:
        assert flashed(response) == [message]
    assert fresh(incident).acknowledged_at is None


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/board/",
        "//evil.example/board/",
        "/admin/",
        "/board/?severity=sev1\r\nSet-Cookie: x=1",
        "http://[::1",
    ],
)
def test_the_return_address_is_only_ever_the_board(client_as, incident, next_url):
    response = client_as("responder").post(url(incident, "acknowledge"), {"next": next_url})
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("/board/")
    assert "\n" not in location and "evil" not in location


def test_the_return_address_keeps_the_filters_but_not_the_version(client_as, incident):
    response = client_as("responder").post(
        url(incident, "note"), {"text": "ok", "next": "/board/?team=payments&v=abc&mine=on"}
    )
    assert response["Location"] == f"/board/?team=payments&mine=on#incident-{incident.pk}"
