"""Every message names itself the same way on every try (email: Message-ID; webhooks: the
Idempotency-Key header and field), so a receiver can drop a resend; and a message's rows
are recorded sent, or put back for a retry, by one statement right after the send."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.escalation import engine
from incidents.models import ContactMethod, Incident, Notification, NotificationRule
from incidents.notifications import delivery
from incidents.notifications.channels.message_id import with_message_id
from incidents.notifications.delivery import LOG_LIMIT, deliver
from incidents.notifications.outbox import release_due
from tests.incidents.factories import make_person
from tests.incidents.sinks import HttpSink

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
# Past the claim's staleness: a row left "sending" by a killed worker is asked for again.
LATER = T0 + timedelta(minutes=4)


class WorkerKilled(BaseException):
    """Stands for SIGKILL: nothing after it runs, no ``except Exception`` catches it."""


@pytest.fixture
def hook(outbound_to_loopback):
    with HttpSink() as sink:
        yield sink


@pytest.fixture
def olu(db):
    return make_person("Olu Oncall")


def reachable(person, kind, address):
    method = ContactMethod.objects.create(person=person, kind=kind, address=address)
    NotificationRule.objects.create(person=person, urgency="urgent", contact_method=method)
    return method


def page(person, title, at=T0):
    incident = Incident.objects.create(title=title, severity="sev1", declared_at=at)
    with time_machine.travel(at, tick=False):
        engine.page_now(incident, [person], by=None, urgency="urgent")
    return Notification.objects.filter(recipient=person, incident=incident).get()


def killed_after_the_send(monkeypatch, row):
    """Deliver ``row`` at T0 with the worker killed between the send and its record."""

    def kill(*args):
        raise WorkerKilled

    monkeypatch.setattr(delivery, "_sent", kill)
    with time_machine.travel(T0, tick=False), pytest.raises(WorkerKilled):
        deliver(row.pk)
    monkeypatch.undo()
    row.refresh_from_db()
    assert row.state == "sending"


def resent_later(row):
    with time_machine.travel(LATER, tick=False):
        assert release_due(LATER) == 1
        assert deliver(row.pk) == "sent"


def notification_updates(queries) -> list[str]:
    return [
        query["sql"]
        for query in queries
        if query["sql"].startswith('UPDATE "incidents_notification"')
    ]


def test_an_email_resent_after_a_killed_worker_carries_the_same_message_id(
    smtp, olu, monkeypatch
):
    reachable(olu, "email", "olu@example.org")
    row = page(olu, "Payments failing")
    killed_after_the_send(monkeypatch, row)
    resent_later(row)
    first, second = smtp.wait_for(2)
    assert first.message.get_all("Message-ID") == second.message.get_all("Message-ID")
    [message_id] = first.message.get_all("Message-ID")  # Apprise's own is not added beside
    assert message_id.startswith(f"<notification-{row.pk}.") and message_id.endswith("@127.0.0.1>")
    other = page(olu, "Refunds stuck", at=LATER + timedelta(minutes=5))
    with time_machine.travel(LATER + timedelta(minutes=5), tick=False):
        assert deliver(other.pk) == "sent"
    third = smtp.wait_for(3)[2]
    assert third.message.get_all("Message-ID") != [message_id]
    assert str(third.message["Message-ID"]).startswith(f"<notification-{other.pk}.")


def test_a_webhook_retried_after_a_503_carries_the_same_idempotency_key(hook, olu):
    hook.fail_next(1, 503)
    reachable(olu, "webhook", f"{hook.url}/olu")
    row = page(olu, "Payments failing")
    with time_machine.travel(T0, tick=False):
        assert deliver(row.pk) == "queued"
    with time_machine.travel(T0 + timedelta(seconds=2), tick=False):
        assert deliver(row.pk) == "sent"
    hook.wait_for(1)
    refused, accepted = hook.requests
    assert (refused.status, accepted.status) == (503, 200)
    key = header(accepted, "Idempotency-Key")
    assert key == header(refused, "Idempotency-Key")
    assert key.startswith(f'"notification-{row.pk}.') and key.endswith('@127.0.0.1"')
    assert accepted.json["idempotency_key"] == refused.json["idempotency_key"] == key.strip('"')
    other = page(olu, "Refunds stuck", at=T0 + timedelta(minutes=5))
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        assert deliver(other.pk) == "sent"
    assert header(hook.wait_for(2)[-1], "Idempotency-Key") != key


def test_a_webhook_resent_after_a_killed_worker_carries_the_same_idempotency_key(
    hook, olu, monkeypatch
):
    reachable(olu, "webhook", f"{hook.url}/olu")
    row = page(olu, "Payments failing")
    killed_after_the_send(monkeypatch, row)
    resent_later(row)
    first, second = hook.wait_for(2)
    assert header(first, "Idempotency-Key") == header(second, "Idempotency-Key")
    assert first.json["idempotency_key"] == second.json["idempotency_key"]


def test_a_bundle_is_named_by_its_rows_and_recorded_sent_by_one_update(smtp, olu):
    """The count is the same on SQLite and PostgreSQL: the statements do not depend on the
    database (CI runs this on PostgreSQL)."""
    reachable(olu, "email", "olu@example.org")
    rows = [page(olu, title) for title in ("Payments failing", "Refunds stuck", "Signup down")]
    with time_machine.travel(T0, tick=False), CaptureQueriesContext(connection) as queries:
        assert deliver(rows[0].pk) == "sent"
    [mail] = smtp.wait_for(1)
    assert str(mail.message["Message-ID"]).startswith(f"<bundle-{rows[0].pk}-3.")
    # The claim (queued → sending), then the record after the send (sending → sent).
    claim, record = notification_updates(queries.captured_queries)
    assert "'sent'" in record and "'sent'" not in claim
    sent = Notification.objects.filter(pk__in=[row.pk for row in rows])
    assert {(row.state, row.sent_at) for row in sent} == {("sent", T0)}
    assert all("attempt 1: sent as one message with 2 other(s)" in row.delivery_log for row in sent)


def test_a_bundle_that_fails_goes_back_with_each_rows_own_backoff_in_one_update(hook, olu):
    hook.fail_next(1, 503)
    reachable(olu, "webhook", f"{hook.url}/olu")
    tried, fresh = page(olu, "Payments failing"), page(olu, "Refunds stuck")
    # ``tried`` had a first attempt already, and a long log: this is its second.
    Notification.objects.filter(pk=tried.pk).update(attempts=1, delivery_log="x" * LOG_LIMIT)
    with time_machine.travel(T0, tick=False), CaptureQueriesContext(connection) as queries:
        assert deliver(tried.pk) == "queued"
    assert len(notification_updates(queries.captured_queries)) == 2  # the claim, the retry
    tried.refresh_from_db()
    fresh.refresh_from_db()
    assert (tried.state, tried.attempts, tried.deliver_after) == (
        "queued", 2, T0 + timedelta(seconds=8)
    )
    assert (fresh.state, fresh.attempts, fresh.deliver_after) == (
        "queued", 1, T0 + timedelta(seconds=2)
    )
    assert "attempt 2: Temporary failure (HTTP 503)" in tried.delivery_log
    assert len(tried.delivery_log) == LOG_LIMIT and tried.delivery_log.startswith("xxx")
    assert "attempt 1: Temporary failure (HTTP 503)" in fresh.delivery_log
    assert fresh.delivery_log == fresh.delivery_log.strip()


def test_apprises_own_message_id_gives_way_to_ours():
    written = (
        "Content-Type: text/plain\nMessage-ID: <ours@portal>\nSubject: x\n"
        "Message-ID:\n <1779.8609.1078@smtp.example.com>\nDate: today\n\nMessage-ID: body\n"
    )
    assert with_message_id(written, "<ours@portal>") == (
        "Content-Type: text/plain\nSubject: x\nDate: today\nMessage-ID: <ours@portal>\n\n"
        "Message-ID: body\n"
    )


def header(request, name: str) -> str:
    return {key.lower(): value for key, value in request.headers.items()}[name.lower()]
