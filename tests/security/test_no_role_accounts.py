"""Finding 12: a login with no portal role reads nothing of the organisation — not who is on
call and their numbers, not people's e-mail addresses, not feedback or near misses. Pages
about oneself (the profile and its contact methods) need a linked roster person instead of
a role; everything else needs a role. The home page says so, and whom to ask."""

import pytest

from incidents.models import ContactMethod
from incidents.services import incident_declare
from portal.navigation import navigation_for
from reviews.services import feedback_give, near_miss_record
from tests.incidents.factories import make_person
from tests.playbooks.drill_setup import build_org

PHONE = "+447700900123"


@pytest.fixture
def org(cast):
    """A tier-1 service on call, its people reachable by e-mail (and its on-call by phone),
    some feedback and a near miss; the outsider is on the roster but holds no role."""
    org = build_org()
    ContactMethod.objects.create(person=org.olu, kind="sms", address=PHONE)
    make_person("Otto Outsider", user=cast["outsider"], email="otto@example.org")
    incident = incident_declare(
        title="Checkout failing", severity="sev2", declared_by=cast["commander"],
        services=[org.service],
    )
    feedback_give(
        incident=incident, by=cast["responder"], about="tooling", playbook=None, service=None,
        connector=None, tool_name="Zapier", rating=1, text="The task history hides retries.",
    )
    org.near_miss = near_miss_record(
        service=org.service, by=cast["responder"], what_happened="A webhook secret nearly expired.",
        potential_impact="Payments unrecorded.", potential_severity="sev2",
    )
    return org


def test_no_phone_numbers_or_addresses_of_who_is_on_call(client_as, org):
    client = client_as("outsider")
    for url in ("/oncall/", f"/services/{org.service.slug}/", "/services/"):
        response = client.get(url)
        page = response.content.decode()
        assert response.status_code == 403, url
        assert PHONE not in page and "olu@example.org" not in page and "priya@" not in page


def test_no_feedback_and_no_near_misses(client_as, org):
    client = client_as("outsider")
    feedback = client.get("/reviews/feedback/")
    assert feedback.status_code == 403
    assert "hides retries" not in feedback.content.decode()
    assert client.get("/near-misses/").status_code == 403
    detail = client.get(org.near_miss.get_absolute_url())
    assert detail.status_code == 403
    assert "webhook secret" not in detail.content.decode()


def test_no_playbooks_and_no_internal_update_subscriptions(client_as, org):
    client = client_as("outsider")
    assert client.get("/playbooks/").status_code == 403
    assert client.get("/updates/following/").status_code == 403


def test_the_home_page_says_there_is_no_role_yet_and_whom_to_ask(client_as, org):
    page = client_as("outsider").get("/").content.decode()
    assert "You have no portal role yet" in page
    assert "Roster Admin" in page  # the cast's roster admin, by name


def test_the_navigation_offers_only_what_opens(cast):
    labels = [entry["label"] for entry in navigation_for(cast["outsider"])]
    assert labels == ["Status"]


def test_the_own_profile_needs_a_linked_person_not_a_role(client_as, org):
    client = client_as("outsider")
    response = client.get("/profile/")
    assert response.status_code == 200
    assert "Otto Outsider" in response.content.decode()
    added = client.post("/profile/", {
        "action": "method_add", "method-new-kind": "email",
        "method-new-address": "otto.pager@example.org",
    })
    assert added.status_code == 302
    assert ContactMethod.objects.filter(address="otto.pager@example.org").exists()


def test_without_a_linked_person_the_profile_changes_nothing(client_as, cast, db):
    client = client_as("outsider")
    response = client.post("/profile/", {
        "action": "method_add", "method-new-kind": "webhook",
        "method-new-address": "https://hooks.example.org/x",
    })
    assert response.status_code == 200
    assert "not linked to a person on the roster" in response.content.decode()
    assert not ContactMethod.objects.exists()
