"""/integrations/: the list, one integration's page and its "send test alert" button."""

import re

import pytest

from incidents.intake import event_receive, process_pending
from incidents.models import Alert, IntegrationEvent
from tests.incidents.test_intake_support import make_integration

LIST = "/integrations/"


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    monkeypatch.setattr("incidents.intake.receive.enqueue_processing", lambda: None)


@pytest.fixture
def webhook(db):
    return make_integration(
        "webhook", name="Zapier error hooks", key="a1b2c3d4e5f60718293a4b5c6d7e8f90"
    )


def detail(integration) -> str:
    return f"/integrations/{integration.pk}/"


@pytest.mark.parametrize("who", ["commander", "responder", "comms", "roster_admin"])
def test_operators_and_roster_admins_see_the_list(client_as, webhook, who):
    response = client_as(who).get(LIST)
    assert response.status_code == 200
    assert "Zapier error hooks" in response.content.decode()


@pytest.mark.parametrize("who", ["leader", "outsider"])
def test_other_roles_are_refused(client_as, webhook, who):
    client = client_as(who)
    assert client.get(LIST).status_code == 403
    assert client.get(detail(webhook)).status_code == 403
    assert client.post(f"{detail(webhook)}test/").status_code == 403
    assert not IntegrationEvent.objects.exists()


def test_anonymous_visitors_are_sent_to_log_in(client, webhook):
    response = client.get(detail(webhook))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_roster_admin_sees_the_key_and_a_copyable_url(client_as, webhook):
    page = client_as("roster_admin").get(detail(webhook)).content.decode()
    assert f"/integrations/webhook/{webhook.key}/" in page
    assert "Copy URL" in page


def test_other_operators_see_the_key_masked(client_as, webhook):
    page = client_as("responder").get(detail(webhook)).content.decode()
    assert webhook.key not in page
    assert "••••••••8f90" in page
    assert "shown to roster admins only" in page


def test_the_page_lists_recent_events_with_rejection_reasons(client_as, webhook):
    event_receive(integration=webhook, document={"summary": 5})
    event_receive(integration=webhook, document={"summary": "Sign-ups failing", "dedup_key": "s"})
    page = client_as("commander").get(detail(webhook)).content.decode()
    assert "Rejected" in page and "&#x27;summary&#x27; must be a string" in page
    assert "waiting to be processed" in page
    assert "trigger s: Sign-ups failing" in page  # what the event said, in one line
    assert 'hx-trigger="every 3s"' in page  # polls until processed
    process_pending(linger=False)
    page = client_as("commander").get(detail(webhook)).content.decode()
    assert "Processed" in page and "every 3s" not in page
    assert "Sign-ups failing" in page  # the alert it opened


def test_the_events_partial_alone_for_htmx(client_as, webhook):
    response = client_as("commander").get(detail(webhook), headers={"HX-Request": "true"})
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="integration-events"' in body and "<html" not in body


@pytest.mark.parametrize("kind", ["pagerduty", "alertmanager", "grafana", "webhook"])
def test_send_test_alert_goes_through_the_same_processing(client_as, kind, cast):
    integration = make_integration(kind)
    response = client_as("responder").post(f"{detail(integration)}test/")
    assert response.status_code == 302 and response["Location"] == detail(integration)
    event = IntegrationEvent.objects.get()
    assert event.outcome == "accepted"
    process_pending(linger=False)
    alert = Alert.objects.get()
    assert "Test alert" in alert.summary and "Responder" in alert.summary
    assert alert.incident is not None and alert.incident.is_open


def test_roster_admin_without_an_operator_role_cannot_send_test_alerts(client_as, webhook):
    page = client_as("roster_admin").get(detail(webhook)).content.decode()
    assert "Send test alert" not in page
    assert client_as("roster_admin").post(f"{detail(webhook)}test/").status_code == 403


def test_a_disabled_integration_sends_no_test_alert(client_as, webhook):
    webhook.enabled = False
    webhook.save()
    response = client_as("commander").post(f"{detail(webhook)}test/", follow=True)
    assert "disabled" in response.content.decode()
    assert not IntegrationEvent.objects.exists()


def test_test_alert_needs_post(client_as, webhook):
    assert client_as("commander").get(f"{detail(webhook)}test/").status_code == 405


def test_unknown_integration_is_404(client_as, db):
    assert client_as("commander").get("/integrations/999999/").status_code == 404
    assert client_as("commander").get(f"/integrations/{2**40}/").status_code == 404


def test_the_list_counts_events_and_open_alerts_per_integration(client_as, webhook):
    for n in range(3):
        event_receive(integration=webhook, document={"summary": f"Zap {n}", "dedup_key": f"z{n}"})
    event_receive(integration=webhook, document={"summary": 5})
    process_pending(linger=False)
    page = client_as("commander").get(LIST).content.decode()
    row = page[page.index(f'id="integration-{webhook.pk}"') :]
    row = row[: row.index("</tr>")]
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row)]
    assert cells[-3:] == ["3", "1", "3"]  # accepted, rejected, open alerts
    assert '<span class="flag">1</span>' in row  # a rejection stands out
