"""Declare from anywhere: the header's button for those who may declare, the board's, and
the form filled in from where it was opened (a service page, an alert)."""

import re

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from incidents.models import Alert, DecisionAuthority, Incident, Integration, Tier
from portal import roles
from tests.incidents.factories import make_service

URL = reverse("incidents:incident_new")
HEADER_BUTTON = f'class="button primary header-action" href="{URL}"'


@pytest.fixture
def onboarding(db):
    return make_service("Onboarding flow", slug="onboarding", tier=Tier.CRITICAL)


@pytest.fixture
def alert(onboarding):
    integration = Integration.objects.create(
        name="Zapier errors", service=onboarding, kind="webhook",
        auto_declare=Integration.AutoDeclare.NEVER, severity_mapping={"critical": "sev1"},
    )
    return Alert.objects.create(
        integration=integration, service=onboarding, dedup_key="zap-42",
        summary="Zap 'New signup → HubSpot' failed 12 times", source="zapier",
        source_severity="critical",
    )


@pytest.mark.parametrize("name", ["commander", "responder"])
def test_those_who_may_declare_see_the_button_on_every_page(client_as, name):
    client = client_as(name)
    for page in ("/", reverse("incidents:service_list"), reverse("incidents:oncall")):
        assert HEADER_BUTTON in client.get(page).text, page


@pytest.mark.parametrize("name", ["leader", "comms", "roster_admin", "outsider"])
def test_others_do_not_see_it(client_as, name):
    assert HEADER_BUTTON not in client_as(name).get("/").text


def test_the_decision_authority_decides_who_sees_it(client_as):
    for row in DecisionAuthority.objects.filter(action="declare"):
        row.portal_roles.set([Group.objects.get(name=roles.COMMANDERS)])
    assert HEADER_BUTTON not in client_as("responder").get("/").text
    assert HEADER_BUTTON in client_as("commander").get("/").text
    comms_too = DecisionAuthority.objects.get(action="declare", severity="sev4")
    comms_too.portal_roles.add(Group.objects.get(name=roles.COMMUNICATIONS))
    assert HEADER_BUTTON in client_as("comms").get("/").text


def test_the_board_has_a_declare_button_for_those_who_may(client_as):
    board = reverse("incidents:board")
    assert 'id="board-declare"' in client_as("responder").get(board).text
    assert 'id="board-declare"' not in client_as("leader").get(board).text


def test_a_service_page_opens_the_form_with_its_service_ticked(client_as, onboarding):
    client = client_as("responder")
    page = client.get(onboarding.get_absolute_url()).text
    link = re.search(r'id="declare-on-service" href="([^"]+)"', page).group(1)
    assert link == f"{URL}?service=onboarding"
    form = client.get(link).text
    assert f'value="{onboarding.pk}" id="id_services_0" checked' in form
    leader_page = client_as("leader").get(onboarding.get_absolute_url()).text
    assert 'id="declare-on-service"' not in leader_page


def test_an_alert_opens_the_form_filled_in_and_the_incident_takes_the_alert(client_as, alert):
    client = client_as("responder")
    integration_page = client.get(
        reverse("incidents:integration_detail", args=[alert.integration_id])
    )
    assert f'href="{URL}?alert={alert.pk}">Declare from this alert' in integration_page.text
    form = client.get(URL, {"alert": alert.pk}).text
    assert 'value="Zap &#x27;New signup → HubSpot&#x27; failed 12 times"' in form
    assert re.search(r'value="sev1"[^>]*checked', form)
    assert f'value="{alert.service_id}" id="id_services_0" checked' in form
    assert "Alert from zapier, first seen" in form
    token = re.search(r'name="token" value="([^"]+)"', form).group(1)
    response = client.post(URL, {
        "title": "Signups not reaching HubSpot", "severity": "sev1",
        "services": [alert.service_id], "alert": alert.pk, "token": token,
    })
    incident = Incident.objects.get()
    assert response["Location"] == incident.get_absolute_url()
    alert.refresh_from_db()
    assert alert.incident == incident


def test_an_alert_that_already_has_an_incident_is_said_so(client_as, alert):
    client = client_as("responder")
    client.post(URL, {"title": "First", "severity": "sev2", "alert": alert.pk})
    first = Incident.objects.get()
    page = client.get(URL, {"alert": alert.pk}).text
    assert f"That alert already belongs to {first.reference}" in page


@pytest.mark.parametrize("value", ["999999", "abc", "1" * 30, ""])
def test_an_unknown_alert_is_said_plainly(client_as, value, db):
    response = client_as("responder").get(URL, {"alert": value})
    assert response.status_code == 200
    assert "That alert cannot be found: declare with what you know." in response.text


def test_a_posted_alert_that_does_not_exist_is_a_400(client_as):
    response = client_as("responder").post(
        URL, {"title": "Zap down", "severity": "sev2", "alert": "999999"}
    )
    assert response.status_code == 400
    assert "The alert this form was opened from is gone." in response.text
    assert not Incident.objects.exists()
