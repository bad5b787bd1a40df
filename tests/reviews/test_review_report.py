"""The review drafted on resolution carries the incident's real record: its timeline and
decisions as the workflows wrote them, who was reached, what was done, the breaches and the
times, and the business impact derived through the dependency graph."""

import pytest
import time_machine
from django.db import IntegrityError
from django.utils.html import escape

from incidents.models import Decision, Notification, TimelineEvent
from reviews.models import Review
from reviews.report import revive
from reviews.services import review_draft, reviews_draft_due
from tests.reviews.builders import at, make_org, script_incident


@pytest.fixture
def org(db):
    return make_org()


@pytest.fixture
def incident(org, cast):
    return script_incident(org, cast)


@pytest.fixture
def review(incident):
    with time_machine.travel(at(100), tick=False):
        reviews_draft_due()
    return Review.objects.get(incident=incident)


def test_the_report_timeline_is_the_incidents_timeline_event_for_event(incident, review):
    events = list(TimelineEvent.objects.filter(incident=incident).order_by("at", "id"))
    report = revive(review.generated)["timeline"]
    assert len(report) == len(events) >= 14
    for row, event in zip(report, events, strict=True):
        assert (row["at"], row["kind"], row["actor"], row["text"]) == (
            event.at, event.kind, event.actor_name, event.text
        )
    kinds = [row["kind"] for row in report]
    assert kinds[0] == "declared" and kinds[-1] == "status_change"
    assert {"escalation", "acknowledged", "role_change", "note", "decision", "task"} <= set(kinds)


def test_the_report_decisions_are_the_recorded_decisions_with_their_rationale(incident, review):
    [decision] = Decision.objects.filter(incident=incident)
    [row] = revive(review.generated)["decisions"]
    assert row["decision"] == decision.decision == "Pause the checkout sync scenario"
    assert row["rationale"] == decision.rationale
    assert row["options_considered"] == decision.options_considered
    assert row["decided_by"] == decision.decided_by_name == "Commander"
    assert row["decided_at"] == decision.decided_at == at(40)
    assert row["outcome"] == "No duplicate charge."


def test_the_report_says_who_was_reached_when_and_what_was_done(incident, review):
    report = revive(review.generated)
    paged = Notification.objects.filter(incident=incident).order_by("queued_at", "id")
    assert [(n["person"], n["queued_at"]) for n in report["notifications"]] == [
        (row.recipient.name, row.queued_at) for row in paged
    ]
    assert report["notifications"] and report["notifications"][0]["person"] == "Mia Manager"
    escalations = TimelineEvent.objects.filter(incident=incident, kind="escalation")
    assert [e["text"] for e in report["escalations"]] == [e.text for e in escalations]
    assert "Mia Manager" in report["escalations"][0]["people"]
    [task] = report["tasks"]
    assert (task["title"], task["assignee"], task["done_at"]) == (
        "Export failed orders", "Rita Responder", at(55)
    )
    assert [r["holder"] for r in report["roles"]] == ["Cole Commander", "Rita Responder"]


def test_the_report_has_severity_duration_breaches_and_mtta_mttr(review):
    report = revive(review.generated)
    assert report["incident"]["severity_label"] == "SEV2"
    assert report["incident"]["duration"] == "1 h 35 min"
    metrics = report["metrics"]
    assert metrics["mtta"] == 14 * 60 and metrics["mtta_label"] == "14 min"
    assert metrics["mttr"] == 95 * 60 and metrics["mttr_label"] == "1 h 35 min"
    assert metrics["time_to_triage_label"] == "20 min"
    # SEV2 must be acknowledged within 10 minutes; it took 14.
    [breach] = report["breaches"]
    assert (breach["target"], breach["state"], breach["late_by"]) == (
        "acknowledge", "met_late", "4 min"
    )


def test_the_report_derives_business_processes_and_customer_exposure(review):
    report = revive(review.generated)
    names = {row["name"]: row for row in report["services"]}
    assert names["Customer records"]["failed"] is True
    assert names["Checkout"]["failed"] is False  # it fails because it needs the records
    assert report["business_processes"] == ["Customer data", "Payments"]
    assert report["exposure"]["exposed"] is True
    assert report["exposure"]["public_services"] == ["Checkout"]
    assert "no public update was posted" in report["exposure"]["summary"]


def test_the_review_page_shows_the_real_timeline_and_decisions(client_as, incident, review):
    html = client_as("leader").get(review.get_absolute_url()).content.decode()
    for event in TimelineEvent.objects.filter(incident=incident):
        assert escape(event.text) in html
    assert "Retries pile up and would double-charge when the base returns" in html
    assert 'id="mtta">14 min<' in html and 'id="mttr">1 h 35 min<' in html
    assert "generated from the records" in html and "written by the reviewers" in html


def test_the_draft_is_due_by_severity_and_the_commander_reviews_it(cast, review):
    assert review.state == Review.State.DRAFT
    assert review.severity == "sev2"
    # Resolved Monday 2 March 2026; SEV2: ten working days later.
    assert review.due_on.isoformat() == "2026-03-16"
    assert [p.name for p in review.reviewers.all()] == ["Cole Commander"]


def test_the_task_drafts_one_review_per_resolved_incident_and_skips_drills(org, cast, incident):
    drill = script_incident(org, cast)
    drill.is_drill = True
    drill.save(update_fields=["is_drill"])
    open_one = script_incident(org, cast, resolve=False)
    with time_machine.travel(at(100), tick=False):
        assert reviews_draft_due()["drafted"] == 1
        assert reviews_draft_due()["drafted"] == 0
    assert Review.objects.filter(incident=incident).count() == 1
    assert not Review.objects.filter(incident__in=[drill, open_one]).exists()


def test_a_second_draft_of_the_same_incident_is_refused_by_the_database(incident, review):
    with pytest.raises(IntegrityError):
        review_draft(incident=incident)
