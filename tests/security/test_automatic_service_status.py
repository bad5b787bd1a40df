"""Finding 10, second half: an alert sender alone could set a public service to "Major
outage". An automatic change (an incident nobody declared or resolved) is now held for a
person who may publish to customers, unless the service says to publish at once, and then
the status page says it was detected automatically."""

import re

import pytest

from incidents.intake import process_pending
from incidents.models import Incident, Service, TimelineEvent
from incidents.services import incident_assign_role
from tests.incidents.factories import make_person, make_service
from tests.incidents.test_intake_support import (
    endpoint,
    make_integration,
    post,
    stored_rate_counts,  # noqa: F401  (fixture)
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stored_rate_counts", "no_wake")]


@pytest.fixture
def no_wake(monkeypatch):
    monkeypatch.setattr("incidents.intake.receive.enqueue_processing", lambda: None)


@pytest.fixture
def checkout(db):
    return make_service("Checkout", tier=1, public=True, business_process="Payments")


def alert(client, service, status="trigger", **fields):
    integration = service.integrations.first() or make_integration("webhook", service=service)
    document = {"summary": "Checkout down", "severity": "critical", "dedup_key": "checkout",
                "status": status}
    assert post(client, endpoint(integration), {**document, **fields}).status_code == 202
    process_pending(linger=False)


def status_row(client, name="Checkout") -> str:
    page = client.get("/status/").content.decode()
    row = re.search(rf'<span class="sp-name">{name}</span>(.*?)</div>', page, re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", row.group(1)).split())


def test_an_alert_alone_does_not_put_a_major_outage_on_the_status_page(client, checkout):
    """The reported case: a webhook with severity critical declares SEV1 on a public
    service; the public page keeps showing what a person last published."""
    alert(client, checkout)
    incident = Incident.objects.get()
    assert incident.severity == "sev1" and incident.declared_by is None
    assert status_row(client) == "Operational"
    checkout.refresh_from_db()
    assert checkout.status == "operational"
    assert (checkout.held_status, checkout.held_incident_id) == ("major_outage", incident.pk)
    assert TimelineEvent.objects.filter(
        incident=incident, kind="services_change", text__contains="held for a person to publish"
    ).exists()


def test_hold_is_the_default(db):
    assert make_service("Anything").automatic_status == "hold"


def test_the_held_change_waits_on_the_updates_page_and_a_publisher_publishes_it(
    client, client_as, cast, checkout
):
    alert(client, checkout)
    incident = Incident.objects.get()
    commander = client_as("commander")
    page = commander.get(f"/incidents/{incident.pk}/updates/").content.decode()
    assert "Held, not yet public" in page and "Publish “Major outage”" in page
    response = commander.post(
        f"/incidents/{incident.pk}/updates/",
        {"action": "service_status_publish", "service": checkout.pk},
    )
    assert response.status_code == 302
    assert status_row(client) == "Major outage"  # a person published it: no marker
    checkout.refresh_from_db()
    assert (checkout.status, checkout.held_status) == ("major_outage", "")


def test_someone_without_the_publishing_authority_cannot_publish_it(client, client_as, checkout):
    alert(client, checkout)
    incident = Incident.objects.get()
    for name in ("responder", "leader"):
        response = client_as(name).post(
            f"/incidents/{incident.pk}/updates/",
            {"action": "service_status_publish", "service": checkout.pk},
        )
        assert response.status_code == 403
    assert status_row(client) == "Operational"


def test_the_communications_lead_of_the_incident_may_publish_it(client, client_as, cast,
                                                                 checkout):
    alert(client, checkout)
    incident = Incident.objects.get()
    lead = make_person("Rita Responder", user=cast["responder"])
    incident_assign_role(incident=incident, kind="communications_lead", person=lead,
                         by=cast["commander"])
    response = client_as("responder").post(
        f"/incidents/{incident.pk}/updates/",
        {"action": "service_status_publish", "service": checkout.pk},
    )
    assert response.status_code == 302
    assert status_row(client) == "Major outage"


def test_published_at_once_it_is_marked_as_detected_automatically(client, checkout):
    Service.objects.filter(pk=checkout.pk).update(automatic_status="publish")
    alert(client, checkout)
    assert status_row(client) == "Major outage (detected automatically)"
    assert TimelineEvent.objects.filter(
        kind="services_change", text__endswith="(SEV1 declared, detected automatically)."
    ).exists()
    alert(client, checkout, status="resolve")
    assert status_row(client) == "Operational"


def test_an_automatic_recovery_is_held_too_and_a_raise_never_published_is_dropped(
    client, client_as, checkout
):
    alert(client, checkout)
    incident = Incident.objects.get()
    client_as("commander").post(
        f"/incidents/{incident.pk}/updates/",
        {"action": "service_status_publish", "service": checkout.pk},
    )
    alert(client, checkout, status="resolve")  # the alerts resolve the incident they declared
    checkout.refresh_from_db()
    assert status_row(client) == "Major outage"
    assert checkout.held_status == "operational"
    client_as("commander").post(
        f"/incidents/{incident.pk}/updates/",
        {"action": "service_status_publish", "service": checkout.pk},
    )
    assert status_row(client) == "Operational"

    alert(client, checkout, dedup_key="again")  # a new incident, never published
    alert(client, checkout, dedup_key="again", status="resolve")
    checkout.refresh_from_db()
    assert (checkout.status, checkout.held_status) == ("operational", "")


def test_a_person_declaring_still_sets_the_status_at_once(client_as, client, checkout):
    response = client_as("commander").post(
        "/incidents/new/",
        {"title": "Checkout down", "severity": "sev1", "services": [checkout.pk]},
    )
    assert response.status_code == 302
    assert status_row(client) == "Major outage"
