"""Publishing a status update: the five answers, who may post, the cadence it restarts, the
timeline, and who hears of it through the outbox."""

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.urls import reverse

from incidents.comms.distribute import update_distribute
from incidents.comms.publish import UpdateRefused, update_publish
from incidents.comms.render import Draft
from incidents.models import (
    AudienceGroup,
    Connector,
    DecisionAuthority,
    Incident,
    Notification,
    ServiceSubscription,
    StatusUpdate,
    TimelineEvent,
    Timer,
)
from incidents.services import NotAllowed, incident_assign_role, incident_declare, may
from portal import roles
from tests.incidents.factories import make_pageable, make_person, make_service

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
ANSWERS = {
    "what_happened": "Sign-ups stall at the verification step.",
    "current_impact": "A third of new customers cannot finish signing up.",
    "being_done": "Switching to the standby verification provider.",
    "responsible": "Cara Comms and Cole Commander",
    "expected_timeline": "Fixed within the hour.",
}




@pytest.fixture
def org(cast):
    comms = make_pageable(make_person("Cara Comms", user=cast["comms"]))
    commander = make_pageable(make_person("Cole Commander", user=cast["commander"]))
    responder = make_pageable(make_person("Rae Responder", user=cast["responder"]))
    leader = make_pageable(make_person("Lee Leader", user=cast["leader"]))
    follower = make_pageable(make_person("Fay Follower"))
    AudienceGroup.objects.get(slug="leadership").members.add(leader)
    signup = make_service("Sign-up flow", tier=1, public=True)
    signup.connectors.add(
        Connector.objects.create(name="Verify API (n8n)", vendor="Verify", platform="n8n")
    )
    ServiceSubscription.objects.create(person=follower, service=signup, audience="executive")
    with time_machine.travel(T0, tick=False):
        incident = incident_declare(
            title="Verification timeouts", severity="sev1", services=[signup],
            declared_by=cast["commander"],
        )
        incident_assign_role(
            incident=incident, kind="communications_lead", person=comms, by=cast["commander"]
        )
        incident_assign_role(
            incident=incident, kind="commander", person=commander, by=cast["commander"]
        )
    return {"incident": incident, "comms": comms, "commander": commander, "leader": leader,
            "responder": responder, "follower": follower, "signup": signup}


def draft(**changes):
    return Draft(**{**ANSWERS, **changes})


def publish(org, user, at=T0 + timedelta(minutes=10), **changes):
    with time_machine.travel(at, tick=False):
        return update_publish(incident=org["incident"], draft=draft(**changes), by=user, now=at)


# --- the five answers -----------------------------------------------------------------------


def test_an_update_missing_answers_is_refused_naming_each_missing_one(org, cast):
    with pytest.raises(UpdateRefused) as refused:
        publish(org, cast["comms"], being_done="", responsible="  ", expected_timeline="")
    message = str(refused.value)
    assert "what is being done" in message
    assert "who is responsible" in message
    assert "the expected timeline" in message
    assert "what happened" not in message
    assert not StatusUpdate.objects.exists()


def test_the_page_refuses_a_draft_with_missing_answers_and_keeps_what_was_typed(
    org, client_as
):
    client = client_as("comms")
    url = reverse("incidents:incident_updates", args=[org["incident"].pk])
    response = client.post(url, {
        "action": "publish", "draft-what_happened": "Sign-ups stall.",
        "draft-visibility": "internal",
    })
    assert response.status_code == 400
    page = response.content.decode()
    assert "Missing: the current impact, what is being done, who is responsible, the " \
        "expected timeline." in page
    assert "Sign-ups stall." in page
    assert not StatusUpdate.objects.exists()


# --- what publishing does -------------------------------------------------------------------


def test_an_update_is_a_timeline_event_and_restarts_the_update_clock(org, cast):
    at = T0 + timedelta(minutes=10)
    update = publish(org, cast["comms"], at=at)
    incident = Incident.objects.get(pk=org["incident"].pk)
    assert incident.last_update_at == at
    event = TimelineEvent.objects.get(kind=TimelineEvent.Kind.UPDATE_POSTED)
    assert event.details["update"] == update.pk
    assert event.actor == cast["comms"]
    assert "Internal update." in event.text
    # SEV1 cadence is 30 minutes, now counted from this update.
    pending = Timer.objects.get(
        kind="response_target", state="pending", reference__target="update"
    )
    assert pending.due_at == at + timedelta(minutes=30)
    assert update.next_update_at == at + timedelta(minutes=30)


def test_an_internal_update_is_worded_for_internal_audiences_only(org, cast):
    update = publish(org, cast["comms"])
    assert sorted(update.rendered) == ["executive", "technical"]


def test_a_public_update_is_worded_for_every_audience(org, cast):
    update = publish(org, cast["comms"], visibility="public", customer_wording="Sign-ups are slow.")
    assert sorted(update.rendered) == ["customer", "executive", "partner", "technical"]
    assert update.wording("customer", "status_page")["body"].startswith("Sign-ups are slow.")


def test_stakeholders_get_their_audiences_wording_through_the_outbox_once(org, cast):
    update = publish(org, cast["comms"])
    rows = Notification.objects.filter(cause=f"update:{update.pk}").select_related("recipient")
    by_person = {row.recipient.name: row for row in rows}
    # The seat holders, the service's follower and the leadership group named by the SEV1
    # tier-1 policy; not the author.
    assert set(by_person) == {"Cole Commander", "Fay Follower", "Lee Leader"}
    assert all(row.urgency == "routine" and row.reason == "update" for row in rows)
    assert "Technical detail" not in by_person["Lee Leader"].body
    assert "Business impact:" in by_person["Lee Leader"].body
    assert "Connectors" not in by_person["Cole Commander"].body
    assert "Verify API (n8n)" in by_person["Cole Commander"].body
    # A retried publication (the same cause) queues nothing more.
    with time_machine.travel(T0 + timedelta(minutes=11), tick=False):
        update_distribute(
            update, org["incident"], now=T0 + timedelta(minutes=11), exclude=org["comms"]
        )
    assert Notification.objects.filter(cause=f"update:{update.pk}").count() == len(rows)


# --- who may post ---------------------------------------------------------------------------


def test_a_responder_without_a_seat_may_not_post(org, cast):
    with pytest.raises(NotAllowed):
        publish(org, cast["responder"])


def test_a_responder_in_the_communications_lead_seat_may_post(org, cast):
    incident_assign_role(
        incident=org["incident"], kind="communications_lead", person=org["responder"],
        by=cast["commander"],
    )
    assert publish(org, cast["responder"], visibility="public").is_public


def test_the_communications_role_publishes_to_customers_without_a_seat(org, cast):
    incident_assign_role(
        incident=org["incident"], kind="communications_lead", person=org["responder"],
        by=cast["commander"],
    )
    # The comms user no longer holds the seat: the portal role is enough at every severity.
    for severity in ("sev1", "sev2", "sev3", "sev4"):
        assert may(cast["comms"], "publish_customers", severity)
    assert publish(org, cast["comms"], visibility="public").is_public


def _without_communications_at_sev1():
    authority = DecisionAuthority.objects.get(severity="sev1", action="publish_customers")
    authority.portal_roles.remove(Group.objects.get(name=roles.COMMUNICATIONS))


def test_without_the_right_the_form_offers_internal_only_and_says_who_publishes(
    org, cast, client_as
):
    incident_assign_role(
        incident=org["incident"], kind="communications_lead", person=org["responder"],
        by=cast["commander"],
    )
    _without_communications_at_sev1()
    client = client_as("comms")
    url = reverse("incidents:incident_updates", args=[org["incident"].pk])
    page = html.unescape(client.get(url).content.decode())
    assert "You may post internal updates only." in page
    assert "Publishing to customers at SEV1 is for Incident commanders, the incident's " \
        "communications lead, the incident's commander." in page
    assert 'value="public"' not in page and 'value="internal"' in page
    fields = {f"draft-{key}": value for key, value in ANSWERS.items()}
    response = client.post(url, {"action": "preview", **fields, "draft-visibility": "public"})
    assert response.status_code == 400
    assert "Select a valid choice" in response.content.decode()
    assert not StatusUpdate.objects.exists()


def test_with_the_right_the_form_offers_public(org, client_as):
    page = client_as("comms").get(
        reverse("incidents:incident_updates", args=[org["incident"].pk])
    ).content.decode()
    assert "You may publish this update to customers" in page
    assert 'value="public"' in page


def test_a_new_draft_starts_from_the_last_update(org, cast, client_as):
    publish(org, cast["comms"], visibility="public", customer_wording="Sign-ups are slow.",
            next_update_at=T0 + timedelta(minutes=40))
    page = client_as("comms").get(
        reverse("incidents:incident_updates", args=[org["incident"].pk])
    ).content.decode()
    assert "Filled in from the last update" in page
    for answer in ("Sign-ups stall at the verification step.", "Fixed within the hour."):
        assert f"{answer}</textarea>" in page
    assert "Sign-ups are slow.</textarea>" in page
    assert re.search(r'<input[^>]*value="public"[^>]*checked', page)
    assert 'name="draft-next_update_at" value=' not in page


def test_a_drill_never_goes_public(cast, org):
    with time_machine.travel(T0, tick=False):
        drill = incident_declare(
            title="Drill", severity="sev2", services=[org["signup"]], declared_by=None,
            is_drill=True,
        )
    with pytest.raises(UpdateRefused, match="drill"):
        update_publish(incident=drill, draft=draft(visibility="public"), by=cast["commander"])


@pytest.mark.parametrize("name", ["leader", "responder"])
def test_readers_and_seatless_responders_see_updates_but_cannot_post(org, client_as, name):
    client = client_as(name)
    url = reverse("incidents:incident_updates", args=[org["incident"].pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "Draft an update" not in page.content.decode()
    fields = {f"draft-{key}": value for key, value in ANSWERS.items()}
    response = client.post(url, {"action": "publish", **fields, "draft-visibility": "internal"})
    assert response.status_code == 403
    assert not StatusUpdate.objects.exists()


@pytest.mark.parametrize("name", ["outsider", "roster_admin"])
def test_people_outside_incident_work_cannot_open_the_updates_page(org, client_as, name):
    url = reverse("incidents:incident_updates", args=[org["incident"].pk])
    assert client_as(name).get(url).status_code == 403


def test_the_page_publishes_and_redirects_to_the_new_update(org, client_as):
    client = client_as("comms")
    url = reverse("incidents:incident_updates", args=[org["incident"].pk])
    fields = {f"draft-{key}": value for key, value in ANSWERS.items()}
    response = client.post(url, {"action": "publish", **fields, "draft-visibility": "public",
                                 "draft-customer_wording": "Sign-ups are slow right now."})
    update = StatusUpdate.objects.get()
    assert response.status_code == 302
    assert response.url == f"{url}#update-{update.pk}"
    assert update.is_public and update.posted_by_name == "Comms"
    page = client.get(url).content.decode()
    assert "Sign-ups are slow right now." in page
    assert "Update published on the status page and to stakeholders." in page
