"""Asking the workers for deliveries: at commit, in few messages for a large page, and never
piling requests on a backlog the broker still holds."""

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from incidents.escalation import engine
from incidents.models import Incident, Notification
from incidents.notifications import delivery, outbox
from incidents.notifications.outbox import release_due
from portal import broker
from portal.celery import app
from tests.incidents.factories import make_person, make_reachable

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def requests(monkeypatch):
    """The delivery requests sent to the broker, as the lists of row ids they carry."""
    sent: list[list[int]] = []
    monkeypatch.setattr(
        "incidents.tasks.notifications_deliver.delay", lambda ids: sent.append(list(ids))
    )
    return sent


def people(count: int):
    crowd = [make_person(f"Responder {n}") for n in range(count)]
    for person in crowd:
        make_reachable(person)
    return crowd


def page(incident, crowd, capture):
    with capture(execute=True), transaction.atomic():
        engine.page_now(incident, crowd, by=None)
    return set(Notification.objects.filter(incident=incident).values_list("pk", flat=True))


def page_then_roll_back(incident, person):
    """Page ``person`` in a transaction (or savepoint) that then fails."""
    try:
        with transaction.atomic():
            engine.page_now(incident, [person], by=None)
            raise RuntimeError("failed after paging")
    except RuntimeError:
        pass


def test_a_page_of_many_goes_out_in_messages_of_ten_rows(
    db, requests, django_capture_on_commit_callbacks
):
    incident = Incident.objects.create(title="Payments failing", severity="sev1")
    rows = page(incident, people(105), django_capture_on_commit_callbacks)

    assert len(rows) == 105
    assert [len(ids) for ids in requests] == [10] * 10 + [5]
    assert sorted(pk for ids in requests for pk in ids) == sorted(rows)


def test_a_middling_page_is_spread_over_eight_messages(
    db, requests, django_capture_on_commit_callbacks
):
    incident = Incident.objects.create(title="Payments failing", severity="sev1")
    page(incident, people(20), django_capture_on_commit_callbacks)

    assert [len(ids) for ids in requests] == [3] * 6 + [2]  # every worker process gets some


def test_a_small_page_goes_out_as_a_message_per_row(
    db, requests, django_capture_on_commit_callbacks
):
    incident = Incident.objects.create(title="Payments failing", severity="sev1")
    rows = page(incident, people(3), django_capture_on_commit_callbacks)

    assert sorted(requests) == sorted([pk] for pk in rows)  # each worker can take one


def test_nothing_is_asked_for_before_the_commit(db, requests, django_capture_on_commit_callbacks):
    incident = Incident.objects.create(title="Payments failing", severity="sev1")
    with django_capture_on_commit_callbacks(execute=False) as callbacks, transaction.atomic():
        engine.page_now(incident, people(2), by=None)
    assert requests == []
    for callback in callbacks:
        callback()
    assert len(requests) == 2


def test_a_rolled_back_savepoint_does_not_stop_the_requests_after_it(
    db, requests, django_capture_on_commit_callbacks
):
    incident = Incident.objects.create(title="Payments failing", severity="sev1")
    first, second = people(2)
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        page_then_roll_back(incident, first)  # a savepoint here
        engine.page_now(incident, [second], by=None)

    [row] = Notification.objects.filter(incident=incident)
    assert row.recipient == second
    assert row.pk in {pk for ids in requests for pk in ids}


def queued(incident, person, *, enqueued_at):
    method = make_reachable(person)
    return Notification.objects.create(
        incident=incident, recipient=person, contact_method=method, channel="email",
        urgency="urgent", subject="s", body="b", idempotency_key=f"k{person.pk}",
        deliver_after=T0, queued_at=T0, enqueued_at=enqueued_at,
    )


def test_release_adds_no_request_to_a_backlog_the_broker_still_holds(db, requests):
    incident = Incident.objects.create(title="Payments failing", severity="sev1")
    asked_long_ago = queued(incident, make_person("Ana"), enqueued_at=T0)
    never_asked = queued(incident, make_person("Ben"), enqueued_at=None)  # held, or a retry
    now = T0 + timedelta(minutes=10)

    with time_machine.travel(now, tick=False), transaction.atomic():
        assert release_due(now, requests_waiting=250) == 1
    assert Notification.objects.get(pk=never_asked.pk).enqueued_at == now
    assert Notification.objects.get(pk=asked_long_ago.pk).enqueued_at == T0

    # The broker is empty (or was flushed): a request that old is lost; ask again.
    with time_machine.travel(now, tick=False), transaction.atomic():
        assert release_due(now, requests_waiting=0) == 1
    assert Notification.objects.get(pk=asked_long_ago.pk).enqueued_at == now


def test_release_asks_again_when_the_broker_cannot_say(db, requests):
    incident = Incident.objects.create(title="Payments failing", severity="sev1")
    queued(incident, make_person("Ana"), enqueued_at=T0)
    with transaction.atomic():
        assert release_due(T0 + timedelta(minutes=10), requests_waiting=None) == 1


def test_the_broker_counts_the_messages_waiting_in_a_queue(monkeypatch):
    monkeypatch.setattr(app.conf, "broker_url", "memory://")
    monkeypatch.setattr(app.conf, "broker_read_url", None)
    assert broker.waiting("deliver-test") == 0
    with app.connection_for_write() as connection:
        queue = connection.SimpleQueue("deliver-test")
        queue.put({"n": 1})
        queue.put({"n": 2})
        assert broker.waiting("deliver-test") == 2
        queue.clear()


def test_a_broker_that_does_not_answer_counts_as_unknown(monkeypatch):
    monkeypatch.setattr(app.conf, "broker_url", "redis://127.0.0.1:1/0")
    monkeypatch.setattr(app.conf, "broker_read_url", None)
    assert broker.waiting("deliver") is None


def test_requests_of_a_rolled_back_transaction_are_never_sent(
    db, requests, django_capture_on_commit_callbacks
):
    incident = Incident.objects.create(title="Payments failing", severity="sev1")
    gone, kept = people(2)
    with django_capture_on_commit_callbacks(execute=True):
        page_then_roll_back(incident, gone)  # a transaction of its own here
        with transaction.atomic():
            engine.page_now(incident, [kept], by=None)

    [row] = Notification.objects.filter(incident=incident)
    assert requests == [[row.pk]]


def test_a_request_of_ten_rows_reads_and_claims_them_with_one_statement_each(
    db, smtp, django_assert_num_queries
):
    incident = Incident.objects.create(title="Payments failing", severity="sev1")
    crowd = people(10)
    with time_machine.travel(T0, tick=False):
        engine.page_now(incident, crowd, by=None)
        ids = list(Notification.objects.filter(incident=incident).values_list("pk", flat=True))
        # read, hold check, claim, load the claimed rows and their incidents' services;
        # then one update per message sent (the same on SQLite and PostgreSQL)
        with django_assert_num_queries(5 + 10):
            states = delivery.deliver_many(ids)

    assert states == dict.fromkeys(ids, "sent")
    assert sorted(mail.recipients for mail in smtp.wait_for(10)) == sorted(
        [f"p{person.pk}@example.org"] for person in crowd
    )


def test_rows_waiting_behind_slow_sends_keep_their_claim_fresh(db, monkeypatch):
    """A row claimed with nine others waits for their sends; ``release_due`` would take it
    for abandoned (and send it again) if its claim were not stamped again meanwhile."""
    incident = Incident.objects.create(title="Payments failing", severity="sev1")
    crowd = people(3)
    claims_at_send = []
    with time_machine.travel(T0, tick=False) as clock:
        engine.page_now(incident, crowd, by=None)
        ids = list(Notification.objects.filter(incident=incident).values_list("pk", flat=True))

        def slow_send(rows):
            claims_at_send.append(
                timezone.now() - Notification.objects.get(pk=rows[0].pk).enqueued_at
            )
            clock.shift(timedelta(seconds=100))  # each send takes 100 s
            return {row.pk: "sent" for row in rows}

        monkeypatch.setattr(delivery, "_send", slow_send)
        monkeypatch.setattr(delivery, "KEEP_CLAIM_SECONDS", 0)  # the clock is not monotonic
        delivery.deliver_many(ids)

    assert claims_at_send == [timedelta(0)] * 3


def test_requests_of_many_small_commits_leave_in_full_messages(requests):
    """A sweep commits a batch every few milliseconds: ten rows a message all the same."""
    with outbox.requests_gathered():
        for first in range(0, 24, 4):  # six commits of four rows
            outbox._send_requests(list(range(first, first + 4)))
        assert requests == [list(range(0, 10)), list(range(10, 20))]
    assert sorted(pk for ids in requests[2:] for pk in ids) == [20, 21, 22, 23]


def test_gathered_requests_wait_no_longer_than_a_moment(requests, monkeypatch):
    clock = [100.0]
    monkeypatch.setattr(outbox, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    with outbox.requests_gathered() as gathered:
        outbox._send_requests([1, 2])
        clock[0] += outbox.GATHER_SECONDS / 2
        gathered.send_due()
        assert requests == []
        clock[0] += outbox.GATHER_SECONDS
        gathered.send_due()
        assert sorted(pk for ids in requests for pk in ids) == [1, 2]
