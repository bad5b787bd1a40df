"""Finding 13: a 10,000-character summary was accepted and silently cut, and a U+202E
(right-to-left override) in a title showed it reversed. Now a summary over the documented
1,024 characters is cut with a visible marker and kept whole in the alert's details (an alert
is never refused for its length), and bidirectional control characters are taken out of
alert summaries and incident titles wherever they are written."""

import pytest

from incidents.intake import process_pending
from incidents.models import Alert, Incident
from tests.incidents.factories import make_service
from tests.incidents.test_intake_support import (
    am_alert,
    am_group,
    endpoint,
    make_integration,
    pd_trigger,
    post,
    stored_rate_counts,  # noqa: F401  (fixture)
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stored_rate_counts", "no_wake")]
LONG = "Checkout fails: " + "x" * 9984  # 10,000 characters
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"


@pytest.fixture
def no_wake(monkeypatch):
    monkeypatch.setattr("incidents.intake.receive.enqueue_processing", lambda: None)


def send(client, kind, summary):
    integration = make_integration(kind, service=make_service(tier=1))
    if kind == "webhook":
        document = {"summary": summary, "severity": "critical", "dedup_key": "checkout"}
    elif kind == "pagerduty":
        document = pd_trigger(integration.key, summary=summary)
    else:
        document = am_group({**am_alert(), "annotations": {"summary": summary}})
    response = post(client, endpoint(integration), document)
    assert response.status_code == 202, response.content
    process_pending(linger=False)
    return Alert.objects.get()


@pytest.mark.parametrize("kind", ["webhook", "pagerduty", "alertmanager"])
def test_a_long_summary_is_cut_with_a_marker_and_kept_whole_in_the_details(client, kind):
    alert = send(client, kind, LONG)
    assert len(alert.summary) == 1024
    assert alert.summary.endswith("…[cut]")
    assert alert.summary.startswith("Checkout fails: xxx")
    assert alert.details["summary_full"] == LONG


def test_a_summary_of_exactly_the_limit_is_kept_as_it_is(client):
    alert = send(client, "webhook", "y" * 1024)
    assert alert.summary == "y" * 1024 and "summary_full" not in alert.details


@pytest.mark.parametrize("kind", ["webhook", "pagerduty", "alertmanager"])
def test_bidi_controls_leave_the_summary_and_the_incident_title(client, kind):
    alert = send(client, kind, f"Payments ok{BIDI}fdp.exe")
    assert alert.summary == "Payments okfdp.exe"
    assert Incident.objects.get().title == "Payments okfdp.exe"


def test_the_declare_form_takes_bidi_controls_out_of_the_title(client_as):
    service = make_service("Checkout")
    response = client_as("commander").post(
        "/incidents/new/",
        {"title": "Refunds \u202eeviL\u202c stuck", "severity": "sev3", "services": [service.pk]},
    )
    assert response.status_code == 302
    incident = Incident.objects.get()
    assert incident.title == "Refunds eviL stuck"
    page = client_as("commander").get(f"/incidents/{incident.pk}/").content.decode()
    assert "\u202e" not in page


def test_a_title_of_bidi_controls_alone_is_refused_as_empty(client_as, db):
    response = client_as("commander").post(
        "/incidents/new/", {"title": f" {BIDI} ", "severity": "sev3"}
    )
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not Incident.objects.exists()
