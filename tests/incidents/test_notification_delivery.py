"""Delivering outbox rows through real local receivers: what arrives, retries with backoff,
permanent failures, and a row never sent twice."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents.escalation import engine
from incidents.models import ContactMethod, Incident, Notification, NotificationRule
from incidents.notifications.ack import PLACEHOLDER as ACK_PLACEHOLDER
from incidents.notifications.delivery import deliver
from incidents.notifications.outbox import release_due
from tests.incidents.factories import make_person
from tests.incidents.sinks import HttpSink

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def sink(outbound_to_loopback):
    with HttpSink() as http_sink:
        yield http_sink


@pytest.fixture
def incident(db):
    return Incident.objects.create(
        title="Payments failing", severity="sev1", summary="Checkout returns 500 for all cards."
    )


def reachable(person, kind, address, urgency="urgent", delay=0):
    method = ContactMethod.objects.create(person=person, kind=kind, address=address)
    NotificationRule.objects.create(
        person=person, urgency=urgency, contact_method=method, delay_minutes=delay
    )
    return method


def page(incident, person, urgency="urgent"):
    engine.page_now(incident, [person], by=None, urgency=urgency)
    return list(Notification.objects.filter(recipient=person).order_by("pk"))


def test_an_urgent_page_arrives_by_email_with_subject_body_and_ack_link(smtp, incident):
    olu = make_person("Olu Oncall")
    reachable(olu, "email", "olu@example.org")
    with time_machine.travel(T0, tick=False):
        [row] = page(incident, olu)
        assert deliver(row.pk) == "sent"
    [mail] = smtp.wait_for(1)
    assert mail.recipients == ["olu@example.org"]
    assert mail.subject == f"[URGENT] SEV1 {incident.reference}: Payments failing"
    assert "URGENT" in str(mail.message["From"]) and "page@localhost" in str(mail.message["From"])
    assert mail.message["X-Priority"].startswith("1")
    ack_link = mail.text.split("Acknowledge (stops the paging): ")[1].split()[0]
    assert ack_link.startswith("http://127.0.0.1:8000/ack/")
    assert ack_link in mail.html
    # Made for the recipient when sent: the stored message holds a placeholder only.
    assert ACK_PLACEHOLDER in row.body and "/ack/" not in row.body
    assert "Checkout returns 500 for all cards." in mail.text
    assert f"http://127.0.0.1:8000/incidents/{incident.pk}/" in mail.text
    row.refresh_from_db()
    assert (row.state, row.attempts, row.sent_at) == ("sent", 1, T0)
    assert "Sent Email to olu@example.org" in row.delivery_log


def test_a_sent_row_is_never_sent_again(smtp, incident):
    olu = make_person("Olu Oncall")
    reachable(olu, "email", "olu@example.org")
    [row] = page(incident, olu)
    assert deliver(row.pk) == "sent"
    assert deliver(row.pk) == "sent"
    assert deliver(row.pk) == "sent"
    assert len(smtp.wait_for(1, timeout=0.5)) == 1


def test_webhook_receives_json_with_the_portals_fields(sink, incident):
    olu = make_person("Olu Oncall")
    reachable(olu, "webhook", f"{sink.url}/hooks/olu?token=abc")
    [row] = page(incident, olu)
    assert deliver(row.pk) == "sent"
    [request] = sink.wait_for(1)
    assert request.path == "/hooks/olu?token=abc"
    body = request.json
    assert body["title"] == f"[URGENT] SEV1 {incident.reference}: Payments failing"
    assert "/ack/" in body["message"]
    assert body["incident"] == incident.reference
    assert body["urgency"] == "urgent"
    assert body["severity"] == "SEV1"
    assert body["ack_url"] in body["message"]
    assert body["type"] == "failure"


def test_a_receiver_failing_twice_with_503_gets_one_delivery_on_the_third_attempt(sink, incident):
    sink.fail_next(2, 503)
    olu = make_person("Olu Oncall")
    reachable(olu, "webhook", f"{sink.url}/hooks/olu")
    with time_machine.travel(T0, tick=False):
        [row] = page(incident, olu)
        assert deliver(row.pk) == "queued"
    row.refresh_from_db()
    assert row.attempts == 1
    assert row.deliver_after == T0 + timedelta(seconds=2)
    assert "HTTP 503" in row.error
    # Not due yet: neither the sweep nor a stray task sends it early.
    with time_machine.travel(T0 + timedelta(seconds=1), tick=False):
        assert release_due(T0 + timedelta(seconds=1)) == 0
        assert deliver(row.pk) == "queued"
    assert len(sink.requests) == 1
    second = T0 + timedelta(seconds=2)
    with time_machine.travel(second, tick=False):
        assert release_due(second) == 1
        assert deliver(row.pk) == "queued"
    row.refresh_from_db()
    assert row.deliver_after == second + timedelta(seconds=8)
    third = second + timedelta(seconds=8)
    with time_machine.travel(third, tick=False):
        assert release_due(third) == 1
        assert deliver(row.pk) == "sent"
        assert release_due(third + timedelta(minutes=5)) == 0
    row.refresh_from_db()
    assert (row.state, row.attempts, row.error) == ("sent", 3, "")
    assert [r.status for r in sink.requests] == [503, 503, 200]
    assert len(sink.delivered()) == 1
    assert row.delivery_log.count("HTTP 503") == 2


def test_rate_limiting_429_is_retried(sink, incident):
    sink.fail_next(1, 429)
    olu = make_person("Olu Oncall")
    reachable(olu, "webhook", f"{sink.url}/hooks/olu")
    with time_machine.travel(T0, tick=False):
        [row] = page(incident, olu)
        assert deliver(row.pk) == "queued"
    with time_machine.travel(T0 + timedelta(seconds=2), tick=False):
        assert deliver(row.pk) == "sent"


def test_a_4xx_is_permanent_not_retried_and_flags_the_contact_method(sink, incident):
    sink.fail_next(1, 404)
    olu = make_person("Olu Oncall")
    method = reachable(olu, "webhook", f"{sink.url}/hooks/gone")
    with time_machine.travel(T0, tick=False):
        [row] = page(incident, olu)
        assert deliver(row.pk) == "failed"
    for seconds in (2, 10, 60, 600):
        moment = T0 + timedelta(seconds=seconds)
        with time_machine.travel(moment, tick=False):
            assert release_due(moment) == 0
            assert deliver(row.pk) == "failed"
    assert len(sink.requests) == 1
    row.refresh_from_db()
    assert (row.attempts, row.failed_at) == (1, T0)
    assert "HTTP 404" in row.error
    method.refresh_from_db()
    assert method.failure_reason.startswith("Refused (HTTP 404)")
    assert method.failed_at == T0
    olu.refresh_from_db()
    assert olu.cannot_be_paged


def test_a_mailbox_the_server_refuses_flags_the_method(smtp, incident):
    smtp.refuse_next(1, "550 5.1.1 No such user here")
    olu = make_person("Olu Oncall")
    method = reachable(olu, "email", "nobody@example.org")
    [row] = page(incident, olu)
    assert deliver(row.pk) == "failed"
    method.refresh_from_db()
    assert "550" in method.failure_reason
    assert smtp.mails == []


def test_a_mail_server_deferral_is_retried(smtp, incident):
    smtp.refuse_next(1, "451 4.7.1 Try again later")
    olu = make_person("Olu Oncall")
    method = reachable(olu, "email", "olu@example.org")
    with time_machine.travel(T0, tick=False):
        [row] = page(incident, olu)
        assert deliver(row.pk) == "queued"
    with time_machine.travel(T0 + timedelta(seconds=2), tick=False):
        assert deliver(row.pk) == "sent"
    assert len(smtp.wait_for(1)) == 1
    method.refresh_from_db()
    assert method.failure_reason == ""


def test_an_unreachable_mail_server_is_retried_then_given_up_without_flagging(settings, incident):
    from tests.incidents.sinks import free_port

    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", free_port()
    olu = make_person("Olu Oncall")
    method = reachable(olu, "email", "olu@example.org")
    moment = T0
    with time_machine.travel(moment, tick=False):
        [row] = page(incident, olu)
    for _ in range(5):
        with time_machine.travel(moment, tick=False):
            state = deliver(row.pk)
        row.refresh_from_db()
        moment = row.deliver_after
    assert state == "failed"
    assert row.attempts == 5
    assert "gave up after 5 attempts" in row.delivery_log
    method.refresh_from_db()
    assert method.failure_reason == ""


def test_a_row_stuck_in_sending_by_a_killed_worker_is_sent_later(smtp, incident):
    olu = make_person("Olu Oncall")
    reachable(olu, "email", "olu@example.org")
    with time_machine.travel(T0, tick=False):
        [row] = page(incident, olu)
    Notification.objects.filter(pk=row.pk).update(state="sending", enqueued_at=T0, attempts=1)
    later = T0 + timedelta(minutes=4)
    with time_machine.travel(later, tick=False):
        assert release_due(later) == 1
        assert deliver(row.pk) == "sent"
    assert len(smtp.wait_for(1)) == 1
