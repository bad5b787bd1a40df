"""Each channel's Apprise URL, the reading of Apprise's failure lines, and deliveries through
real local receivers for SMS (through a JSON provider URL) and Teams (an HTTPS receiver)."""

from urllib.parse import parse_qs, urlsplit

import pytest

from incidents.escalation import engine
from incidents.models import ContactMethod, Incident, Notification, NotificationRule
from incidents.notifications.channels import DeliveryError, Outgoing, channel_for
from incidents.notifications.channels.email import email_url
from incidents.notifications.channels.slack import slack_url
from incidents.notifications.channels.sms import sms_url
from incidents.notifications.channels.teams import teams_url
from incidents.notifications.channels.transport import classify
from incidents.notifications.channels.webhook import webhook_url
from incidents.notifications.delivery import deliver
from tests.conftest import need_program
from tests.incidents.factories import make_person
from tests.incidents.sinks import HttpSink

WORKFLOW = (
    "/workflows/a1b2c3/triggers/manual/paths/invoke"
    "?api-version=2016-06-01&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=S1gN4tUre"
)


def query(url):
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def test_email_url_uses_the_smtp_settings_and_the_sender_for_the_urgency(settings):
    settings.EMAIL_HOST, settings.EMAIL_PORT = "smtp.example.com", 587
    settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = "portal@example.com", "p@ss:word"
    settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL = True, False
    settings.URGENT_FROM_EMAIL = "URGENT Portal <page@example.com>"
    settings.DEFAULT_FROM_EMAIL = "Portal <portal@example.com>"
    urgent = email_url("olu@example.org", "urgent")
    assert urgent.startswith("mailtos://portal%40example.com:p%40ss%3Aword@smtp.example.com:587/")
    assert query(urgent) == {
        "smtp": "smtp.example.com", "mode": "starttls", "from": "page@example.com",
        "to": "olu@example.org", "cto": "10", "name": "URGENT Portal",
        "+X-Priority": "1 (Highest)", "+Importance": "high",
    }
    routine = query(email_url("olu@example.org", "routine"))
    assert (routine["from"], routine["name"]) == ("portal@example.com", "Portal")
    assert "+X-Priority" not in routine
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER = False, ""
    assert email_url("olu@example.org", "routine").startswith("mailto://smtp.example.com:587/")


def test_sms_url_fills_the_number_into_the_deployments_template(settings):
    settings.SMS_APPRISE_URL_TEMPLATE = "twilio://AC123:secret@+15551234567/{number}"
    assert sms_url("+447700900123") == "twilio://AC123:secret@+15551234567/%2B447700900123"
    settings.SMS_APPRISE_URL_TEMPLATE = "vonage://key:secret@PORTAL/{digits}"
    assert sms_url("+447700900123") == "vonage://key:secret@PORTAL/447700900123"


@pytest.mark.parametrize("template", ["", "twilio://AC123:secret@+15551234567/"])
def test_sms_without_a_usable_template_fails_permanently_without_blaming_the_number(
    settings, template
):
    settings.SMS_APPRISE_URL_TEMPLATE = template
    with pytest.raises(DeliveryError) as raised:
        sms_url("+447700900123")
    assert raised.value.permanent and not raised.value.flag_method
    assert "SMS" in str(raised.value)


def test_slack_webhook_becomes_a_slack_url():
    url = slack_url("https://hooks.slack.com/services/T0001/B0002/AbCdEf123")
    assert url == "slack://T0001/B0002/AbCdEf123/?image=no&footer=no"
    workflow = "https://hooks.slack.com/triggers/T0001/123/abc"
    assert slack_url(workflow) == workflow
    with pytest.raises(DeliveryError) as raised:
        slack_url("https://evil.example.com/services/T0001/B0002/AbCdEf123")
    assert raised.value.permanent and raised.value.flag_method


def test_teams_workflow_becomes_a_workflows_url():
    url = teams_url("https://prod-12.westeurope.logic.azure.com:443" + WORKFLOW)
    assert url == (
        "workflows://prod-12.westeurope.logic.azure.com:443/a1b2c3/S1gN4tUre/"
        "?image=no&ver=2016-06-01"
    )
    power = teams_url(
        "https://default1.environment.api.powerplatform.com/powerautomate/automations/direct"
        + WORKFLOW
    )
    assert "pa=yes" in power
    with pytest.raises(DeliveryError):
        teams_url("https://prod-12.westeurope.logic.azure.com/workflows/a1b2c3/nope")


def test_webhook_url_keeps_the_receivers_query_and_adds_fields():
    url = webhook_url("https://hooks.example.com/n8n/abc?token=s3cret", {"incident": "INC-4"})
    assert url.startswith("jsons://hooks.example.com/n8n/abc?")
    assert query(url) == {"-token": "s3cret", ":incident": "INC-4", "method": "POST"}
    assert webhook_url("http://127.0.0.1:8080/x").startswith("json://127.0.0.1:8080/x?")


@pytest.mark.parametrize(
    "line, permanent",
    [
        ("WARNING Failed to send JSON POST notification: Servers are overloaded., error=503.",
         False),
        ("WARNING Failed to send JSON POST notification: error=429.", False),
        ("WARNING Failed to send to Slack: Bad Request, error=400.", True),
        ("WARNING Failed to send Workflows notification: Not Found, error=404.", True),
        ("WARNING A Connection error occurred sending JSON notification to 127.0.0.1.", False),
    ],
)
def test_http_failures_are_read_from_apprises_lines(line, permanent):
    error = classify(["INFO Notifying 1 service(s).", line], kind="webhook")
    assert error.permanent is permanent
    assert error.flag_method is permanent


def test_a_provider_error_code_is_placed_by_the_http_status_in_its_answer():
    lines = [
        "WARNING Failed to send Twilio notification to +447700900123: "
        "The 'To' number is not a valid phone number., error=21211.",
        'DEBUG Response Details:\r\nb\'{"code": 21211, "status": 400}\'',
    ]
    assert classify(lines, kind="sms").permanent
    lines[1] = 'DEBUG Response Details:\r\nb\'{"code": 20429, "status": 429}\''
    assert not classify(lines, kind="sms").permanent
    refused_login = ["WARNING Failed to send Twilio notification: Unauthorized, error=401."]
    error = classify(refused_login, kind="sms", credential_statuses=frozenset({401}))
    assert error.permanent and not error.flag_method


def test_smtp_replies_are_read_from_apprises_lines():
    refused = ["DEBUG Socket Exception: {'a@b.org': (550, b'5.1.1 No such user')}",
               'WARNING Sending email to "a@b.org" failed.']
    error = classify(refused, kind="email")
    assert error.permanent and error.flag_method
    deferred = ["DEBUG Socket Exception: {'a@b.org': (451, b'4.7.1 Later')}",
                'WARNING Sending email to "a@b.org" failed.']
    assert not classify(deferred, kind="email").permanent
    login = ['WARNING Connection error while submitting email to "smtp.example.com"',
             "DEBUG Socket Exception: (535, b'5.7.8 Authentication failed')"]
    error = classify(login, kind="email")
    assert error.permanent and not error.flag_method
    down = ['WARNING Connection error while submitting email to "127.0.0.1"',
            "DEBUG Socket Exception: [Errno 111] Connection refused"]
    assert not classify(down, kind="email").permanent


def test_an_address_that_fails_validation_fails_before_any_network_call():
    with pytest.raises(DeliveryError) as raised:
        channel_for("email").send(
            Outgoing(kind="email", address="not-an-address", urgency="urgent", subject="s",
                     text="t")
        )
    assert raised.value.permanent and raised.value.flag_method


@pytest.fixture
def incident(db):
    return Incident.objects.create(title="Payments failing", severity="sev1")


def reachable(person, kind, address):
    method = ContactMethod.objects.create(person=person, kind=kind, address=address)
    NotificationRule.objects.create(person=person, urgency="urgent", contact_method=method)
    return method


def test_sms_goes_through_the_configured_provider_url(settings, incident):
    with HttpSink() as provider:
        settings.SMS_APPRISE_URL_TEMPLATE = f"json://127.0.0.1:{provider.port}/sms/{{digits}}"
        olu = make_person("Olu Oncall")
        reachable(olu, "sms", "+447700900123")
        engine.page_now(incident, [olu], by=None)
        row = Notification.objects.get(recipient=olu)
        assert deliver(row.pk) == "sent"
        [request] = provider.wait_for(1)
    assert request.path == "/sms/447700900123"
    text = request.json["message"]
    assert len(text) <= 160 and text.startswith("[URGENT] SEV1 ")
    assert "/ack/" in text.split()[-1]
    assert request.json["title"] == ""


def test_an_unconfigured_sms_fails_at_once_and_leaves_the_number_unflagged(settings, incident):
    settings.SMS_APPRISE_URL_TEMPLATE = ""
    olu = make_person("Olu Oncall")
    method = reachable(olu, "sms", "+447700900123")
    engine.page_now(incident, [olu], by=None)
    row = Notification.objects.get(recipient=olu)
    assert deliver(row.pk) == "failed"
    row.refresh_from_db()
    assert row.attempts == 1 and row.error.startswith("SMS is not configured")
    method.refresh_from_db()
    assert method.failure_reason == ""


def test_teams_posts_an_adaptive_card_to_the_workflow(incident, outbound_to_loopback):
    need_program("openssl")
    with HttpSink(tls=True) as workflow:
        olu = make_person("Olu Oncall")
        reachable(olu, "teams", workflow.url + WORKFLOW)
        engine.page_now(incident, [olu], by=None)
        row = Notification.objects.get(recipient=olu)
        assert deliver(row.pk) == "sent"
        [request] = workflow.wait_for(1)
    assert request.path.startswith("/workflows/a1b2c3/triggers/manual/paths/invoke?")
    assert query(request.path)["sig"] == "S1gN4tUre"
    card = str(request.json)
    assert f"[URGENT] SEV1 {incident.reference}: Payments failing" in card
    # A channel others read carries no ack link (a bearer token), only the incident's page.
    assert "/ack/" not in card
    assert "Acknowledge in the portal: " in card and f":8000/incidents/{incident.pk}/" in card


def test_apprises_smtp_tls_context_is_made_only_when_tls_is_used():
    import ssl

    from apprise.plugins.email import smtp

    from incidents.notifications.channels import smtp_tls

    assert smtp_tls.install()
    context = smtp.ssl.create_default_context()
    assert isinstance(context, smtp_tls.DeferredContext)
    assert context._real is None
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    other = smtp.ssl.create_default_context()
    assert other.verify_mode == ssl.CERT_REQUIRED
    assert context._real is other._real  # one verified default context per process
    relaxed = smtp.ssl.create_default_context()
    relaxed.check_hostname = False
    relaxed.verify_mode = ssl.CERT_NONE
    assert relaxed.verify_mode == ssl.CERT_NONE and not relaxed.check_hostname
    assert relaxed._materialize() is not context._real
    assert context.verify_mode == ssl.CERT_REQUIRED  # the shared one is untouched


def test_email_over_starttls_verifies_the_servers_certificate(settings, monkeypatch):
    need_program("openssl")
    from incidents.notifications.channels import smtp_tls
    from tests.incidents.sinks import SmtpSink

    with SmtpSink(starttls=True) as server:
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_USE_TLS, settings.EMAIL_USE_SSL = True, False
        message = Outgoing(kind="email", address="olu@example.org", urgency="urgent",
                           subject="[URGENT] over TLS", text="t", html="<p>over TLS</p>")
        # Not yet trusted: the certificate check refuses the server, and nothing arrives.
        monkeypatch.setattr(smtp_tls, "_shared", None)
        with pytest.raises(DeliveryError):
            channel_for("email").send(message)
        assert server.mails == []
        monkeypatch.setenv("SSL_CERT_FILE", server.certificate)
        monkeypatch.setattr(smtp_tls, "_shared", None)
        channel_for("email").send(message)
        [mail] = server.wait_for(1)
    assert mail.subject == "[URGENT] over TLS"
