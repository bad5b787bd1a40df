"""Finding 5: the status page's subscription form cannot flood an inbox or the mail server."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import TestCase
from django.urls import reverse

from incidents.models import StatusSubscriber
from portal import celery_app

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def clock(db):
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def worker(tasks_run_here):
    """The confirmation task, sent once the request's transaction commits, runs here."""


def subscribe(client, email, address="203.0.113.9"):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(
            reverse("incidents:status_subscribe"), {"subscribe-email": email}, REMOTE_ADDR=address
        )


def test_tags_and_case_do_not_make_another_inbox(client, worker, clock):
    spellings = ["victim@example.com", "Victim@Example.com", "victim+1@example.com",
                 "VICTIM+news@example.com", "victim+2@example.com", "victim+3@EXAMPLE.com",
                 "victim+4@example.com", "Victim+5@example.com"]
    for minute, spelling in enumerate(spellings):
        clock.move_to(NOW + timedelta(minutes=minute))
        answer = subscribe(client, spelling, f"198.51.100.{minute}")
        assert answer.status_code == 200
        assert "Check your inbox" in answer.content.decode()
    assert len(mail.outbox) == 3


def test_the_confirmation_is_mailed_by_the_worker_not_the_request(client, db):
    with TestCase.captureOnCommitCallbacks(execute=False) as after_commit:
        answer = client.post(
            reverse("incidents:status_subscribe"), {"subscribe-email": "ana@example.com"}
        )
    assert answer.status_code == 200
    assert not mail.outbox  # the page answered without talking to the mail server
    assert len(after_commit) == 1


def test_the_worker_task_mails_the_link(client, worker):
    subscribe(client, "ana@example.com")
    [message] = mail.outbox
    assert message.to == ["ana@example.com"]
    assert "/status/confirm/" in message.body


def test_one_client_address_is_told_when_it_asks_too_often(client, worker):
    for n in range(10):
        assert subscribe(client, f"person{n}@example.com").status_code == 200
    refused = subscribe(client, "one-more@example.com")
    assert refused.status_code == 429
    assert "Too many subscription requests from your address" in refused.content.decode()
    assert len(mail.outbox) == 10
    assert not StatusSubscriber.objects.filter(email="one-more@example.com").exists()
    assert subscribe(client, "one-more@example.com", "198.51.100.50").status_code == 200


def test_the_portal_sends_a_bounded_number_of_confirmations_an_hour(client, worker, settings):
    settings.STATUS_SUBSCRIBE_PER_HOUR = 5
    for n in range(5):
        subscribe(client, f"person{n}@example.com", f"198.51.100.{n}")
    refused = subscribe(client, "late@example.com", "198.51.100.99")
    assert refused.status_code == 429
    assert len(mail.outbox) == 5


def test_a_forwarded_for_header_from_outside_does_not_reset_the_client_limit(client, worker):
    for n in range(10):
        client.post(
            reverse("incidents:status_subscribe"), {"subscribe-email": f"p{n}@example.com"},
            REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}",
        )
    assert subscribe(client, "x@example.com").status_code == 429


def test_unconfirmed_subscriptions_are_purged_once_their_link_has_expired(
    client, worker, clock, settings
):
    subscribe(client, "stale@example.com")
    StatusSubscriber.objects.create(email="kept@example.com", confirmed=True, created_at=NOW)
    clock.move_to(NOW + timedelta(days=2))
    subscribe(client, "recent@example.com")
    clock.move_to(NOW + timedelta(days=3, minutes=1))
    purge = settings.CELERY_BEAT_SCHEDULE["status-subscribers-purge"]["task"]
    celery_app.tasks[purge].apply(throw=True)  # as beat asks for it
    assert set(StatusSubscriber.objects.values_list("email", flat=True)) == {
        "kept@example.com", "recent@example.com"
    }


def test_the_purge_runs_every_hour_on_the_slow_queue(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["status-subscribers-purge"]
    assert entry["task"] == "incidents.tasks.status_subscribers_purge"
    assert entry["schedule"] <= 3600
    assert entry["task"] not in settings.CELERY_TASK_ROUTES  # the default queue: slow
    assert celery_app.tasks[entry["task"]].name == entry["task"]
