"""Responder feedback: the people who took part are invited once, what they say is routed
to the owner team of what it is about, its manager is told, and the service page partial
shows it."""

from datetime import timedelta
from types import SimpleNamespace

import pytest
import time_machine
from django.template.loader import render_to_string

from incidents.models import Connector, Notification
from reviews.models import Feedback, FeedbackInvitation
from reviews.services import (
    ReviewNotAllowed,
    feedback_give,
    feedback_invite_due,
    participants,
    review_draft,
)
from reviews.tasks import draft_reviews
from tests.incidents.factories import make_team
from tests.reviews.builders import at, make_org, script_incident


@pytest.fixture
def org(db):
    return make_org()


@pytest.fixture
def incident(org, cast):
    return script_incident(org, cast)


def invite(minutes=100):
    with time_machine.travel(at(minutes), tick=False):
        return feedback_invite_due()


def test_seat_holders_and_the_people_paged_are_the_participants(incident):
    found = {person.name: why for person, why in participants(incident).values()}
    assert found == {
        "Cole Commander": "held the Incident commander seat",
        "Rita Responder": "held the Technical lead (no-code) seat",
        "Mia Manager": "were paged",
    }


def test_participants_are_invited_once_with_a_link(incident, org):
    assert invite() == 3
    assert invite(110) == 0
    invitations = {i.person.name: i for i in FeedbackInvitation.objects.all()}
    assert set(invitations) == {"Cole Commander", "Rita Responder", "Mia Manager"}
    # Only Mia has a routine contact method; the others find the link on the incident.
    assert invitations["Mia Manager"].messaged and not invitations["Cole Commander"].messaged
    [row] = Notification.objects.filter(cause=f"feedback-invite:{incident.pk}")
    assert row.recipient == org["manager"] and row.urgency == "routine"
    assert row.subject == f"[Update] How did {incident.reference} go? Your feedback"
    assert f"/reviews/incidents/{incident.pk}/feedback/" in row.body
    assert "You were paged during" in row.body


def test_the_periodic_task_invites_too_and_drills_are_included(incident):
    incident.is_drill = True
    incident.save(update_fields=["is_drill"])
    with time_machine.travel(at(100), tick=False):
        draft_reviews()
    assert FeedbackInvitation.objects.filter(incident=incident).count() == 3
    row = Notification.objects.get(cause=f"feedback-invite:{incident.pk}")
    assert row.subject.startswith("[DRILL] [Update] ")


def test_incidents_resolved_long_ago_are_not_asked_about(incident):
    assert invite(95 + int(timedelta(days=8).total_seconds() // 60)) == 0


def test_feedback_on_a_service_goes_to_its_owner_team_and_its_manager(client_as, cast, incident,
                                                                     org):
    invite()
    client = client_as("responder")  # Rita, invited for her seat
    page = client.get(f"/reviews/incidents/{incident.pk}/feedback/").content.decode()
    assert "because you held the Technical lead (no-code) seat" in page
    response = client.post(f"/reviews/incidents/{incident.pk}/feedback/", {
        "about": "service", "service": org["records"].pk, "rating": 2,
        "text": "The base has no status field to tell a timeout from a 503.",
    })
    assert response.status_code == 302
    feedback = Feedback.objects.get()
    assert (feedback.team, feedback.author_name, feedback.rating) == (
        org["team"], "Responder", 2
    )
    assert feedback.routing_note.endswith("Mia Manager was told.")
    [told] = Notification.objects.filter(cause=f"feedback:{feedback.pk}")
    assert told.recipient == org["manager"]
    assert told.subject == "[Update] Feedback for Payments team: Customer records rated 2/5"
    assert "/services/customer-records/" in told.body
    partial = render_to_string("reviews/service_feedback.html", {"service": org["records"]})
    assert "The base has no status field" in partial and "2/5" in partial
    listing = client.get("/reviews/feedback/?team=" + org["team"].slug).content.decode()
    assert f'id="feedback-{feedback.pk}"' in listing


def test_feedback_on_a_connector_goes_to_the_team_of_the_service_using_it(cast, incident, org):
    connector = Connector.objects.create(name="Airtable API", vendor="Airtable",
                                         platform="zapier")
    org["records"].connectors.add(connector)
    feedback = feedback_give(incident=incident, by=cast["commander"], about="connector",
                             connector=connector, rating=1, text="Timeouts hidden as 200s.")
    assert feedback.team == org["team"]
    assert "which uses Airtable API" in feedback.routing_note


def test_feedback_on_a_playbook_goes_to_the_playbooks_owner_team(cast, incident, org):
    playbook_model = Feedback._meta.get_field("playbook").related_model
    writers = make_team("Runbook writers", slug="runbook-writers")
    playbook = playbook_model.objects.create(title="Records base down", slug="records-down",
                                             owner_team=writers)
    playbook.services.add(org["records"])
    feedback = feedback_give(incident=incident, by=cast["commander"], about="playbook",
                             playbook=playbook, rating=5, text="Step 2 saved us.")
    assert feedback.team == writers
    assert feedback.routing_note.endswith("the team has no manager to tell.")
    partial = render_to_string("reviews/playbook_feedback.html", {"playbook": playbook})
    assert "Step 2 saved us." in partial


def test_tooling_feedback_goes_to_the_team_of_the_most_critical_service(cast, incident, org):
    feedback = feedback_give(incident=incident, by=cast["commander"], about="tooling",
                             tool_name="The board", rating=4, text="Clear enough.")
    assert feedback.team == org["team"]


def test_an_invited_person_without_a_role_may_give_feedback(client_as, cast, incident, org):
    url = f"/reviews/incidents/{incident.pk}/feedback/"
    assert client_as("outsider").get(url).status_code == 403
    mia = org["manager"]
    mia.user = cast["outsider"]
    mia.save()
    invite()
    assert client_as("outsider").get(url).status_code == 200


def test_a_leader_who_was_not_invited_is_refused(client_as, cast, incident):
    assert client_as("leader").get(f"/reviews/incidents/{incident.pk}/feedback/").status_code \
        == 403
    with pytest.raises(ReviewNotAllowed):
        feedback_give(incident=incident, by=cast["leader"], about="tooling", tool_name="x",
                      rating=3, text="y")


def test_the_form_asks_which_service_when_feedback_is_about_one(client_as, incident):
    response = client_as("commander").post(f"/reviews/incidents/{incident.pk}/feedback/", {
        "about": "service", "rating": 3, "text": "Fine.",
    })
    assert response.status_code == 400
    assert "Choose which one the feedback is about." in response.content.decode()
    assert not Feedback.objects.exists()


def review_panel(incident, user) -> str:
    return render_to_string(
        "reviews/incident_review.html",
        {"incident": incident, "request": SimpleNamespace(user=user)},
    )


def test_the_incident_page_partial_links_the_review_and_the_feedback_form(incident, cast):
    html = review_panel(incident, cast["commander"])
    assert f"/reviews/incidents/{incident.pk}/feedback/" in html
    assert "A review draft is made" in html
    review = review_draft(incident=incident)
    incident.refresh_from_db()
    html = review_panel(incident, cast["commander"])
    assert review.get_absolute_url() in html and review.reference in html


def test_the_feedback_link_is_left_out_for_whoever_may_not_give_it(incident, cast):
    link = f"/reviews/incidents/{incident.pk}/feedback/"
    assert link in review_panel(incident, cast["responder"])
    assert link not in review_panel(incident, cast["leader"])
