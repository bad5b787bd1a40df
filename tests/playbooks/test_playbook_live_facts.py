"""A playbook page reads its facts live from the catalog: change the roster, the rotation,
the dependencies or the targets, and the page says so at once; no secret URL is shown."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents.models import Connector, Override, ResponseTarget, ServiceDependency
from tests.incidents.factories import make_person, make_rotation, make_service, make_team
from tests.playbooks.builders import make_playbook, reach_by

NOW = datetime(2026, 3, 4, 12, 0, tzinfo=UTC)  # a Wednesday: the first week's shift


@pytest.fixture
def catalog(db):
    team = make_team("Finance Operations")
    olu, kim = make_person("Olu Oncall"), make_person("Kim Backup")
    rotation = make_rotation("Payments rota", people=[olu, kim], team=team)
    service = make_service("Payments", owner_team=team, rotation=rotation, tier=1)
    playbook = make_playbook(owner_team=team, services=[service])
    return {"team": team, "olu": olu, "kim": kim, "rotation": rotation, "service": service,
            "playbook": playbook}


def facts_html(client, playbook) -> str:
    with time_machine.travel(NOW, tick=False):
        response = client.get(playbook.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    return html[html.index('id="live-facts"'):]


def on_call_line(html: str) -> str:
    start = html.index('class="oncall"')
    return html[start:html.index("</p>", start)]


def test_who_is_on_call_follows_the_rotation_and_its_overrides(client_as, catalog):
    client = client_as("leader")
    assert "Olu Oncall" in on_call_line(facts_html(client, catalog["playbook"]))
    Override.objects.create(
        rotation=catalog["rotation"], person=catalog["kim"],
        starts_at=NOW - timedelta(hours=1), ends_at=NOW + timedelta(hours=4),
    )
    line = on_call_line(facts_html(client, catalog["playbook"]))
    assert "Kim Backup" in line and "Olu Oncall" not in line


def test_the_manager_and_contact_methods_are_the_current_ones(client_as, catalog):
    client = client_as("responder")
    html = facts_html(client, catalog["playbook"])
    assert "The team has no manager." in html
    priya = make_person("Priya Manager")
    catalog["team"].manager = priya
    catalog["team"].save()
    reach_by(priya, "email", "priya@example.org")
    reach_by(priya, "sms", "+447700900123")
    reach_by(priya, "slack", "https://hooks.slack.com/services/T000/B000/SECRETTOKEN")
    reach_by(priya, "webhook", "https://n8n.example.org/webhook/private-key-123")
    html = facts_html(client, catalog["playbook"])
    assert "Priya Manager" in html
    assert "priya@example.org" in html and "+447700900123" in html
    assert "SECRETTOKEN" not in html and "private-key-123" not in html
    assert "address kept private" in html


def test_the_on_call_persons_failed_method_is_flagged(client_as, catalog):
    method = reach_by(catalog["olu"], "email", "olu@example.org")
    method.failure_reason = "550 No such user"
    method.save()
    html = facts_html(client_as("responder"), catalog["playbook"])
    assert "failed: 550 No such user" in html
    assert "Cannot be paged" in html


def test_dependencies_and_connectors_are_read_from_the_graph(client_as, catalog):
    client = client_as("responder")
    html = facts_html(client, catalog["playbook"])
    assert "Stripe (Make)" not in html
    records = make_service("Customer records", owner_team=catalog["team"])
    ServiceDependency.objects.create(service=catalog["service"], depends_on=records)
    stripe = Connector.objects.create(name="Stripe (Make)", vendor="Stripe", platform="make",
                                      failing_since=NOW - timedelta(minutes=5))
    records.connectors.add(stripe)
    html = facts_html(client, catalog["playbook"])
    assert "Customer records" in html
    assert "Stripe (Make)" in html and "through Customer records" in html
    assert "failing since" in html


def test_response_targets_follow_the_defaults_and_the_services_own_rows(client_as, catalog):
    client = client_as("responder")
    html = facts_html(client, catalog["playbook"])
    targets = html[html.index("Response targets"):]
    assert "<td>5 min</td><td>15 min</td><td>1 h</td><td>30 min</td>" in targets  # SEV1
    ResponseTarget.objects.create(
        severity="sev1", service=catalog["service"], acknowledge_minutes=2, triage_minutes=10
    )
    targets = facts_html(client, catalog["playbook"])
    targets = targets[targets.index("Response targets"):]
    assert "<td>2 min</td><td>10 min</td><td>—</td><td>—</td>" in targets


def test_a_playbook_for_no_service_shows_the_default_targets(client_as, db):
    playbook = make_playbook(owner_team=make_team(), title="Expired credentials")
    html = facts_html(client_as("responder"), playbook)
    assert "Not tied to a service" in html
    assert "<td>10 min</td><td>30 min</td><td>2 h</td><td>1 h</td>" in html  # SEV2 default
