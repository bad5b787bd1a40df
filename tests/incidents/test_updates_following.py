"""/updates/following/: a person chooses the services whose updates they receive."""

from django.urls import reverse

from incidents.models import ServiceSubscription
from tests.incidents.factories import make_person, make_service

URL = "/updates/following/"



def test_the_url_is_stable():
    assert reverse("incidents:update_following") == URL


def test_a_person_follows_a_service_in_the_wording_they_choose_and_stops(cast, client_as):
    person = make_person("Lee Leader", user=cast["leader"])
    service = make_service("Sign-up flow", public=True)
    client = client_as("leader")
    response = client.post(URL, {"action": "follow", "follow-service": service.pk,
                                 "follow-audience": "technical"})
    assert response.status_code == 302
    follow = ServiceSubscription.objects.get(person=person, service=service)
    assert follow.audience == "technical"
    assert "Sign-up flow · Technical wording" in client.get(URL).content.decode()
    client.post(URL, {"action": "unfollow", "subscription": follow.pk})
    assert not ServiceSubscription.objects.exists()


def test_customer_wording_is_not_offered_to_people_inside(cast, client_as):
    make_person("Lee Leader", user=cast["leader"])
    service = make_service("Sign-up flow")
    response = client_as("leader").post(URL, {"action": "follow", "follow-service": service.pk,
                                              "follow-audience": "customer"})
    assert response.status_code == 400
    assert not ServiceSubscription.objects.exists()


def test_a_login_without_a_roster_person_is_told_and_cannot_follow(cast, client_as):
    service = make_service("Sign-up flow")
    client = client_as("responder")
    assert "not linked to a person" in client.get(URL).content.decode()
    response = client.post(URL, {"action": "follow", "follow-service": service.pk,
                                 "follow-audience": "executive"})
    assert response.status_code == 403


def test_a_roster_person_without_a_portal_role_cannot_follow_internal_updates(cast, client_as):
    service = make_service("Sign-up flow")
    make_person("Otto Outsider", user=cast["outsider"])
    client = client_as("outsider")
    assert client.get(URL).status_code == 403
    response = client.post(URL, {"action": "follow", "follow-service": service.pk,
                                 "follow-audience": "executive"})
    assert response.status_code == 403
    assert not ServiceSubscription.objects.exists()


def test_one_person_cannot_remove_another_persons_subscription(cast, client_as):
    make_person("Lee Leader", user=cast["leader"])
    other = make_person("Fay Follower")
    follow = ServiceSubscription.objects.create(person=other, service=make_service("X"))
    client_as("leader").post(URL, {"action": "unfollow", "subscription": follow.pk})
    assert ServiceSubscription.objects.filter(pk=follow.pk).exists()


def test_following_needs_a_login(client, db):
    assert client.get(URL).status_code == 302


def test_a_mangled_id_is_answered_without_an_error(cast, client_as):
    make_person("Lee Leader", user=cast["leader"])
    response = client_as("leader").post(URL, {"action": "unfollow", "subscription": "x1"})
    assert response.status_code == 302
    response = client_as("responder").post(
        reverse("incidents:maintenance"), {"action": "cancel", "window": "abc"}
    )
    assert response.status_code == 404
