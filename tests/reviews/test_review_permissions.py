"""Who may do what with reviews: leadership reads them all, only the assigned reviewers and
commanders write a draft, published reports are read-only, and people without a portal
role are refused unless the review is theirs to write."""

from datetime import date

import pytest

from incidents.models import Incident
from reviews.models import ActionItem, Review
from reviews.services import (
    action_item_add,
    review_draft,
    review_publish,
    review_submit,
    review_update_sections,
)
from tests.incidents.factories import make_team
from tests.reviews.builders import person_for

WRITTEN = {
    "cause_class": "systemic",
    "cause_analysis": "A Zap filter dropped every order with a discount code.",
    "lessons_learned": "Test filters against real orders.",
}


@pytest.fixture
def review(cast):
    incident = Incident.objects.create(title="Orders dropped", severity="sev3", status="resolved")
    review = review_draft(incident=incident)
    review.reviewers.add(person_for(cast["responder"], "Rita Responder"))
    return review


@pytest.fixture
def published(review, cast):
    review_update_sections(review=review, by=cast["commander"], **WRITTEN)
    review_submit(review=review, by=cast["commander"])
    review_publish(review=review, by=cast["commander"])
    review.refresh_from_db()
    return review


def post(client, review, **data):
    return client.post(review.get_absolute_url(), data)


@pytest.mark.parametrize("name", ["leader", "commander", "responder", "comms", "roster_admin"])
def test_every_portal_role_reads_the_list_and_the_review(client_as, review, name):
    client = client_as(name)
    assert client.get("/reviews/").status_code == 200
    assert client.get(review.get_absolute_url()).status_code == 200
    assert client.get("/reviews/actions/").status_code == 200


@pytest.mark.parametrize(
    "path", ["/reviews/", "/reviews/{pk}/", "/reviews/{pk}/report.md", "/reviews/{pk}/print/",
             "/reviews/actions/", "/reviews/{pk}/edit/"],
)
def test_someone_without_a_role_is_refused(client_as, review, path):
    assert client_as("outsider").get(path.format(pk=review.pk)).status_code == 403


def test_the_anonymous_visitor_is_sent_to_log_in(client, review):
    response = client.get(review.get_absolute_url())
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_reviewer_without_a_role_reads_and_writes_only_their_review(client_as, cast, review):
    other = review_draft(
        incident=Incident.objects.create(title="Other", severity="sev4", status="resolved")
    )
    review.reviewers.add(person_for(cast["outsider"], "Otis Outsider"))
    client = client_as("outsider")
    listing = client.get("/reviews/").content.decode()
    assert review.reference in listing and other.reference not in listing
    assert client.get(other.get_absolute_url()).status_code == 403
    post(client, review, action="submit")
    assert Review.objects.get(pk=review.pk).state == "in_review"


def test_leadership_reads_but_does_not_write(client_as, review):
    client = client_as("leader")
    page = client.get(review.get_absolute_url()).content.decode()
    assert "Write sections" not in page and 'id="add-item"' not in page
    assert post(client, review, action="regenerate").status_code == 403
    assert post(client, review, action="submit").status_code == 403
    assert client.get(f"/reviews/{review.pk}/edit/").status_code == 403
    response = client.post(f"/reviews/{review.pk}/edit/", {
        "action": "sections", "sections-lessons_learned": "Leaders' view",
    })
    assert response.status_code == 403
    assert Review.objects.get(pk=review.pk).lessons_learned == ""


def test_a_responder_who_is_not_a_reviewer_cannot_write(client_as, cast, review):
    review.reviewers.clear()
    client = client_as("responder")
    assert post(client, review, action="submit").status_code == 403
    response = post(client, review, action="add_item", **{
        "item-title": "x", "item-owner_team": make_team().pk, "item-due_on": "2026-05-01",
        "item-impact": 3, "item-effort": 3,
    })
    assert response.status_code == 403
    assert not ActionItem.objects.exists()


def test_the_assigned_reviewer_writes_sections_and_adds_action_items(client_as, review):
    client = client_as("responder")
    team = make_team("Growth", slug="growth")
    response = client.post(f"/reviews/{review.pk}/edit/", {
        "action": "sections",
        "sections-narrative": "Orders with discounts vanished.",
        "sections-cause_class": "systemic",
        "sections-cause_analysis": "A filter step.",
        "sections-contributing_factors": "",
        "sections-lessons_learned": "Test with real data.",
    })
    assert response.status_code == 302
    review.refresh_from_db()
    assert (review.cause_class, review.lessons_learned) == ("systemic", "Test with real data.")
    response = post(client, review, action="add_item", **{
        "item-title": "Replay dropped orders", "item-owner_team": team.pk,
        "item-due_on": "2026-05-01", "item-impact": 5, "item-effort": 2,
    })
    assert response.status_code == 302
    item = ActionItem.objects.get()
    assert (item.title, item.quadrant.value, item.owner_team) == (
        "Replay dropped orders", "quick_win", team
    )


def test_only_commanders_assign_reviewers(client_as, cast, review):
    data = {"action": "plan", "plan-reviewers": [], "plan-due_on": "2026-06-01"}
    assert client_as("responder").post(f"/reviews/{review.pk}/edit/", data).status_code == 403
    response = client_as("commander").post(f"/reviews/{review.pk}/edit/", data)
    assert response.status_code == 302
    review.refresh_from_db()
    assert review.due_on == date(2026, 6, 1) and not review.reviewers.exists()


def test_a_published_report_is_read_only_even_for_its_writers(client_as, published):
    client = client_as("commander")
    response = client.get(f"/reviews/{published.pk}/edit/")
    assert response.status_code == 302
    response = client.post(f"/reviews/{published.pk}/edit/", {
        "action": "sections", "sections-lessons_learned": "Rewritten history",
        "sections-cause_class": "external", "sections-cause_analysis": "x",
    }, follow=True)
    assert "read-only" in response.content.decode()
    post(client, published, action="regenerate")
    published.refresh_from_db()
    assert published.lessons_learned == WRITTEN["lessons_learned"]
    assert published.state == "published"
    page = client.get(published.get_absolute_url()).content.decode()
    assert "Rebuild report" not in page and "Open a new revision" in page


def test_action_items_keep_moving_after_publication_by_their_owner(client_as, cast, review):
    owner = person_for(cast["outsider"], "Otis Owner")
    item = action_item_add(review=review, by=cast["commander"], title="Add a test order",
                           impact=2, effort=1, due_on=date(2026, 5, 1), owner_person=owner)
    review_update_sections(review=review, by=cast["commander"], **WRITTEN)
    review_submit(review=review, by=cast["commander"])
    review_publish(review=review, by=cast["commander"])
    client = client_as("outsider")
    response = client.post(f"/reviews/actions/{item.pk}/", {"action": "status",
                                                             "status": "in_progress"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "in_progress"
    response = client.post(f"/reviews/actions/{item.pk}/", {
        "action": "edit", "item-title": "Changed", "item-owner_person": owner.pk,
        "item-due_on": "2026-05-01", "item-impact": 2, "item-effort": 1,
    })
    assert response.status_code == 403
    assert client_as("leader").post(f"/reviews/actions/{item.pk}/", {
        "action": "status", "status": "done",
    }).status_code == 403


def test_dropping_an_item_needs_a_reason(client_as, cast, review):
    item = action_item_add(review=review, by=cast["commander"], title="Rewrite in code",
                           impact=2, effort=5, due_on=date(2026, 5, 1), owner_team=make_team())
    client = client_as("commander")
    response = post(client, review, action="item_status", item=item.pk, status="dropped")
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.status == "open"
    post(client, review, action="item_status", item=item.pk, status="dropped",
         note="Not worth it: the no-code flow is fine once alerted.")
    item.refresh_from_db()
    assert item.status == "dropped" and item.closed_at is not None
