"""/incidents/new/: declaring an incident, and who may declare at which severity."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from incidents.models import DecisionAuthority, Incident, ServiceDependency, Tier, TimelineEvent
from portal import roles
from tests.incidents.factories import make_service

URL = reverse("incidents:incident_new")



@pytest.fixture
def onboarding(db):
    return make_service(
        "Customer onboarding flow",
        slug="onboarding",
        tier=Tier.CRITICAL,
        business_process="Customer onboarding",
    )


def declare_post(client, **fields):
    data = {"title": "Signups fail at the Typeform step", "severity": "sev1", **fields}
    return client.post(URL, data)


@pytest.mark.parametrize("name", ["commander", "responder", "comms"])
def test_operators_may_open_the_declare_form(client_as, name):
    response = client_as(name).get(URL)
    assert response.status_code == 200
    assert 'name="title"' in response.text


@pytest.mark.parametrize("name", ["leader", "roster_admin", "outsider"])
def test_leadership_roster_admins_and_outsiders_are_refused_the_form(client_as, name):
    assert client_as(name).get(URL).status_code == 403


@pytest.mark.parametrize("name", ["leader", "roster_admin", "outsider"])
def test_they_cannot_declare_with_a_crafted_post_either(client_as, name):
    assert declare_post(client_as(name)).status_code == 403
    assert not Incident.objects.exists()


def test_each_severity_is_shown_with_its_definition_and_targets(client_as):
    text = client_as("commander").get(URL).text
    assert "Critical business process down or data at risk for many customers." in text
    assert "Cosmetic or internal issue, no customer impact." in text
    assert "Acknowledge 5 min · Triage 15 min · First decision 1 h · Updates every 30 min" in text
    assert "Acknowledge 1 h · Triage none · First decision none · Updates every none" in text
    for value in ("sev1", "sev2", "sev3", "sev4"):
        assert f'value="{value}"' in text


def test_a_service_in_the_query_string_is_ticked(client_as, onboarding):
    text = client_as("responder").get(URL, {"service": "onboarding"}).text
    assert f'value="{onboarding.pk}" id="id_services_0" checked' in text


def test_an_unknown_service_in_the_query_string_is_said_plainly(client_as, onboarding):
    response = client_as("responder").get(URL, {"service": "no-such-thing"})
    assert response.status_code == 200
    assert "There is no service “no-such-thing” in the catalog" in response.text
    assert "checked" not in response.text


def test_a_responder_declares_and_lands_on_the_incident_page(client_as, cast, onboarding):
    client = client_as("responder")
    response = declare_post(
        client, services=[onboarding.pk], summary="Typeform webhook returns 500"
    )
    incident = Incident.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("incidents:incident_detail", args=[incident.pk])
    assert incident.title == "Signups fail at the Typeform step"
    assert incident.severity == "sev1"
    assert incident.status == "triage"
    assert incident.summary == "Typeform webhook returns 500"
    assert incident.declared_by == cast["responder"]
    assert list(incident.services.all()) == [onboarding]
    assert not incident.is_drill
    event = TimelineEvent.objects.get(incident=incident)
    assert event.kind == "declared"
    assert event.actor_name == "Responder"
    page = client.get(response["Location"]).text
    assert f"Incident {incident.reference} declared at SEV1." in page


def test_the_incident_page_shows_the_derived_business_impact(client_as, onboarding):
    forms_service = make_service("Typeform intake", tier=Tier.LOW, business_process="Lead intake")
    ServiceDependency.objects.create(service=onboarding, depends_on=forms_service)
    client = client_as("commander")
    response = declare_post(client, services=[forms_service.pk], severity="sev2")
    page = client.get(response["Location"]).text
    assert "<li>Customer onboarding</li>" in page
    assert "<li>Lead intake</li>" in page
    assert "Customer onboarding flow</a> · Customer onboarding" in page


def test_a_drill_is_marked_as_one(client_as):
    client = client_as("commander")
    response = declare_post(client, severity="sev3", is_drill="on")
    incident = Incident.objects.get()
    assert incident.is_drill
    page = client.get(response["Location"]).text
    assert 'class="badge-drill"' in page
    assert f"Drill {incident.reference} declared" in page


@pytest.mark.parametrize(
    "fields, problem",
    [
        ({"title": "   "}, "This field is required."),
        ({"title": ""}, "This field is required."),
        ({"severity": "sev9"}, "Select a valid choice."),
        ({"severity": ""}, "This field is required."),
        ({"services": ["999999"]}, "Select a valid choice."),
        ({"services": ["not-a-number"]}, "is not a valid value"),
        ({"title": "x" * 201}, "at most 200 characters"),
    ],
)
def test_bad_input_is_answered_with_the_form_and_nothing_is_declared(client_as, fields, problem):
    response = declare_post(client_as("commander"), **fields)
    assert response.status_code == 400
    assert problem in response.text
    assert not Incident.objects.exists()


def test_communications_may_not_declare_and_are_told_who_may(client_as):
    response = declare_post(client_as("comms"), severity="sev2")
    assert response.status_code == 403
    assert "You may not declare at SEV2: that is for Incident commanders, Responders." in (
        response.text
    )
    assert not Incident.objects.exists()
    assert not TimelineEvent.objects.exists()


def test_the_form_says_beside_each_severity_who_may_declare_it(client_as):
    text = client_as("comms").get(URL).text
    assert "Declaring at SEV1 is for Incident commanders, Responders." in text
    assert "Declaring at SEV1 is for" not in client_as("responder").get(URL).text


def test_declaring_follows_the_decision_authority_per_severity(client_as):
    sev1 = DecisionAuthority.objects.get(severity="sev1", action="declare")
    sev1.portal_roles.set([Group.objects.get(name=roles.COMMANDERS)])
    responder = client_as("responder")
    refused = declare_post(responder, severity="sev1")
    assert refused.status_code == 403
    assert "You may not declare at SEV1: that is for Incident commanders." in refused.text
    assert not Incident.objects.exists()
    assert declare_post(responder, severity="sev2").status_code == 302
    assert declare_post(client_as("commander"), severity="sev1").status_code == 302
    assert sorted(Incident.objects.values_list("severity", flat=True)) == ["sev1", "sev2"]
