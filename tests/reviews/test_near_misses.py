"""Near misses: anyone logged in reports one; the service's owners (or roster admins and
commanders) triage it; one can become a review."""

import pytest

from reviews.models import NearMiss, Review
from reviews.services import (
    ReviewNotAllowed,
    ReviewRefused,
    near_miss_promote,
    near_miss_record,
    near_miss_triage,
)
from tests.incidents.factories import make_service, make_team
from tests.reviews.builders import person_for


@pytest.fixture
def service(db):
    return make_service("Invoice run", tier=2, business_process="Payments",
                        owner_team=make_team("Finance", slug="finance"), public=True)


@pytest.fixture
def near_miss(service, cast):
    return near_miss_record(
        service=service, by=cast["outsider"],
        what_happened="The Make scenario almost sent every invoice twice.\nA filter caught it.",
        potential_impact="Every customer billed twice.", potential_severity="sev2",
    )


def test_anyone_with_a_portal_role_reports_a_near_miss(client_as, service):
    client = client_as("roster_admin")
    assert client.get("/near-misses/").status_code == 200
    response = client.post("/near-misses/", {
        "service": service.pk, "what_happened": "A webhook secret nearly expired.",
        "potential_impact": "Payments unrecorded for hours.", "potential_severity": "sev2",
    })
    near_miss = NearMiss.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/near-misses/{near_miss.pk}/"
    assert (near_miss.reporter_name, near_miss.state) == ("Roster Admin", "new")
    listing = client.get("/near-misses/").content.decode()
    assert f'id="near-miss-{near_miss.pk}"' in listing and "1 to triage" in listing


def test_an_incomplete_report_is_refused_with_the_form_again(client_as, service):
    response = client_as("responder").post("/near-misses/", {"service": service.pk})
    assert response.status_code == 400
    assert not NearMiss.objects.exists()


def test_a_login_without_a_portal_role_neither_reads_nor_reports(client_as, near_miss, service):
    client = client_as("outsider")
    assert client.get("/near-misses/").status_code == 403
    assert client.get(near_miss.get_absolute_url()).status_code == 403
    response = client.post("/near-misses/", {
        "service": service.pk, "what_happened": "x", "potential_impact": "y",
        "potential_severity": "sev2",
    })
    assert response.status_code == 403 and NearMiss.objects.count() == 1


def test_the_anonymous_visitor_cannot_report(client, service):
    response = client.post("/near-misses/", {"service": service.pk, "what_happened": "x",
                                             "potential_impact": "y"})
    assert response.status_code == 302 and not NearMiss.objects.exists()


def test_a_member_of_the_owner_team_triages(client_as, cast, near_miss, service):
    member = person_for(cast["outsider"], "Fay Finance")
    member.teams.add(service.owner_team)
    response = client_as("outsider").post(near_miss.get_absolute_url(), {
        "action": "triage", "state": "accepted", "note": "Worth a look.",
    })
    assert response.status_code == 302
    near_miss.refresh_from_db()
    assert (near_miss.state, near_miss.triaged_by_name) == ("accepted", "Outsider")


@pytest.mark.parametrize("name", ["leader", "responder", "outsider"])
def test_people_outside_the_owner_team_cannot_triage(client_as, near_miss, name):
    client = client_as(name)
    page = client.get(near_miss.get_absolute_url()).content.decode()
    assert 'id="triage-form"' not in page
    client.post(near_miss.get_absolute_url(), {"action": "triage", "state": "dismissed",
                                               "note": "no"})
    near_miss.refresh_from_db()
    assert near_miss.state == "new"


def test_roster_admins_and_commanders_triage(cast, near_miss):
    near_miss_triage(near_miss=near_miss, by=cast["roster_admin"], state="accepted")
    with pytest.raises(ReviewRefused, match="why"):
        near_miss_triage(near_miss=near_miss, by=cast["commander"], state="dismissed")
    near_miss_triage(near_miss=near_miss, by=cast["commander"], state="dismissed",
                     note="Caught by design.")
    assert NearMiss.objects.get(pk=near_miss.pk).state == "dismissed"
    with pytest.raises(ReviewNotAllowed):
        near_miss_triage(near_miss=near_miss, by=cast["leader"], state="accepted")


def test_promoting_opens_a_review_of_the_near_miss(client_as, cast, near_miss):
    person_for(cast["commander"], "Cole Commander")
    response = client_as("commander").post(near_miss.get_absolute_url(), {
        "action": "promote", "severity": "sev2",
    })
    review = Review.objects.get()
    assert response.status_code == 302 and response["Location"] == review.get_absolute_url()
    near_miss.refresh_from_db()
    assert (near_miss.state, near_miss.review) == ("promoted", review)
    assert review.incident is None and review.severity == "sev2"
    assert review.title == "Near miss: The Make scenario almost sent every invoice twice."
    assert [p.name for p in review.reviewers.all()] == ["Cole Commander"]
    report = review.generated
    assert report["kind"] == "near_miss"
    assert report["near_miss"]["potential_impact"] == "Every customer billed twice."
    assert report["exposure"]["public_services"] == ["Invoice run"]
    page = client_as("leader").get(review.get_absolute_url()).content.decode()
    assert "What almost happened" in page and near_miss.reference in page
    with pytest.raises(ReviewRefused, match="already"):
        near_miss_promote(near_miss=near_miss, by=cast["commander"])


def test_a_dismissed_near_miss_is_not_promoted(cast, near_miss):
    near_miss_triage(near_miss=near_miss, by=cast["commander"], state="dismissed", note="Noise.")
    with pytest.raises(ReviewRefused, match="dismissed"):
        near_miss_promote(near_miss=near_miss, by=cast["commander"])
