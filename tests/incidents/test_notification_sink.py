"""With ``NOTIFICATION_SINK_URL`` set (a local portal's default) every notification, whatever
its channel, goes to the development sink as one JSON document, never to its address; its
text carries the real ack link, which opens the acknowledge page (but for chat channels,
which others read: those never carry one)."""

import json
import threading
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import pytest
import time_machine

from incidents.escalation import engine
from incidents.models import ContactMethod, Incident, Notification, NotificationRule
from incidents.notifications import render
from incidents.notifications.ack import PLACEHOLDER as ACK_PLACEHOLDER
from incidents.notifications.channels import channel_for, transport
from incidents.notifications.channels.sink import SinkChannel
from incidents.notifications.delivery import deliver
from portal import devsink
from tests.incidents.factories import make_person
from tests.incidents.sinks import HttpSink, free_port

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
TEAMS = (
    "https://prod-12.westeurope.logic.azure.com:443/workflows/a1b2c3/triggers/manual/paths/"
    "invoke?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=S1gN4tUre"
)


def incident_url(incident) -> str:
    return f"http://127.0.0.1:8000/incidents/{incident.pk}/"


@pytest.fixture
def sink(tmp_path, settings):
    """A real development sink on a free port, in a thread; the setting points at it."""
    server = devsink.serve(0, tmp_path / "sink")
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    settings.NOTIFICATION_SINK_URL = f"http://127.0.0.1:{server.server_port}"
    yield server
    server.shutdown()
    server.server_close()
    server.store.close()


@pytest.fixture
def real_receivers(smtp, settings, outbound_to_loopback):
    """Where each channel itself would send: an SMTP server, an SMS provider's and a
    webhook's HTTP receiver. Slack and Teams (vendor hosts only) are caught before any
    request. Every one of them must stay empty."""
    with HttpSink() as provider, HttpSink() as hook:
        settings.SMS_APPRISE_URL_TEMPLATE = f"json://127.0.0.1:{provider.port}/sms/{{digits}}"
        own_channel_sends = []

        def refuse(url, **kwargs):
            own_channel_sends.append(url)
            raise AssertionError(f"sent through its own channel: {url}")

        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(transport, "send", refuse)
            yield {"smtp": smtp, "provider": provider, "hook": hook,
                   "own_channel_sends": own_channel_sends}


@pytest.fixture
def incident(db):
    return Incident.objects.create(
        title="Sign-up Zap failing", severity="sev1", summary="New sign-ups get no welcome mail."
    )


def reachable(person, kind, address):
    method = ContactMethod.objects.create(person=person, kind=kind, address=address)
    NotificationRule.objects.create(person=person, urgency="urgent", contact_method=method)
    return method


def address_for(kind, receivers):
    return {
        "email": "rita@example.org",
        "sms": "+447700900123",
        "slack": "https://hooks.slack.com/services/T000/B000/demo",
        "teams": TEAMS,
        "webhook": f"{receivers['hook'].url}/pager",
    }[kind]


def sink_lines(server):
    raw = server.store.path.read_bytes()
    assert raw.endswith(b"\n")
    return [json.loads(line) for line in raw.splitlines()]


def assert_nothing_left_for_the_real_address(receivers):
    assert receivers["own_channel_sends"] == []
    assert receivers["smtp"].wait_for(1, timeout=0.3) == []
    assert receivers["provider"].requests == []
    assert receivers["hook"].requests == []


@pytest.mark.parametrize("kind", ["email", "sms", "slack", "teams", "webhook"])
def test_a_page_of_each_kind_goes_to_the_sink_with_a_working_ack_link_unless_a_chat(
    kind, sink, real_receivers, incident, client
):
    rita = make_person("Rita Novak")
    address = address_for(kind, real_receivers)
    reachable(rita, kind, address)
    engine.page_now(incident, [rita], by=None)
    row = Notification.objects.get(recipient=rita)

    assert deliver(row.pk) == "sent"

    [message] = sink_lines(sink)
    assert message == {
        "kind": kind,
        "address": address,
        "urgency": "urgent",
        "subject": f"[URGENT] SEV1 {incident.reference}: Sign-up Zap failing",
        "text": message["text"],
        "identity": render.identity([row]),
        "notifications": [row.pk],
        "received_at": message["received_at"],
    }
    assert datetime.fromisoformat(message["received_at"]).tzinfo is not None
    assert_nothing_left_for_the_real_address(real_receivers)
    row.refresh_from_db()
    assert "Development sink" in row.delivery_log and "not sent to the address" in row.delivery_log

    ack_link = render.ack_link_in(message["text"])
    if kind in ("slack", "teams"):
        # Others read a chat channel: no ack link, the incident's page to acknowledge on.
        assert message["text"] == row.body and not ack_link
        assert f"Acknowledge in the portal: {incident_url(incident)}" in message["text"]
        return
    # The sink stands for the recipient's own inbox: the link made for them at send time.
    assert ack_link.startswith("http://127.0.0.1:8000/ack/")
    assert message["text"].replace(ack_link, ACK_PLACEHOLDER) == row.body
    if kind == "sms":
        assert len(message["text"]) <= 160 and message["text"].endswith(ack_link)
    page = client.get(urlsplit(ack_link).path)
    assert page.status_code == 200
    html = page.content.decode()
    assert incident.reference in html and "Sign-up Zap failing" in html
    assert 'type="submit"' in html and "Acknowledge" in html


def test_pages_bundled_into_one_message_name_every_row_they_carry(sink, real_receivers, db):
    rita = make_person("Rita Novak")
    reachable(rita, "slack", address_for("slack", real_receivers))
    for title in ("Payments failing", "Refunds stuck"):
        incident = Incident.objects.create(title=title, severity="sev1", declared_at=T0)
        with time_machine.travel(T0, tick=False):
            engine.page_now(incident, [rita], by=None)
    rows = list(Notification.objects.filter(recipient=rita).order_by("pk"))

    with time_machine.travel(T0, tick=False):
        assert [deliver(row.pk) for row in rows] == ["sent", "sent"]

    [message] = sink_lines(sink)
    assert message["notifications"] == [row.pk for row in rows]
    assert message["identity"] == render.identity(rows)
    for row in rows:
        assert row.incident.reference in message["text"]
    assert "/ack/" not in message["text"]  # a chat channel: no ack links
    assert_nothing_left_for_the_real_address(real_receivers)


def test_a_sink_that_is_not_running_is_a_temporary_failure(settings, incident):
    settings.NOTIFICATION_SINK_URL = f"http://127.0.0.1:{free_port()}"
    rita = make_person("Rita Novak")
    reachable(rita, "email", "rita@example.org")
    with time_machine.travel(T0, tick=False):
        engine.page_now(incident, [rita], by=None)
        row = Notification.objects.get(recipient=rita)
        assert deliver(row.pk) == "queued"
    row.refresh_from_db()
    assert row.attempts == 1 and "development sink" in row.error
    assert row.deliver_after == T0 + timedelta(seconds=2)


@pytest.mark.parametrize("status, state", [(503, "queued"), (429, "queued"), (400, "failed")])
def test_a_sink_refusing_with_5xx_is_retried_and_with_4xx_fails_without_blaming_the_address(
    settings, incident, status, state
):
    rita = make_person("Rita Novak")
    method = reachable(rita, "email", "rita@example.org")
    engine.page_now(incident, [rita], by=None)
    row = Notification.objects.get(recipient=rita)
    with HttpSink() as refusing:
        refusing.fail_next(1, status)
        settings.NOTIFICATION_SINK_URL = refusing.url
        assert deliver(row.pk) == state
        assert refusing.requests[0].path == "/messages"
    row.refresh_from_db()
    assert f"HTTP {status}" in row.error
    method.refresh_from_db()
    assert method.failure_reason == ""


def test_without_the_setting_each_kind_has_its_own_channel(settings):
    settings.NOTIFICATION_SINK_URL = ""
    assert channel_for("email").kind == "email"
    settings.NOTIFICATION_SINK_URL = "http://127.0.0.1:8001"
    assert all(isinstance(channel_for(kind), SinkChannel)
               for kind in ("email", "sms", "slack", "teams", "webhook"))
    with pytest.raises(Exception, match="No channel"):
        channel_for("pigeon")
