"""/incidents/new/ declares once per form: the form's one-time token."""

import re

import pytest
from django.urls import reverse

from incidents.forms import new_declare_token
from incidents.models import Incident, TimelineEvent
from incidents.services import AlreadyDeclared, incident_declare
from incidents.services.lifecycle import _create_once

URL = reverse("incidents:incident_new")


def form_token(client) -> str:
    page = client.get(URL).text
    return re.search(r'name="token" value="([^"]+)"', page).group(1)


def test_the_form_carries_a_new_token_each_time_it_is_opened(client_as):
    client = client_as("commander")
    first, second = form_token(client), form_token(client)
    assert first != second
    assert len(first) >= 16


def test_the_same_form_posted_twice_declares_one_incident(client_as):
    client = client_as("commander")
    data = {"title": "Checkout Zap stopped", "severity": "sev2", "token": form_token(client)}
    first = client.post(URL, data)
    second = client.post(URL, data)
    incident = Incident.objects.get()
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"] == incident.get_absolute_url()
    assert TimelineEvent.objects.filter(kind="declared").count() == 1
    page = client.get(second["Location"]).text
    assert f"This form was already sent: {incident.reference} is the incident it declared." in page


def test_two_forms_declare_two_incidents(client_as):
    client = client_as("commander")
    for _ in range(2):
        data = {"title": "Checkout Zap stopped", "severity": "sev2", "token": form_token(client)}
        assert client.post(URL, data).status_code == 302
    assert Incident.objects.count() == 2


def test_the_unique_token_decides_even_when_the_look_up_missed(db):
    """Two posts that arrive together both miss the look-up before the insert: the unique
    column then turns the second insert into the first incident."""
    token = new_declare_token()
    first = incident_declare(title="Payments Zap down", severity="sev2", declared_by=None,
                             token=token)
    with pytest.raises(AlreadyDeclared) as repeat:
        _create_once(token, title="Payments Zap down", severity="sev2")
    assert repeat.value.incident == first
    assert Incident.objects.count() == 1


@pytest.mark.parametrize("token", ["short", "has spaces in it, sixteen+", "x" * 65, "é" * 20])
def test_a_damaged_token_is_refused_with_a_message(client_as, token):
    response = client_as("commander").post(
        URL, {"title": "Checkout Zap stopped", "severity": "sev2", "token": token}
    )
    assert response.status_code == 400
    assert "This form is damaged: open the declare page again." in response.text
    assert not Incident.objects.exists()
