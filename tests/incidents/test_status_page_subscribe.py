"""Following the status page by email: double opt-in, updates by mail, unsubscribing."""

import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.core import mail
from django.test import TestCase
from django.urls import reverse

from incidents.comms.publish import update_publish
from incidents.comms.render import Draft
from incidents.comms.subscribers import unsubscribe_link
from incidents.models import StatusSubscriber
from incidents.services import incident_assign_role, incident_declare
from tests.incidents.factories import make_person, make_service

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
ANSWERS = {
    "what_happened": "Verification times out.",
    "current_impact": "Sign-ups fail.",
    "being_done": "Failing over.",
    "responsible": "Cara Comms",
    "expected_timeline": "Within the hour.",
}


@pytest.fixture(autouse=True)
def worker(tasks_run_here):
    """The confirmation mail goes from the worker: here, at once after the commit."""


def subscribe(client, email="ana@example.com"):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(reverse("incidents:status_subscribe"), {"subscribe-email": email})


def confirm_path(message) -> str:
    return re.search(r"https?://[^/\s]+(/status/confirm/\S+/)", message.body).group(1)


def test_the_page_offers_a_subscription_box(client, db):
    page = client.get(reverse("incidents:status_page")).content.decode()
    assert 'name="subscribe-email"' in page


def test_subscribing_sends_a_confirmation_and_nothing_else_until_confirmed(client, db):
    response = subscribe(client)
    assert response.status_code == 200
    assert "Check your inbox" in response.content.decode()
    [message] = mail.outbox
    assert message.to == ["ana@example.com"]
    assert message.subject == "Confirm your status updates subscription"
    assert not StatusSubscriber.objects.get().confirmed


def test_the_confirm_link_shows_a_button_and_only_a_post_confirms(client, db):
    subscribe(client)
    path = confirm_path(mail.outbox[0])
    page = client.get(path)
    assert page.status_code == 200
    assert "Yes, send me updates" in page.content.decode()
    assert not StatusSubscriber.objects.get().confirmed  # a mail scanner's GET does nothing
    assert client.post(path).status_code == 200
    assert StatusSubscriber.objects.get().confirmed


def test_a_forged_or_expired_link_is_refused(client, db):
    with time_machine.travel(NOW, tick=False):
        subscribe(client)
    path = confirm_path(mail.outbox[0])
    assert client.post(path[:-3] + "xx/").status_code == 400
    with time_machine.travel(NOW + timedelta(days=4), tick=False):
        response = client.post(path)
    assert response.status_code == 400
    assert "expired" in response.content.decode()
    assert not StatusSubscriber.objects.get().confirmed


def test_asking_again_soon_or_once_confirmed_sends_nothing_and_says_the_same(client, db):
    with time_machine.travel(NOW, tick=False):
        subscribe(client, "Ana@Example.com")
        again = subscribe(client, "ana@example.com")
    assert len(mail.outbox) == 1
    assert "Check your inbox" in again.content.decode()
    with time_machine.travel(NOW + timedelta(minutes=11), tick=False):
        subscribe(client)
    assert len(mail.outbox) == 2
    StatusSubscriber.objects.update(confirmed=True)
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        subscribe(client)
    assert len(mail.outbox) == 2


def test_a_bad_address_is_refused_on_the_page(client, db):
    response = subscribe(client, "not an address")
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()
    assert not mail.outbox


@pytest.fixture
def incident(cast):
    comms = make_person("Cara Comms", user=cast["comms"])
    service = make_service("Sign-up flow", tier=1, public=True)
    with time_machine.travel(NOW, tick=False):
        incident = incident_declare(
            title="Verification timeouts", severity="sev2", services=[service], declared_by=None
        )
        incident_assign_role(
            incident=incident, kind="communications_lead", person=comms, by=cast["commander"]
        )
    return incident


def publish(incident, user, **changes):
    with time_machine.travel(NOW + timedelta(minutes=5), tick=False):
        return update_publish(
            incident=incident, draft=Draft(**{**ANSWERS, **changes}), by=user,
            now=NOW + timedelta(minutes=5),
        )


def test_confirmed_followers_get_public_updates_by_mail(
    incident, cast, django_capture_on_commit_callbacks
):
    StatusSubscriber.objects.create(email="yes@example.com", confirmed=True)
    StatusSubscriber.objects.create(email="notyet@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        publish(incident, cast["comms"], visibility="public",
                customer_wording="Sign-ups are slow; we are on it.")
    [message] = mail.outbox
    assert message.to == ["yes@example.com"]
    assert message.subject == "[Investigating] Disruption to Sign-up flow"
    assert "Sign-ups are slow; we are on it." in message.body
    assert "Cara Comms" not in message.body
    assert "/status/unsubscribe/" in message.body


def test_internal_updates_are_never_mailed_to_followers(
    incident, cast, django_capture_on_commit_callbacks
):
    StatusSubscriber.objects.create(email="yes@example.com", confirmed=True)
    with django_capture_on_commit_callbacks(execute=True):
        publish(incident, cast["comms"])
    assert not mail.outbox


def test_unsubscribing_takes_a_button_press(client, db):
    subscriber = StatusSubscriber.objects.create(email="yes@example.com", confirmed=True)
    path = re.sub(r"^https?://[^/]+", "", unsubscribe_link(subscriber))
    assert "Stop sending" in client.get(path).content.decode()
    assert StatusSubscriber.objects.exists()
    assert client.post(path).status_code == 200
    assert not StatusSubscriber.objects.exists()
    assert client.post(path).status_code == 400
