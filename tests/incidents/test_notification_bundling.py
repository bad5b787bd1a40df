"""Storms: several pages for one person within a minute go out as one message per method,
visible in the delivery log, without losing or repeating a page."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents.escalation import engine
from incidents.models import ContactMethod, Incident, Notification, NotificationRule
from incidents.notifications import bundles
from incidents.notifications.ack import read_token
from incidents.notifications.delivery import deliver
from incidents.notifications.outbox import release_due
from incidents.notifications.probe import queue_test_notification
from tests.incidents.factories import make_person
from tests.incidents.sinks import HttpSink

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


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
    NotificationRule.objects.create(person=person, urgency="routine", contact_method=method)
    return method


def page_at(at, person, title, urgency="urgent"):
    incident = Incident.objects.create(title=title, severity="sev1", declared_at=at)
    with time_machine.travel(at, tick=False):
        engine.page_now(incident, [person], by=None, urgency=urgency)
    return incident


def deliver_at(at, person):
    """A sweep and the workers at ``at``: every due row of ``person`` asked for, in order."""
    with time_machine.travel(at, tick=False):
        release_due(at)
        rows = Notification.objects.filter(recipient=person, state="queued", deliver_after__lte=at)
        return [deliver(row.pk) for row in rows.order_by("pk")]


def test_pages_queued_together_go_out_as_one_message_listing_the_incidents(smtp, olu):
    reachable(olu, "email", "olu@example.org")
    first = page_at(T0, olu, "Payments failing")
    second = page_at(T0, olu, "Refunds stuck")
    third = page_at(T0, olu, "Signup form down")
    assert deliver_at(T0, olu) == ["sent", "sent", "sent"]
    [mail] = smtp.wait_for(2, timeout=1)
    assert mail.subject == (
        f"[URGENT] 3 incidents need you: {first.reference}, {second.reference}, {third.reference}"
    )
    rows = list(Notification.objects.filter(recipient=olu))
    assert {row.state for row in rows} == {"sent"}
    assert len({row.bundle_key for row in rows}) == 1 and rows[0].bundle_key
    # Each page's own ack link, made for Olu at send time (the rows hold a placeholder).
    links = [link for link in mail.text.split() if "/ack/" in link]
    with time_machine.travel(T0, tick=False):
        tokens = [read_token(link.rstrip("/").rsplit("/", 1)[1]) for link in links]
    assert sorted((t["i"], t["p"], t["c"]) for t in tokens) == sorted(
        (row.incident_id, olu.pk, row.cause) for row in rows
    )
    assert all(link in mail.html for link in links)
    assert all("/ack/" not in row.body for row in rows)
    assert "as one message with 2 other(s)" in rows[0].delivery_log


def test_a_storm_over_a_minute_sends_the_first_page_then_one_bundle(hook, olu):
    reachable(olu, "webhook", f"{hook.url}/olu")
    page_at(T0, olu, "Payments failing")
    assert deliver_at(T0, olu) == ["sent"]
    second = page_at(T0 + timedelta(seconds=10), olu, "Refunds stuck")
    assert deliver_at(T0 + timedelta(seconds=10), olu) == ["queued"]
    third = page_at(T0 + timedelta(seconds=30), olu, "Signup form down")
    assert deliver_at(T0 + timedelta(seconds=30), olu) == ["queued"]
    held = Notification.objects.filter(recipient=olu, state="queued")
    assert {row.deliver_after for row in held} == {T0 + timedelta(seconds=60)}
    assert "held until" in held[0].delivery_log
    assert deliver_at(T0 + timedelta(seconds=59), olu) == []
    assert len(hook.delivered()) == 1
    assert deliver_at(T0 + timedelta(seconds=60), olu) == ["sent", "sent"]
    requests = hook.wait_for(2)
    assert len(requests) == 2
    bundle = requests[1].json
    assert bundle["incident"] == f"{second.reference},{third.reference}"
    assert bundle["bundled"] == "2"
    assert second.reference in bundle["message"] and third.reference in bundle["message"]
    keys = set(Notification.objects.filter(incident__in=[second, third]).values_list(
        "bundle_key", flat=True))
    assert len(keys) == 1 and keys != {""}
    assert Notification.objects.get(incident__title="Payments failing").bundle_key == ""


def test_every_page_is_sent_exactly_once_however_often_delivery_is_asked(hook, olu):
    reachable(olu, "webhook", f"{hook.url}/olu")
    incidents = [page_at(T0, olu, f"Incident {n}") for n in range(5)]
    rows = list(Notification.objects.filter(recipient=olu).order_by("pk"))
    with time_machine.travel(T0, tick=False):
        for _ in range(3):
            for row in reversed(rows):
                deliver(row.pk)
    [request] = hook.wait_for(1)
    assert request.json["incident"] == ",".join(i.reference for i in incidents)
    assert set(Notification.objects.values_list("state", flat=True)) == {"sent"}
    assert Notification.objects.filter(attempts=1).count() == 5


def test_a_claim_takes_nothing_another_claim_took(olu):
    method = reachable(olu, "webhook", "http://127.0.0.1:9/olu")
    page_at(T0, olu, "Payments failing")
    page_at(T0, olu, "Refunds stuck")
    first, second = Notification.objects.filter(contact_method=method).order_by("pk")
    _, [claimed] = bundles.claim([first], T0)
    assert [row.pk for row in claimed] == [first.pk, second.pk]
    assert bundles.claim([second], T0)[1] == []


def test_urgent_and_routine_are_never_mixed_in_one_message(smtp, olu):
    reachable(olu, "email", "olu@example.org")
    page_at(T0, olu, "Payments failing", urgency="urgent")
    page_at(T0, olu, "Refunds stuck", urgency="routine")
    assert deliver_at(T0, olu) == ["sent", "sent"]
    subjects = sorted(mail.subject for mail in smtp.wait_for(2))
    assert subjects[0].startswith("[URGENT] SEV1") and subjects[1].startswith("[Update] SEV1")


def test_a_test_notification_is_neither_held_nor_bundled(smtp, olu):
    method = reachable(olu, "email", "olu@example.org")
    page_at(T0, olu, "Payments failing")
    assert deliver_at(T0, olu) == ["sent"]
    with time_machine.travel(T0 + timedelta(seconds=5), tick=False):
        test = queue_test_notification(method=method)
        assert deliver(test.pk) == "sent"
    test.refresh_from_db()
    assert test.bundle_key == ""
    assert [mail.subject.split(" ")[0] for mail in smtp.wait_for(2)] == ["[URGENT]", "[Test]"]
