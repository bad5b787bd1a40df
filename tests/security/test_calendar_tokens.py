"""Finding 6: a calendar feed token dies with its owner's login, and its owner can renew it."""

import pytest

from incidents.models import Person
from tests.incidents.factories import make_person, make_rotation, make_team


@pytest.fixture
def rota(cast):
    team = make_team("Payments")
    rita = make_person("Rita Responder", team=team, user=cast["responder"])
    make_rotation("Payments primary", people=[rita], team=team)
    return rita


def feed(client, token):
    return client.get("/oncall/payments-primary.ics", {"token": token})


def test_the_owners_token_opens_the_feed(client, rota):
    assert feed(client, rota.calendar_token).status_code == 200


def test_the_token_stops_when_the_login_is_deactivated(client, rota, cast):
    cast["responder"].is_active = False
    cast["responder"].save()
    assert feed(client, rota.calendar_token).status_code == 404


def test_the_token_stops_when_the_login_is_unlinked_or_deleted(client, rota, cast):
    cast["responder"].delete()  # the person stays on the roster, without a login
    assert Person.objects.get(pk=rota.pk).user is None
    assert feed(client, rota.calendar_token).status_code == 404


def test_a_person_never_given_a_login_has_no_working_token(client, db):
    team = make_team("Payments")
    ana = make_person("Ana Alvarez", team=team)
    make_rotation("Payments primary", people=[ana], team=team)
    assert feed(client, ana.calendar_token).status_code == 404


def test_the_owner_makes_a_new_key_from_their_profile(client_as, rota, client):
    page = client_as("responder").get("/profile/").content.decode()
    assert 'value="calendar_key_reset"' in page
    old = rota.calendar_token
    response = client.post("/profile/", {"action": "calendar_key_reset"}, follow=True)
    assert "New calendar key made" in response.content.decode()
    rota.refresh_from_db()
    assert rota.calendar_token != old
    assert rota.history.first().calendar_token == rota.calendar_token
    client.logout()
    assert feed(client, old).status_code == 404
    assert feed(client, rota.calendar_token).status_code == 200


def test_renewing_ones_key_leaves_everyone_elses(client_as, rota):
    other = make_person("Ben Brook")
    before = other.calendar_token
    client_as("responder").post("/profile/", {"action": "calendar_key_reset"})
    other.refresh_from_db()
    assert other.calendar_token == before
