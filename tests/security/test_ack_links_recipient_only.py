"""Finding 2: leaked acknowledge links. A link is made for its recipient when the message is
sent and stored nowhere; no page shows it to anyone, nor the Apprise URL with its tokens;
addresses are masked on the notification pages for all but roster admins; a chat channel,
which others read, never carries one."""

import pytest

from incidents.escalation import engine
from incidents.models import ContactMethod, Incident, Notification, NotificationRule
from incidents.notifications import render
from incidents.notifications.delivery import deliver
from tests.conftest import need_program
from tests.incidents.factories import make_person
from tests.incidents.sinks import HttpSink, SmtpSink

WORKFLOW = "/workflows/a1b2c3/triggers/manual/paths/invoke?api-version=2016-06-01&sig=S1gN4tU"
READERS = ["leader", "commander", "responder", "roster_admin"]


@pytest.fixture
def incident(db):
    return Incident.objects.create(title="Payments failing", severity="sev1")


@pytest.fixture
def smtp(settings):
    with SmtpSink() as sink:
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", sink.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        yield sink


def reachable(person, kind, address):
    method = ContactMethod.objects.create(person=person, kind=kind, address=address)
    NotificationRule.objects.create(person=person, urgency="urgent", contact_method=method)
    return method


def pages_seen_by(client_as, role, row) -> str:
    client = client_as(role)
    detail = client.get(f"/notifications/{row.pk}/")
    log = client.get(f"/incidents/{row.incident_id}/notifications/")
    assert detail.status_code == log.status_code == 200, role
    return detail.content.decode() + log.content.decode()


def test_an_emailed_ack_link_is_on_no_page_for_anyone(client_as, cast, incident, smtp):
    rita = make_person("Rita Novak", user=cast["responder"])
    reachable(rita, "email", "rita@example.org")
    engine.page_now(incident, [rita], by=None)
    row = Notification.objects.get(recipient=rita)
    assert deliver(row.pk) == "sent"
    [mail] = smtp.wait_for(1)
    link = render.ack_link_in(mail.text)
    assert link  # Rita's own inbox has it
    row.refresh_from_db()
    assert link not in row.body and "/ack/" not in row.body + row.delivery_log
    for role in READERS:  # the recipient herself is the responder
        html = pages_seen_by(client_as, role, row)
        assert "/ack/" not in html, role
        assert link.rsplit("/", 2)[-2] not in html, role  # nor the token alone


def test_a_webhooks_token_and_apprise_url_are_on_no_page(
    client_as, cast, incident, outbound_to_loopback
):
    rita = make_person("Rita Novak", user=cast["responder"])
    with HttpSink() as hook:
        reachable(rita, "webhook", f"{hook.url}/n8n/pager?token=s3cr3t-hook-token")
        engine.page_now(incident, [rita], by=None)
        row = Notification.objects.get(recipient=rita)
        assert deliver(row.pk) == "sent"
        [request] = hook.wait_for(1)
    assert "/ack/" in request.json["ack_url"]  # the receiver gets its link
    row.refresh_from_db()
    for secret in ("s3cr3t-hook-token", "json://", "/ack/"):
        assert secret not in row.delivery_log
    for role in ["leader", "commander", "responder"]:
        html = pages_seen_by(client_as, role, row)
        assert "s3cr3t-hook-token" not in html and "/ack/" not in html, role
        assert "http://127.0.0.1:" in html and "/…" in html  # the masked address
    admin_view = pages_seen_by(client_as, "roster_admin", row)
    assert "s3cr3t-hook-token" in admin_view and "/ack/" not in admin_view


def test_a_row_stored_with_a_link_shows_none(client_as, incident):
    """Rows stored before links were made at send time held the link in their body."""
    rita = make_person("Rita Novak")
    method = reachable(rita, "email", "rita@example.org")
    old_link = "http://127.0.0.1:8000/ack/1.2.timer:1.1tAbCd.QUFBQUFBQUFBQUFBQUFBQUFB/"
    row = Notification.objects.create(
        incident=incident, recipient=rita, contact_method=method, channel="email",
        urgency="urgent", reason="escalation", cause="timer:1", idempotency_key="k",
        subject="s", body=f"Acknowledge (stops the paging): {old_link}\n",
        delivery_log=f"JSON {old_link}: SUCCESS",
    )
    for role in READERS:
        assert "/ack/" not in pages_seen_by(client_as, role, row), role
    admin = client_as("roster_admin").get(f"/admin/incidents/notification/{row.pk}/change/")
    assert admin.status_code == 200
    assert "/ack/" not in admin.content.decode()


@pytest.mark.parametrize(
    ("kind", "address", "masked"),
    [
        ("email", "rita.novak@example.org", "r***@example.org"),
        ("sms", "+447700900189", "+44 ••• ••89"),
        ("webhook", "https://hooks.example.org/catch/123/abc?key=k3y", "https://hooks.example.org/…"),
    ],
)
def test_addresses_are_masked_for_all_but_roster_admins(client_as, incident, kind, address,
                                                        masked):
    rita = make_person("Rita Novak")
    method = ContactMethod.objects.create(person=rita, kind=kind, address=address)
    row = Notification.objects.create(
        incident=incident, recipient=rita, contact_method=method, channel=kind,
        urgency="urgent", reason="escalation", cause="timer:1", idempotency_key="k",
        subject="s", body="b", state="failed", error=f"Unusable address {address}",
        delivery_log=f"Development sink: {kind} to {address} (HTTP 200)",
    )
    for role in ["leader", "commander", "responder"]:
        html = pages_seen_by(client_as, role, row)
        assert address not in html, role
        assert masked in html, role
    assert address in pages_seen_by(client_as, "roster_admin", row)


def test_a_chat_message_carries_no_ack_link(incident, outbound_to_loopback, settings):
    need_program("openssl")
    settings.CONTACT_ALLOW_LOOPBACK_HTTP = True  # the receiver's certificate is self-signed
    rita = make_person("Rita Novak")
    reachable(rita, "slack", "https://hooks.slack.com/services/T000/B000/XXXX")
    with HttpSink(tls=True) as workflow:
        reachable(rita, "teams", workflow.url + WORKFLOW)
        engine.page_now(incident, [rita], by=None)
        slack = Notification.objects.get(recipient=rita, channel="slack")
        teams = Notification.objects.get(recipient=rita, channel="teams")
        assert deliver(teams.pk) == "sent"
        [request] = workflow.wait_for(1)
    card = str(request.json)
    assert "/ack/" not in card and "Acknowledge in the portal" in card
    for row in (slack, teams):
        text = render.outgoing([row]).text
        assert "/ack/" not in text and "/ack/" not in row.body
        assert f"Acknowledge in the portal: http://127.0.0.1:8000/incidents/{incident.pk}/" in text


def test_a_bundle_to_a_chat_carries_no_ack_link(db):
    rita = make_person("Rita Novak")
    reachable(rita, "slack", "https://hooks.slack.com/services/T000/B000/XXXX")
    for title in ("Payments failing", "Refunds stuck"):
        engine.page_now(Incident.objects.create(title=title, severity="sev1"), [rita], by=None)
    rows = list(Notification.objects.filter(recipient=rita).order_by("pk"))
    message = render.outgoing(rows)
    assert "/ack/" not in message.text and "ack_url" not in message.fields
    assert "acknowledge each in the portal" in message.text
