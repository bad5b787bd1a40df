"""The notification pages: an incident's delivery log, one notification, the channel health
summary, and "send me a test notification"; each refuses the wrong role."""

from datetime import timedelta

import pytest
from django.utils import timezone

from incidents.models import ContactMethod, Incident, Notification
from tests.incidents.factories import make_person, make_reachable


@pytest.fixture
def incident(db):
    return Incident.objects.create(title="Payments failing", severity="sev1")


@pytest.fixture
def rows(incident):
    olu = make_person("Olu Oncall")
    method = make_reachable(olu, "olu@example.org")
    now = timezone.now()
    common = {"incident": incident, "recipient": olu, "contact_method": method,
              "channel": "email", "urgency": "urgent", "reason": "escalation",
              "subject": "s", "body": "b"}
    sent = Notification.objects.create(
        **common, cause="timer:1", idempotency_key="a", state="sent", attempts=3,
        queued_at=now - timedelta(seconds=12), sent_at=now - timedelta(seconds=10),
        bundle_key="7-abc123", acknowledged_at=now,
    )
    failed = Notification.objects.create(
        **common, cause="timer:2", idempotency_key="b", state="failed", attempts=1,
        failed_at=now, error="Refused (HTTP 404): gone",
    )
    return sent, failed


def test_the_delivery_log_shows_who_which_channel_when_latency_and_errors(client_as, rows):
    sent, failed = rows
    response = client_as("commander").get(f"/incidents/{sent.incident_id}/notifications/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Olu Oncall" in html and "Email" in html and "Urgent" in html
    assert "2.0 s" in html  # latency: queued → sent
    assert "bundled · 7-abc123" in html
    assert "Refused (HTTP 404): gone" in html
    assert f'id="notification-{failed.pk}" data-state="failed"' in html


@pytest.mark.parametrize("role", ["leader", "responder", "comms", "roster_admin"])
def test_readers_see_the_delivery_log(client_as, rows, role):
    incident_id = rows[0].incident_id
    assert client_as(role).get(f"/incidents/{incident_id}/notifications/").status_code == 200


def test_the_delivery_log_answers_htmx_with_the_partial(client_as, rows):
    response = client_as("commander").get(
        f"/incidents/{rows[0].incident_id}/notifications/", HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert '<div id="log">' in html and "<html" not in html


def test_outsiders_and_anonymous_visitors_do_not_see_the_delivery_log(client, client_as, rows):
    path = f"/incidents/{rows[0].incident_id}/notifications/"
    assert client.get(path).status_code == 302
    assert client_as("outsider").get(path).status_code == 403


def test_channel_health_is_for_roster_admins(client_as, rows):
    response = client_as("roster_admin").get("/notifications/health/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="health-email" data-failing="yes"' in html
    assert "Refused (HTTP 404): gone" in html
    assert client_as("commander").get("/notifications/health/").status_code == 403


def test_channel_health_counts_sent_and_failed_per_channel(rows):
    from incidents.notifications.log import channel_health

    health = {row.kind: row for row in channel_health(timezone.now())}
    assert (health["email"].sent, health["email"].failed) == (1, 1)
    assert health["email"].last_error == "Refused (HTTP 404): gone"
    assert (health["sms"].sent, health["sms"].failed, health["sms"].last_error) == (0, 0, "")


@pytest.fixture
def own_method(cast):
    person = make_person("Rita Responder", user=cast["responder"])
    return ContactMethod.objects.create(person=person, kind="email", address="rita@example.org")


def test_a_person_queues_a_test_notification_to_their_own_method(client_as, own_method):
    client = client_as("responder")
    response = client.post(f"/contact-methods/{own_method.pk}/test/")
    row = Notification.objects.get(contact_method=own_method)
    assert response.status_code == 302
    assert response["Location"] == f"/notifications/{row.pk}/"
    assert (row.reason, row.urgency, row.state, row.incident) == ("test", "routine", "queued", None)
    assert row.cause.startswith("test:") and row.subject.startswith("[Test]")
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "This page updates by itself" in page.content.decode()
    # A second click at once shows the same test instead of sending another.
    client.post(f"/contact-methods/{own_method.pk}/test/")
    assert Notification.objects.filter(contact_method=own_method).count() == 1


def test_a_test_notification_to_someone_elses_method_is_refused(client_as, own_method):
    assert client_as("commander").post(f"/contact-methods/{own_method.pk}/test/").status_code == 403
    assert client_as("responder").get(f"/contact-methods/{own_method.pk}/test/").status_code == 405
    assert not Notification.objects.exists()


def test_a_roster_admin_may_test_anyones_method(client_as, own_method):
    response = client_as("roster_admin").post(f"/contact-methods/{own_method.pk}/test/")
    assert response.status_code == 302
    assert Notification.objects.filter(contact_method=own_method, reason="test").exists()


def test_a_test_notification_is_seen_by_its_recipient_and_roster_admins_only(
    client_as, own_method
):
    client_as("responder").post(f"/contact-methods/{own_method.pk}/test/")
    row = Notification.objects.get()
    assert client_as("roster_admin").get(f"/notifications/{row.pk}/").status_code == 200
    assert client_as("commander").get(f"/notifications/{row.pk}/").status_code == 403


def test_an_incident_notification_is_seen_by_the_log_readers(client_as, rows):
    sent, _ = rows
    assert client_as("leader").get(f"/notifications/{sent.pk}/").status_code == 200
    assert client_as("outsider").get(f"/notifications/{sent.pk}/").status_code == 403
