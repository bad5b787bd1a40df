"""Draft → in review → published: what each step needs, the read-only published version,
regeneration that keeps what people wrote, revisions, the distribution lists and exports."""

from datetime import UTC, date, datetime

import pytest
import time_machine

from incidents.models import AudienceGroup, Incident, Notification, TimelineEvent
from incidents.services import incident_add_note, incident_declare, incident_set_status
from reviews.models import DistributionList, Review, ReviewVersion
from reviews.services import (
    ReviewRefused,
    action_item_add,
    review_draft,
    review_plan,
    review_publish,
    review_regenerate,
    review_return,
    review_revise,
    review_submit,
    review_update_sections,
    reviews_draft_due,
)
from tests.incidents.factories import make_person, make_service, make_team
from tests.reviews.builders import person_for, reach

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SECTIONS = {
    "narrative": "The records base stopped answering; checkout could not find customers.",
    "cause_class": "mixed",
    "cause_analysis": "A rotated API key, and a scenario with no alert on failures.",
    "contributing_factors": "No alert on the Zapier task history\nKey rotated without notice",
    "lessons_learned": "Alert on failed runs, not only on errors.",
}


@pytest.fixture
def service(db):
    return make_service("Records base", tier=1, business_process="Customer data")


@pytest.fixture
def incident(cast, service):
    with time_machine.travel(T0, tick=False):
        incident = incident_declare(
            title="Records base failing", severity="sev2", declared_by=cast["commander"],
            services=[service],
        )
    with time_machine.travel(T0.replace(minute=30), tick=False):
        incident_set_status(incident=incident, status="resolved", by=cast["commander"])
    return Incident.objects.get(pk=incident.pk)


@pytest.fixture
def review(incident, cast):
    review = review_draft(incident=incident)
    review_plan(review=review, by=cast["commander"], due_on=review.due_on,
                reviewers=[person_for(cast["responder"], "Rita Responder")])
    return review


def write_and_submit(review, user):
    review_update_sections(review=review, by=user, **SECTIONS)
    review_submit(review=review, by=user)


def test_regenerating_keeps_the_written_sections_and_picks_up_new_events(review, cast, incident):
    responder = cast["responder"]
    review_update_sections(review=review, by=responder, **SECTIONS)
    before = len(review.generated["timeline"])
    incident_add_note(incident=incident, text="Late finding: the key was rotated by IT.",
                      by=responder)
    review_regenerate(review=review, by=responder)
    review.refresh_from_db()
    assert len(review.generated["timeline"]) == before + 1
    assert review.generated["timeline"][-1]["text"] == "Late finding: the key was rotated by IT."
    for name, value in SECTIONS.items():
        assert getattr(review, name) == value


def test_the_periodic_task_refreshes_drafts_whose_incident_changed(review, cast, incident):
    review_update_sections(review=review, by=cast["commander"], **SECTIONS)
    incident_add_note(incident=incident, text="Vendor confirmed the outage.", by=cast["commander"])
    assert reviews_draft_due()["refreshed"] == 1
    review.refresh_from_db()
    assert review.generated["timeline"][-1]["text"] == "Vendor confirmed the outage."
    assert review.lessons_learned == SECTIONS["lessons_learned"]
    assert reviews_draft_due()["refreshed"] == 0


def test_sending_for_review_needs_a_reviewer(incident, cast):
    review = review_draft(incident=incident)
    review.reviewers.clear()
    with pytest.raises(ReviewRefused, match="reviewer"):
        review_submit(review=review, by=cast["commander"])


def test_publishing_needs_the_review_step_and_the_cause_and_lessons(review, cast):
    commander = cast["commander"]
    with pytest.raises(ReviewRefused, match="Send the review for review"):
        review_publish(review=review, by=commander)
    review_submit(review=review, by=commander)
    with pytest.raises(ReviewRefused) as refusal:
        review_publish(review=review, by=commander)
    assert "the cause classification, the cause analysis, the lessons learned" in str(refusal.value)
    review_return(review=review, by=commander)
    assert Review.objects.get(pk=review.pk).state == "draft"


def test_a_published_version_is_a_read_only_snapshot(review, cast):
    commander = cast["commander"]
    action_item_add(review=review, by=commander, title="Alert on failed runs", impact=5,
                    effort=1, due_on=date(2026, 3, 20), owner_team=make_team("Ops"))
    write_and_submit(review, commander)
    version = review_publish(review=review, by=commander)
    review.refresh_from_db()
    assert review.state == "published" and version.number == 1
    assert version.content["sections"]["lessons_learned"] == SECTIONS["lessons_learned"]
    assert version.content["action_items"][0]["quadrant"] == "quick_win"
    assert "## Lessons learned" in version.markdown
    with pytest.raises(TypeError):
        version.save()
    with pytest.raises(ReviewRefused, match="read-only"):
        review_update_sections(review=review, by=commander, lessons_learned="rewritten")
    with pytest.raises(ReviewRefused, match="read-only"):
        review_regenerate(review=review, by=commander)
    with pytest.raises(ReviewRefused, match="read-only"):
        action_item_add(review=review, by=commander, title="Late idea", impact=1, effort=1,
                        due_on=date(2026, 4, 1), owner_team=make_team("Late"))


def test_a_new_revision_is_a_draft_and_publishing_it_keeps_the_first_version(review, cast):
    commander = cast["commander"]
    write_and_submit(review, commander)
    first = review_publish(review=review, by=commander)
    review_revise(review=review, by=commander)
    review.refresh_from_db()
    assert (review.state, review.revision) == ("draft", 2)
    review_update_sections(review=review, by=commander, lessons_learned="Second thoughts.")
    review_submit(review=review, by=commander)
    second = review_publish(review=review, by=commander)
    assert second.number == 2
    first = ReviewVersion.objects.get(pk=first.pk)
    assert first.content["sections"]["lessons_learned"] == SECTIONS["lessons_learned"]
    assert second.content["sections"]["lessons_learned"] == "Second thoughts."


def test_publishing_tells_the_matching_distribution_lists(review, cast, service):
    lena = make_person("Lena Leader")
    reach(lena, "lena@example.org")
    tess = make_person("Tess Team")
    reach(tess, "tess@example.org")
    team = make_team("Finance", slug="finance")
    tess.teams.add(team)
    aud = make_person("Ada Audience")
    reach(aud, "ada@example.org")
    group = AudienceGroup.objects.create(name="Exec", slug="exec")
    group.members.add(aud)
    tier_one = DistributionList.objects.create(name="Tier 1 reviews", tier=1)
    tier_one.people.add(lena)
    tier_one.teams.add(team)
    everyone = DistributionList.objects.create(name="All reviews")
    everyone.audiences.add(group)
    other = DistributionList.objects.create(name="Other service")
    other.services.add(make_service("Unrelated"))
    other.people.add(make_person("Olga Other"))
    off = DistributionList.objects.create(name="Switched off", active=False)
    off.people.add(make_person("Otto Off"))

    write_and_submit(review, cast["commander"])
    version = review_publish(review=review, by=cast["commander"])
    rows = Notification.objects.filter(cause=f"review:{review.pk}:v1")
    assert sorted(r.recipient.name for r in rows) == ["Ada Audience", "Lena Leader", "Tess Team"]
    assert {r.urgency for r in rows} == {"routine"}
    assert version.notified == 3
    row = rows.get(recipient=lena)
    assert row.subject == f"[Update] Post-incident review published: {review.reference} " \
        "Records base failing"
    assert f"/reviews/{review.pk}/versions/1/" in row.body
    assert SECTIONS["lessons_learned"] in row.body


def test_the_published_page_markdown_and_print_page(client_as, review, cast):
    write_and_submit(review, cast["commander"])
    review_publish(review=review, by=cast["commander"])
    client = client_as("leader")
    page = client.get(review.get_absolute_url()).content.decode()
    assert 'id="readonly-note"' in page and "Published as version 1" in page
    assert "Write sections" not in page
    listing = client.get("/reviews/").content.decode()
    assert f'id="review-{review.pk}"' in listing.split('id="published"')[1]
    response = client.get(f"/reviews/{review.pk}/report.md")
    assert response["Content-Type"].startswith("text/markdown")
    assert f'filename="{review.reference}-v1.md"' in response["Content-Disposition"]
    text = response.content.decode()
    assert text.startswith(f"# {review.reference} Records base failing")
    for event in TimelineEvent.objects.filter(incident=review.incident):
        assert event.text in text
    assert "Classification: Mixed" in text
    assert "- Key rotated without notice" in text
    printed = client.get(f"/reviews/{review.pk}/print/").content.decode()
    assert "<svg" in printed and 'class="topbar"' not in printed
    assert "version 1, published" in printed
    version = client.get(f"/reviews/{review.pk}/versions/1/").content.decode()
    assert "exactly as it was published" in version


def test_a_draft_exports_its_current_state(client_as, review):
    response = client_as("commander").get(f"/reviews/{review.pk}/report.md")
    assert f'filename="{review.reference}-draft.md"' in response["Content-Disposition"]
    assert "_Not written._" in response.content.decode()
