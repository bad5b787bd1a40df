"""Messages from templates per reason and channel: short SMS with the ack link, rich email,
compact chat, "[DRILL]" first for drills, urgent and routine told apart."""

from datetime import UTC, datetime

import pytest
import time_machine

from incidents.models import BreachRule, ContactMethod, Incident, Notification, Timer
from incidents.notifications import render
from incidents.notifications.ack import PLACEHOLDER as ACK_PLACEHOLDER
from incidents.notifications.ack import read_token
from tests.incidents.factories import make_person, make_service

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


@pytest.fixture
def person(db):
    return make_person("Olu Oncall")


def incident(**fields):
    fields.setdefault("title", "Payments failing")
    fields.setdefault("severity", "sev1")
    return Incident.objects.create(**fields)


def method(person, kind, address):
    return ContactMethod(person=person, kind=kind, address=address)


def link_of(text):
    return render.ack_link_in(text)


def test_an_urgent_sms_fits_160_characters_with_the_whole_ack_link(person):
    long_title = ("Stripe webhooks to the Make scenario for refunds time out " * 4)[:200]
    subject = incident(title=long_title)
    page = render.page_message(incident=subject, person=person, urgency="urgent", cause="timer:123")
    stored = render.shape(page, method(person, "sms", "+447700900123")).body
    assert stored.endswith(ACK_PLACEHOLDER) and "/ack/" not in stored
    row = Notification(
        incident=subject, recipient=person, channel="sms", urgency="urgent", cause="timer:123",
        body=stored,
    )
    sms = render.delivered_text(row, render.ack_link_for(row))
    assert len(sms) <= 160
    assert sms.startswith("[URGENT] SEV1 INC-")
    link = sms.split()[-1]
    assert "/ack/" in link and link == link_of(sms)
    assert read_token(link.rstrip("/").rsplit("/", 1)[1])["c"] == "timer:123"
    assert "..." in sms and "…" not in sms


def test_a_drill_message_starts_with_drill_on_every_channel(person):
    page = render.page_message(
        incident=incident(is_drill=True), person=person, urgency="urgent", cause="timer:9"
    )
    assert page.subject.startswith("[DRILL] [URGENT] ")
    for kind, address in [("sms", "+447700900123"), ("slack", "https://hooks.slack.com/x")]:
        shaped = render.shape(page, method(person, kind, address))
        assert shaped.subject.startswith("[DRILL]")
    assert render.shape(page, method(person, "sms", "+447700900123")).body.startswith("[DRILL]")
    assert page.body.startswith("Drill: this is an exercise")


def test_urgent_and_routine_differ_in_prefix_and_ack_link(person):
    subject = incident()
    urgent = render.page_message(incident=subject, person=person, urgency="urgent", cause="c:1")
    routine = render.page_message(incident=subject, person=person, urgency="routine", cause="c:2")
    assert urgent.subject.startswith("[URGENT] ")
    assert routine.subject.startswith("[Update] ")
    # The link itself is made when the message is sent; stored, it is a placeholder.
    assert ACK_PLACEHOLDER in urgent.body and ACK_PLACEHOLDER not in routine.body
    assert not link_of(urgent.body) and not link_of(routine.body)
    routine_sms = render.shape(routine, method(person, "sms", "+447700900123")).body
    assert routine_sms.startswith("[Update]") and f"/incidents/{subject.pk}/" in routine_sms


def test_chat_is_compact_and_email_is_rich(person):
    subject = incident(summary="Checkout returns 500. " * 40)
    make_service_names = ["Payments", "Checkout"]
    for name in make_service_names:
        subject.services.add(make_service(name))
    page = render.page_message(incident=subject, person=person, urgency="urgent", cause="c:1")
    chat = render.shape(page, method(person, "teams", "https://x.logic.azure.com/w")).body
    assert len(chat.splitlines()) <= 5
    assert "SEV1 · Triage · " in chat and "Payments" in chat and "Checkout" in chat
    # Others read a chat channel: no ack link (a bearer token), the incident's page instead.
    assert f"Acknowledge in the portal: http://127.0.0.1:8000/incidents/{subject.pk}/" in chat
    assert "/ack/" not in chat and ACK_PLACEHOLDER not in chat
    assert len(chat) < len(page.body)
    assert render.shape(page, method(person, "email", "olu@example.org")).body == page.body


def test_a_missed_target_page_names_the_target(person):
    timer = Timer.objects.create(kind="response_target", due_at=T0, reference={"target": "triage"})
    page = render.page_message(
        incident=incident(), person=person, urgency="urgent", cause=f"timer:{timer.pk}:rule1",
        reason=Notification.Reason.BREACH, timer=timer,
    )
    label = dict(BreachRule.Target.choices)["triage"].lower()
    assert page.subject.startswith(f"[URGENT] Missed {label}: SEV1 ")
    assert page.body.startswith(f"Response target missed: {label}.")


def test_update_reminder_and_test_messages_have_their_own_templates(person):
    subject = incident()
    for reason, expected in [("update", "Status update on"), ("reminder", "Reminder about")]:
        context = render.incident_context(
            subject, person, urgency="routine", reason=reason, cause="update:1"
        )
        context["text"] = "The Zapier task history is replayed; refunds resume at 11:00."
        message = render.message_for(reason, context)
        assert message.body.startswith(expected)
        assert "refunds resume at 11:00" in message.body
        sms = render.shape(message, method(person, "sms", "+447700900123")).body
        assert len(sms) <= 160 and sms.startswith("[Update]")
    email = method(person, "email", "olu@example.org")
    test = render.test_message(person, email)
    assert test.subject == "[Test] Incident Portal test notification for Olu Oncall"
    assert "olu@example.org" in test.body
    assert render.shape(test, method(person, "sms", "+447700900123")).body.startswith("[Test]")


def test_text_templates_are_not_html_escaped(person):
    page = render.page_message(
        incident=incident(title="Refunds & payouts <stuck>"), person=person, urgency="urgent",
        cause="c:1",
    )
    assert page.subject.endswith("Refunds & payouts <stuck>")
    assert "Refunds & payouts <stuck>" in page.body


def test_fit_sms_never_cuts_the_link():
    link = "https://portal.example.com/ack/" + "x" * 60 + "/"
    text = render.fit_sms("word " * 100 + "\n" + link)
    assert len(text) == 160 and text.endswith(" " + link)
    assert render.fit_sms("short\n" + link) == "short " + link
    assert render.fit_sms("no link at all") == "no link at all"


def test_ack_tokens_are_short_enough_for_sms():
    with time_machine.travel(T0, tick=False):
        from incidents.notifications.ack import make_token

        token = make_token(incident_id=123456, person_id=4321, cause="timer:9876543:fallback")
    assert len(token) <= 64
