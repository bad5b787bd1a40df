"""/ack/<token>/: a GET changes nothing; a POST acknowledges once, without login; expired,
altered and used links get a clear page and change nothing."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from incidents.escalation import engine
from incidents.models import Incident, Notification, TimelineEvent, Timer
from incidents.notifications.ack import make_token
from incidents.notifications.render import ack_link_for
from incidents.services import incident_acknowledge, incident_declare
from tests.incidents.factories import make_person, make_reachable, make_service

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def olu(db):
    person = make_person("Olu Oncall")
    make_reachable(person, "olu@example.org")
    return person


@pytest.fixture
def incident(db, cast):
    with time_machine.travel(T0, tick=False):
        return incident_declare(
            title="Payments failing", severity="sev1", declared_by=cast["commander"],
            services=[make_service("Payments", tier=1)],
        )


def ack_path(incident, person, at=None):
    """The path of the ack link a page to ``person`` (sent ``at``, or now) carries: made
    when the page is sent, never stored."""
    with time_machine.travel(at or datetime.now(UTC), tick=False):
        engine.page_now(incident, [person], by=None)
        row = Notification.objects.filter(recipient=person).latest("pk")
        link = ack_link_for(row)
    assert link and link not in row.body
    return link.removeprefix("http://127.0.0.1:8000")


def state_of(incident):
    incident.refresh_from_db()
    return (
        incident.acknowledged_at,
        TimelineEvent.objects.filter(incident=incident).count(),
        Timer.objects.filter(incident=incident, state="pending").count(),
        Notification.objects.filter(acknowledged_at__isnull=False).count(),
    )


def test_the_ack_route_is_at_the_root():
    assert reverse("ack", args=["abc"]) == "/ack/abc/"


def test_a_get_shows_the_incident_and_a_button_and_changes_nothing(client, incident, olu):
    path = ack_path(incident, olu, at=T0 + timedelta(minutes=1))
    before = state_of(incident)
    with time_machine.travel(T0 + timedelta(minutes=2), tick=False):
        for _ in range(3):  # a mail scanner, a chat preview, the person
            response = client.get(path)
            assert response.status_code == 200
    html = response.content.decode()
    assert incident.reference in html and "Payments failing" in html
    assert "SEV1" in html and "Triage" in html
    assert 'type="submit"' in html and "csrfmiddlewaretoken" in html
    assert response["Referrer-Policy"] == "same-origin"
    assert state_of(incident) == before
    assert before[0] is None


def test_a_post_acknowledges_without_login_and_marks_the_notifications(client, incident, olu):
    path = ack_path(incident, olu, at=T0 + timedelta(minutes=1))
    with time_machine.travel(T0 + timedelta(minutes=3), tick=False):
        response = client.post(path)
    assert response.status_code == 200
    assert "The paging has stopped" in response.content.decode()
    incident.refresh_from_db()
    assert incident.acknowledged_at == T0 + timedelta(minutes=3)
    event = TimelineEvent.objects.get(incident=incident, kind="acknowledged")
    assert event.actor is None and event.actor_name == "Olu Oncall (link)"
    row = Notification.objects.get(recipient=olu, reason="manual_page")
    assert row.acknowledged_at == T0 + timedelta(minutes=3)
    assert not Timer.objects.filter(
        incident=incident, kind="escalation_step", state="pending"
    ).exists()


def test_a_used_link_gets_a_clear_page_and_changes_nothing(client, incident, olu):
    path = ack_path(incident, olu)
    assert client.post(path).status_code == 200
    before = state_of(incident)
    for method in (client.get, client.post):
        response = method(path)
        assert response.status_code == 410
        assert "already used" in response.content.decode()
    assert state_of(incident) == before


def test_an_expired_link_gets_a_clear_page_and_changes_nothing(client, incident, olu):
    path = ack_path(incident, olu, at=T0)
    before = state_of(incident)
    with time_machine.travel(T0 + timedelta(hours=24, seconds=1), tick=False):
        for method in (client.get, client.post):
            response = method(path)
            assert response.status_code == 410
            assert "expired" in response.content.decode()
    assert state_of(incident) == before
    with time_machine.travel(T0 + timedelta(hours=23, minutes=59), tick=False):
        assert client.get(path).status_code == 200


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-2] + ("AA" if not token.endswith("AA") else "BB"),
        lambda token: "2" + token[1:],  # another incident, same signature
        lambda token: token.split(".")[0],
        lambda token: "not-a-token",
    ],
)
def test_an_altered_link_is_refused_and_changes_nothing(client, incident, olu, tamper):
    path = ack_path(incident, olu)
    token = path.strip("/").split("/")[1]
    before = state_of(incident)
    response = client.post(reverse("ack", args=[tamper(token)]))
    assert response.status_code == 400
    assert "not valid" in response.content.decode()
    assert state_of(incident) == before


def test_a_link_for_an_incident_someone_else_acknowledged_changes_nothing(
    client, incident, olu, cast
):
    path = ack_path(incident, olu)
    incident_acknowledge(incident=incident, by=cast["responder"])
    before = state_of(incident)
    response = client.post(path)
    assert response.status_code == 200
    assert "already acknowledged" in response.content.decode()
    assert state_of(incident) == before


def test_a_link_for_a_resolved_incident_changes_nothing(client, incident, olu):
    path = ack_path(incident, olu)
    Incident.objects.filter(pk=incident.pk).update(status="resolved")
    before = state_of(incident)
    response = client.post(path)
    assert response.status_code == 410
    assert "no longer open" in response.content.decode()
    assert state_of(incident) == before


def test_the_form_carries_the_csrf_token_and_a_post_without_it_is_refused(incident, olu):
    path = ack_path(incident, olu)
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(path).status_code == 403
    assert Incident.objects.get(pk=incident.pk).acknowledged_at is None
    page = browser.get(path).content.decode()
    token = page.split('name="csrfmiddlewaretoken" value="')[1].split('"')[0]
    response = browser.post(path, {"csrfmiddlewaretoken": token})
    assert response.status_code == 200
    assert Incident.objects.get(pk=incident.pk).acknowledged_at is not None


def test_a_token_made_by_hand_for_a_missing_person_is_refused(client, incident):
    token = make_token(incident_id=incident.pk, person_id=999_999, cause="manual:x")
    assert client.get(reverse("ack", args=[token])).status_code == 400
