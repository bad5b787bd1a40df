"""Finding 3: forged ack links. A well-signed token acknowledges only for a notification
that exists for that person about that incident: a made-up cause, or a real cause with
another person or incident, acknowledges nothing."""

import pytest

from incidents.escalation import engine
from incidents.models import Incident, Notification, TimelineEvent
from incidents.notifications.ack import make_token
from tests.incidents.factories import make_person, make_reachable


@pytest.fixture
def incident(db):
    return Incident.objects.create(title="Payments failing", severity="sev1")


@pytest.fixture
def paged(incident):
    rita, olu = make_person("Rita Novak"), make_person("Olu Oncall")
    make_reachable(rita, "rita@example.org")
    make_reachable(olu, "olu@example.org")
    engine.page_now(incident, [rita], by=None)
    return rita, olu, Notification.objects.get(recipient=rita)


def acknowledged(incident) -> bool:
    incident.refresh_from_db()
    return incident.acknowledged_at is not None


@pytest.mark.parametrize(
    "forge",
    [
        lambda incident, rita, olu, row: (incident.pk, rita.pk, "timer:999999"),  # made up
        lambda incident, rita, olu, row: (incident.pk, olu.pk, row.cause),  # someone else
        lambda incident, rita, olu, row: (
            Incident.objects.create(title="Other", severity="sev2").pk, rita.pk, row.cause
        ),
    ],
    ids=["made-up cause", "another person", "another incident"],
)
def test_a_token_for_no_notification_acknowledges_nothing(client, incident, paged, forge):
    rita, olu, row = paged
    incident_id, person_id, cause = forge(incident, rita, olu, row)
    token = make_token(incident_id=incident_id, person_id=person_id, cause=cause)
    assert client.get(f"/ack/{token}/").status_code == 400
    response = client.post(f"/ack/{token}/")
    assert response.status_code == 400
    assert "Acknowledged" not in response.content.decode()
    assert not acknowledged(incident)
    assert not TimelineEvent.objects.filter(incident=incident, kind="acknowledged").exists()
    assert not Notification.objects.filter(acknowledged_at__isnull=False).exists()


def test_the_token_of_a_real_notification_still_acknowledges(client, incident, paged):
    rita, _, row = paged
    token = make_token(incident_id=incident.pk, person_id=rita.pk, cause=row.cause)
    assert client.post(f"/ack/{token}/").status_code == 200
    assert acknowledged(incident)
