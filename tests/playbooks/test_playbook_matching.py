"""Playbooks attach by what an incident is about (its type, the connector, the alert source),
not only by a shared service; the type is set when declaring, by an integration, or on the
incident page; a commander can detach a playbook."""

import importlib
from datetime import UTC, datetime

import pytest
from django.apps import apps as django_apps

from incidents.escalation.triggers import alert_trigger, connector_failure
from incidents.models import (
    Alert,
    Connector,
    IncidentRole,
    IncidentType,
    Integration,
    Task,
    TimelineEvent,
)
from incidents.services import incident_declare, incident_set_type
from playbooks.services import attach_playbooks, playbook_attach
from tests.incidents.factories import make_person, make_service
from tests.playbooks.builders import make_playbook

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)


@pytest.fixture
def onboarding(db):
    return make_service("Onboarding flow", tier=1)


@pytest.fixture
def twilio(onboarding):
    """Written for Twilio slowness, on a service a HubSpot Zap also serves."""
    return make_playbook(
        owner_team=onboarding.owner_team, services=[onboarding], title="Twilio Verify slow",
        checklist="Check Twilio's status page\nSwitch to the email code",
        incident_type=IncidentType.VENDOR_DEGRADATION,
    )


def declare(cast, services, incident_type="", **kwargs):
    return incident_declare(
        title="Sign-ups failing", severity="sev2", declared_by=cast["commander"],
        services=services, incident_type=incident_type, **kwargs,
    )


def sources(incident):
    return set(Task.objects.filter(incident=incident).values_list("source", flat=True))


def test_a_typed_playbook_does_not_land_on_another_kind_of_incident_of_its_service(
    cast, twilio, onboarding
):
    hubspot = declare(cast, [onboarding], IncidentType.CONNECTOR_FAILURE)
    assert sources(hubspot) == set()
    unknown = declare(cast, [onboarding])
    assert sources(unknown) == set()
    slow = declare(cast, [onboarding], IncidentType.VENDOR_DEGRADATION)
    assert sources(slow) == {"playbook:twilio-verify-slow"}


def test_a_playbook_naming_only_services_still_attaches_by_service(cast, onboarding):
    make_playbook(owner_team=onboarding.owner_team, services=[onboarding], title="Onboarding")
    incident = declare(cast, [onboarding], IncidentType.DATA_ERROR)
    assert sources(incident) == {"playbook:onboarding"}


def test_a_playbook_naming_only_a_type_attaches_to_that_type_on_any_service(cast, onboarding):
    make_playbook(owner_team=onboarding.owner_team, title="Expired credentials",
                  incident_type=IncidentType.CONNECTOR_FAILURE)
    assert sources(declare(cast, [onboarding], IncidentType.CONNECTOR_FAILURE)) == {
        "playbook:expired-credentials"
    }
    assert sources(declare(cast, [onboarding], IncidentType.SECURITY)) == set()


def test_a_playbook_naming_nothing_is_attached_by_hand_only(cast, onboarding):
    make_playbook(owner_team=onboarding.owner_team, title="General")
    assert sources(declare(cast, [onboarding], IncidentType.SECURITY)) == set()


def test_a_connector_playbook_attaches_to_that_connectors_failure_only(cast, onboarding):
    hubspot = Connector.objects.create(name="HubSpot in Zapier", vendor="HubSpot",
                                       platform="zapier")
    verify = Connector.objects.create(name="Twilio Verify", vendor="Twilio", platform="n8n")
    onboarding.connectors.add(hubspot, verify)
    make_playbook(owner_team=onboarding.owner_team, title="HubSpot Zap", connectors=[hubspot])
    incident = connector_failure(connector=hubspot, note="401 on every run", now=T0)
    assert incident.incident_type == IncidentType.CONNECTOR_FAILURE
    assert sources(incident) == {"playbook:hubspot-zap"}
    other = declare(cast, [onboarding], IncidentType.CONNECTOR_FAILURE, connector=verify)
    assert sources(other) == set()


def test_an_integration_sets_the_type_and_its_alerts_attach_its_playbooks(cast, onboarding, twilio):
    hubspot = Connector.objects.create(name="HubSpot in Zapier", vendor="HubSpot",
                                       platform="zapier")
    zap = Integration.objects.create(
        name="Zapier errors", service=onboarding, kind="webhook",
        incident_type=IncidentType.CONNECTOR_FAILURE, connector=hubspot,
    )
    other = Integration.objects.create(name="Grafana", service=onboarding, kind="grafana")
    make_playbook(owner_team=onboarding.owner_team, title="Zapier alerts", integrations=[zap])
    make_playbook(owner_team=onboarding.owner_team, title="Grafana alerts",
                  integrations=[other])
    make_playbook(owner_team=onboarding.owner_team, title="HubSpot", connectors=[hubspot])
    alert = Alert.objects.create(integration=zap, service=onboarding, dedup_key="k",
                                 summary="HubSpot Zap failing")
    incident = alert_trigger(alert, now=T0)
    assert incident.incident_type == IncidentType.CONNECTOR_FAILURE
    # Not the Twilio playbook, though it is written for the same service.
    assert sources(incident) == {"playbook:zapier-alerts", "playbook:hubspot"}


def test_setting_the_type_attaches_the_playbooks_of_that_type(cast, twilio, onboarding):
    incident = declare(cast, [onboarding])
    assert sources(incident) == set()
    assert incident_set_type(incident=incident, incident_type=IncidentType.VENDOR_DEGRADATION,
                             by=cast["responder"])
    assert sources(incident) == {"playbook:twilio-verify-slow"}
    event = incident.timeline.get(kind=TimelineEvent.Kind.TYPE_CHANGE)
    assert event.text == "Incident type: Vendor degradation (was not set)."
    assert not incident_set_type(incident=incident, incident_type="vendor_degradation",
                                 by=cast["responder"])


# --- the declare form and the incident page ------------------------------------------------


def test_the_declare_form_sets_the_type(client_as, cast, twilio, onboarding):
    client = client_as("responder")
    assert "Vendor degradation" in client.get("/incidents/new/").content.decode()
    response = client.post("/incidents/new/", {
        "title": "Verify codes late", "severity": "sev3", "services": [onboarding.pk],
        "incident_type": "vendor_degradation",
    })
    assert response.status_code == 302
    incident = onboarding.incidents.get()
    assert incident.incident_type == "vendor_degradation"
    assert sources(incident) == {"playbook:twilio-verify-slow"}


def test_the_declare_form_refuses_an_unknown_type(client_as, onboarding):
    response = client_as("responder").post("/incidents/new/", {
        "title": "Verify codes late", "severity": "sev3", "incident_type": "aliens",
    })
    assert response.status_code == 400
    assert "not one of the available choices" in response.content.decode()
    assert not onboarding.incidents.exists()


def test_the_type_is_changed_on_the_incident_page(client_as, cast, twilio, onboarding):
    incident = declare(cast, [onboarding])
    client = client_as("responder")
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "Change the type" in page and "not known yet" in page
    response = client.post(incident.get_absolute_url(), {
        "action": "incident_type", "incident_type-incident_type": "vendor_degradation",
    })
    assert response.status_code == 302
    incident.refresh_from_db()
    assert incident.incident_type == "vendor_degradation"
    assert sources(incident) == {"playbook:twilio-verify-slow"}
    page = client.get(incident.get_absolute_url()).content.decode()
    assert "Incident type: Vendor degradation (was not set)." in page


def test_a_bad_type_on_the_incident_page_is_a_400(client_as, cast, onboarding):
    incident = declare(cast, [onboarding])
    response = client_as("responder").post(incident.get_absolute_url(), {
        "action": "incident_type", "incident_type-incident_type": "aliens",
    })
    assert response.status_code == 400
    incident.refresh_from_db()
    assert incident.incident_type == ""


@pytest.mark.parametrize("name", ["leader", "roster_admin", "outsider"])
def test_readers_may_not_change_the_type(client_as, cast, onboarding, name):
    incident = declare(cast, [onboarding])
    response = client_as(name).post(incident.get_absolute_url(), {
        "action": "incident_type", "incident_type-incident_type": "security",
    })
    assert response.status_code == 403
    incident.refresh_from_db()
    assert incident.incident_type == ""
    assert not incident.timeline.filter(kind=TimelineEvent.Kind.TYPE_CHANGE).exists()


# --- detaching --------------------------------------------------------------------------------


@pytest.fixture
def attached(cast, twilio, onboarding):
    incident = declare(cast, [onboarding], IncidentType.VENDOR_DEGRADATION)
    first, _second = Task.objects.filter(incident=incident).order_by("pk")
    first.done_at = T0
    first.save()
    return incident


def detach(client, playbook, incident):
    return client.post(playbook.get_absolute_url(),
                       {"action": "detach", "detach-incident": incident.pk})


def test_a_commander_detaches_a_playbook(client_as, cast, attached, twilio):
    client = client_as("commander")
    page = client.get(attached.get_absolute_url()).content.decode()
    assert f"Detach {twilio.title}" in page
    response = detach(client, twilio, attached)
    assert response.status_code == 302 and response["Location"] == attached.get_absolute_url()
    # The untouched step went; the done one stays as the incident's own task.
    assert list(Task.objects.filter(incident=attached).values_list("title", "source")) == [
        ("Check Twilio's status page", "detached:twilio-verify-slow")
    ]
    event = attached.timeline.get(kind=TimelineEvent.Kind.PLAYBOOK)
    assert event.text == ("Playbook detached: Twilio Verify slow. 1 untouched step(s) removed, "
                          "1 done or assigned kept as tasks.")
    assert event.actor == cast["commander"]
    page = client.get(attached.get_absolute_url()).content.decode()
    assert "· detached" in page
    # Matching again (a type change) does not put it back; attaching by hand does, once.
    assert attach_playbooks(incident=attached) == []
    added = playbook_attach(playbook=twilio, incident=attached, by=None)
    assert [task.title for task in added] == ["Switch to the email code"]


def test_the_incident_commander_seat_may_detach(client_as, cast, attached, twilio):
    person = make_person("Rae Responder", user=cast["responder"])
    IncidentRole.objects.create(incident=attached, kind="commander", holder=person)
    client = client_as("responder")
    assert f"Detach {twilio.title}" in client.get(attached.get_absolute_url()).content.decode()
    assert detach(client, twilio, attached).status_code == 302
    assert attached.timeline.filter(kind=TimelineEvent.Kind.PLAYBOOK).exists()


@pytest.mark.parametrize("name", ["responder", "comms", "leader", "roster_admin", "outsider"])
def test_others_may_not_detach(client_as, attached, twilio, name):
    client = client_as(name)
    if name in ("responder", "comms"):
        page = client.get(attached.get_absolute_url()).content.decode()
        assert "Detach" not in page
    assert detach(client, twilio, attached).status_code == 403
    assert Task.objects.filter(incident=attached, source=twilio.source).count() == 2


def test_detaching_what_is_not_attached_or_from_no_incident_says_so(client_as, cast, attached,
                                                                   onboarding):
    other = make_playbook(owner_team=onboarding.owner_team, title="Other")
    client = client_as("commander")
    response = client.post(other.get_absolute_url(),
                           {"action": "detach", "detach-incident": attached.pk}, follow=True)
    assert "“Other” is not attached to" in response.content.decode()
    response = client.post(other.get_absolute_url(),
                           {"action": "detach", "detach-incident": 99999})
    assert response.status_code == 400
    assert "There is no INC-99999." in response.content.decode()


# --- the free-text type of existing playbooks -------------------------------------------------


def test_the_migration_turns_free_text_types_into_types(onboarding):
    migration = importlib.import_module("playbooks.migrations.0002_attach_by_type_connector_source")
    books = [
        make_playbook(owner_team=onboarding.owner_team, title=title, incident_type=text)
        for title, text in [("A", "Connector failure"), ("B", " vendor degradation "),
                            ("C", "Release-Regression"), ("D", "Cosmic rays")]
    ]
    migration.typed(django_apps, None)
    assert [book.__class__.objects.get(pk=book.pk).incident_type for book in books] == [
        "connector_failure", "vendor_degradation", "release_regression", ""
    ]
