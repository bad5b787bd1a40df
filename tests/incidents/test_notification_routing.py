"""Urgent pages follow the urgent rules, routine messages the routine ones, each method after
its delay; and the two look different where a person sees them."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents.escalation import engine
from incidents.models import ContactMethod, Incident, Notification, NotificationRule
from incidents.notifications.delivery import deliver
from incidents.notifications.outbox import release_due
from tests.incidents.factories import make_person
from tests.incidents.sinks import HttpSink

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def smtp(smtp, settings):
    settings.URGENT_FROM_EMAIL = "URGENT Incident Portal <page@portal.example>"
    settings.DEFAULT_FROM_EMAIL = "Incident Portal <portal@portal.example>"
    return smtp


@pytest.fixture
def sms(settings):
    with HttpSink() as provider:
        settings.SMS_APPRISE_URL_TEMPLATE = f"json://127.0.0.1:{provider.port}/sms/{{digits}}"
        yield provider


@pytest.fixture
def olu(db):
    """Urgent: email at once, SMS after 5 minutes. Routine: a webhook digest, email after 30."""
    person = make_person("Olu Oncall")
    email = ContactMethod.objects.create(person=person, kind="email", address="olu@example.org")
    phone = ContactMethod.objects.create(person=person, kind="sms", address="+447700900123")
    rule = NotificationRule.objects.create
    rule(person=person, urgency="urgent", contact_method=email, delay_minutes=0)
    rule(person=person, urgency="urgent", contact_method=phone, delay_minutes=5)
    rule(person=person, urgency="routine", contact_method=email, delay_minutes=30)
    return person


def send_due(at):
    """What a sweep at ``at`` releases, delivered by a worker: the state per channel."""
    with time_machine.travel(at, tick=False):
        release_due(at)
        due = Notification.objects.filter(state="queued", deliver_after__lte=at)
        return {row.channel: deliver(row.pk) for row in due}


def test_an_urgent_page_follows_the_urgent_rule_and_its_delays(smtp, sms, olu):
    incident = Incident.objects.create(title="Payments failing", severity="sev1")
    with time_machine.travel(T0, tick=False):
        engine.page_now(incident, [olu], by=None)
    rows = {row.channel: row for row in Notification.objects.filter(recipient=olu)}
    assert set(rows) == {"email", "sms"}
    assert rows["email"].deliver_after == T0
    assert rows["sms"].deliver_after == T0 + timedelta(minutes=5)
    assert send_due(T0) == {"email": "sent"}
    assert send_due(T0 + timedelta(minutes=4, seconds=59)) == {}
    assert sms.requests == []
    assert send_due(T0 + timedelta(minutes=5)) == {"sms": "sent"}
    assert len(sms.wait_for(1)) == 1 and len(smtp.wait_for(1)) == 1


def test_a_routine_message_follows_the_routine_rule(smtp, sms, olu):
    incident = Incident.objects.create(title="Payments failing", severity="sev2")
    with time_machine.travel(T0, tick=False):
        engine.page_now(incident, [olu], by=None, urgency="routine")
    [row] = Notification.objects.filter(recipient=olu)
    assert (row.channel, row.urgency, row.deliver_after) == (
        "email", "routine", T0 + timedelta(minutes=30)
    )
    assert send_due(T0 + timedelta(minutes=29)) == {}
    assert send_due(T0 + timedelta(minutes=30)) == {"email": "sent"}
    assert sms.requests == []


def test_urgent_and_routine_email_differ_in_sender_subject_and_priority(smtp, olu):
    incident = Incident.objects.create(title="Payments failing", severity="sev1")
    engine.page_now(incident, [olu], by=None)
    engine.page_now(incident, [olu], by=None, urgency="routine")
    for row in Notification.objects.filter(recipient=olu, channel="email"):
        Notification.objects.filter(pk=row.pk).update(deliver_after=row.queued_at)
        assert deliver(row.pk) == "sent"
    mails = {mail.subject.split(" ", 1)[0]: mail for mail in smtp.wait_for(2)}
    urgent, routine = mails["[URGENT]"], mails["[Update]"]
    assert "page@portal.example" in str(urgent.message["From"])
    assert "portal@portal.example" in str(routine.message["From"])
    assert urgent.message["X-Priority"].startswith("1") and routine.message["X-Priority"] is None
    assert "/ack/" in urgent.text and "/ack/" not in routine.text
    assert "URGENT PAGE" in urgent.html and "URGENT PAGE" not in routine.html


def test_a_person_with_no_rule_for_the_urgency_gets_nothing(olu):
    incident = Incident.objects.create(title="Payments failing", severity="sev1")
    NotificationRule.objects.filter(person=olu, urgency="routine").delete()
    reached = engine.page_now(incident, [olu], by=None, urgency="routine")
    assert reached == []
    assert not Notification.objects.filter(recipient=olu).exists()
