"""Finding 1, continued: what a user reads of a failed delivery is a short reason, never the
far end's answer or a socket error (a fake metadata service's keys came back on the
notification page), and test sends are limited."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents.escalation import engine
from incidents.models import ContactMethod, Incident, Notification, NotificationRule
from incidents.notifications.delivery import deliver
from tests.incidents.factories import make_person
from tests.incidents.sinks import HttpSink, free_port

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SECRET_BODY = (
    b"AccessKeyId=AKIAIOSFODNN7EXAMPLE SecretAccessKey=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
)
LEAKS = ("AKIAIOSFODNN7EXAMPLE", "SecretAccessKey", "wJalrXUtnFEMI", "Errno", "Connection refused")


@pytest.fixture
def incident(db):
    return Incident.objects.create(title="Payments failing", severity="sev1")


@pytest.fixture
def rita(cast):
    return make_person("Rita Novak", user=cast["responder"])


def webhook_page(incident, person, address) -> Notification:
    method = ContactMethod.objects.create(person=person, kind="webhook", address=address)
    NotificationRule.objects.create(person=person, urgency="urgent", contact_method=method)
    with time_machine.travel(T0, tick=False):
        engine.page_now(incident, [person], by=None)
        row = Notification.objects.get(recipient=person)
        deliver(row.pk)
    row.refresh_from_db()
    return row


def every_page(client_as, row) -> str:
    """What the recipient, a log reader and a roster admin can read about the delivery."""
    seen = []
    for role, paths in [
        ("responder", [f"/notifications/{row.pk}/", "/profile/"]),
        ("leader", [f"/notifications/{row.pk}/", f"/incidents/{row.incident_id}/notifications/"]),
        ("roster_admin", [
            f"/notifications/{row.pk}/", f"/incidents/{row.incident_id}/notifications/",
            "/notifications/health/", f"/people/{row.recipient_id}/profile/",
        ]),
    ]:
        client = client_as(role)
        for path in paths:
            response = client.get(path)
            assert response.status_code == 200, (role, path)
            seen.append(response.content.decode())
    return "\n".join(seen)


@pytest.mark.parametrize(("status", "state", "reason"), [
    (403, "failed", "Refused (HTTP 403)"),
    (500, "queued", "Temporary failure (HTTP 500)"),
])
def test_the_far_ends_answer_is_on_no_page(
    client_as, incident, rita, outbound_to_loopback, status, state, reason
):
    with HttpSink() as metadata_lookalike:
        metadata_lookalike.answer_next(status, SECRET_BODY, {"Content-Type": "text/plain"})
        row = webhook_page(incident, rita, f"{metadata_lookalike.url}/latest/meta-data/")
        assert len(metadata_lookalike.requests) == 1
    assert (row.state, row.error) == (state, reason)
    rita_method = ContactMethod.objects.get(person=rita)
    stored = row.error + row.delivery_log + rita_method.failure_reason
    html = every_page(client_as, row)
    for leak in LEAKS:
        assert leak not in stored and leak not in html, leak


def test_a_socket_error_is_told_as_a_short_reason(client_as, incident, rita, outbound_to_loopback):
    row = webhook_page(incident, rita, f"http://127.0.0.1:{free_port()}/hook")  # nobody listens
    assert (row.state, row.error) == ("queued", "Could not connect")
    html = every_page(client_as, row)
    for leak in LEAKS:
        assert leak not in row.delivery_log and leak not in html, leak


def test_test_sends_are_limited_per_user(client_as, rita):
    method = ContactMethod.objects.create(person=rita, kind="email", address="rita@example.org")
    client = client_as("responder")
    path = f"/contact-methods/{method.pk}/test/"
    for n in range(5):
        with time_machine.travel(T0 + timedelta(seconds=40 * n), tick=False):
            assert client.post(path).status_code == 302
    assert Notification.objects.filter(contact_method=method).count() == 5
    with time_machine.travel(T0 + timedelta(seconds=200), tick=False):
        refused = client.post(path)
    assert refused.status_code == 429
    assert "Too many test notifications" in refused.content.decode()
    assert Notification.objects.filter(contact_method=method).count() == 5
    with time_machine.travel(T0 + timedelta(minutes=11), tick=False):
        assert client.post(path).status_code == 302
    assert Notification.objects.filter(contact_method=method).count() == 6
