"""Reminders run on durable timers: reviewers hear before a review is due and while it is
overdue; owners hear while an action item is overdue; finishing either stops them."""

from datetime import UTC, date, datetime

import pytest
import time_machine

from incidents.models import Incident, Notification, Timer
from incidents.timers import sweep_due
from reviews.services import (
    ACTION_OVERDUE,
    REVIEW_DUE,
    action_item_add,
    action_item_edit,
    action_item_set_status,
    review_draft,
    review_plan,
    review_publish,
    review_submit,
    review_update_sections,
)
from tests.incidents.factories import make_person, make_team
from tests.reviews.builders import reach

RESOLVED = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # Monday: a SEV1 is due Monday 9 March


def nine(day: int) -> datetime:
    return datetime(2026, 3, day, 9, 0, tzinfo=UTC)


def reminders(**filters):
    return Notification.objects.filter(reason="reminder", **filters).order_by("queued_at", "pk")


def sweep(moment: datetime) -> int:
    with time_machine.travel(moment, tick=False):
        return sweep_due(moment)


@pytest.fixture
def reviewer(db):
    person = make_person("Rhea Reviewer")
    reach(person, "rhea@example.org")
    return person


@pytest.fixture
def review(cast, reviewer):
    incident = Incident.objects.create(
        title="Checkout down", severity="sev1", status="resolved",
        declared_at=RESOLVED.replace(hour=14), resolved_at=RESOLVED,
    )
    with time_machine.travel(RESOLVED, tick=False):
        review = review_draft(incident=incident)
        review_plan(review=review, by=cast["commander"], reviewers=[reviewer],
                    due_on=review.due_on)
    return review


def test_reviewers_are_reminded_the_working_day_before_the_due_date(review, reviewer):
    assert review.due_on == date(2026, 3, 9)
    [timer] = Timer.objects.filter(kind=REVIEW_DUE, state="pending")
    assert timer.due_at == nine(6)  # Friday
    assert sweep(nine(6).replace(hour=8, minute=59)) == 0
    assert sweep(nine(6)) == 1
    [row] = reminders()
    assert (row.recipient, row.urgency, row.channel) == (reviewer, "routine", "email")
    assert row.subject.startswith("[Update] Review due Mon 9 Mar: ")
    assert f"/reviews/{review.pk}/" in row.body
    review.refresh_from_db()
    assert review.reminder_note == "Reminded Rhea Reviewer."


def test_reminders_go_on_on_the_due_day_and_every_other_working_day_while_overdue(review):
    for day in (6, 9, 11, 13):
        assert sweep(nine(day)) == 1
    subjects = [row.subject for row in reminders()]
    assert subjects[1].startswith("[Update] Review due today")
    assert subjects[2].startswith("[Update] Review overdue")
    assert "2 working days ago" in reminders()[2].body
    [pending] = Timer.objects.filter(kind=REVIEW_DUE, state="pending")
    assert pending.due_at == nine(17)


def test_publishing_stops_the_reminders(review, cast):
    commander = cast["commander"]
    review_update_sections(
        review=review, by=commander, cause_class="external",
        cause_analysis="The vendor's API broke.", lessons_learned="Watch the vendor.",
    )
    review_submit(review=review, by=commander)
    review_publish(review=review, by=commander)
    assert not Timer.objects.filter(kind=REVIEW_DUE, state="pending").exists()
    assert sweep(nine(20)) == 0
    assert not reminders().exists()


def test_moving_the_due_date_moves_the_reminder(review, cast, reviewer):
    review_plan(review=review, by=cast["commander"], reviewers=[reviewer], due_on=date(2026, 3, 20))
    [timer] = Timer.objects.filter(kind=REVIEW_DUE, state="pending")
    assert timer.due_at == nine(19)


# --- action items ---------------------------------------------------------------------------


@pytest.fixture
def owner(db):
    person = make_person("Omar Owner")
    reach(person, "omar@example.org")
    return person


def add_item(review, cast, **fields):
    fields.setdefault("title", "Alert on webhook failures")
    fields.setdefault("due_on", date(2026, 3, 13))  # a Friday
    fields.setdefault("impact", 4)
    fields.setdefault("effort", 2)
    with time_machine.travel(RESOLVED, tick=False):
        return action_item_add(review=review, by=cast["commander"], **fields)


def test_an_overdue_item_reminds_its_owner_the_next_working_day_then_weekly(review, cast, owner):
    item = add_item(review, cast, owner_person=owner)
    [timer] = Timer.objects.filter(kind=ACTION_OVERDUE, state="pending")
    assert timer.due_at == nine(16) and timer.reference == {"action_item": item.pk}
    assert sweep(nine(13)) == 1  # the review's own reminder; the item is due today
    assert not reminders(recipient=owner).exists()
    assert sweep(nine(16)) == 1
    [row] = reminders(recipient=owner)
    assert row.subject == "[Update] Action item overdue: Alert on webhook failures"
    assert "due on Friday 13 March 2026 (3 days ago)" in row.body
    assert f"/reviews/actions/{item.pk}/" in row.body
    item.refresh_from_db()
    assert item.reminder_note == "Overdue reminder sent to Omar Owner."
    [pending] = Timer.objects.filter(kind=ACTION_OVERDUE, state="pending")
    assert pending.due_at == nine(23)


def test_without_a_person_the_owner_teams_manager_is_reminded(review, cast):
    manager = make_person("Mona Manager")
    reach(manager, "mona@example.org")
    team = make_team("Finance ops", manager=manager)
    add_item(review, cast, owner_team=team)
    sweep(nine(16))
    assert reminders(recipient=manager).count() == 1


def test_a_done_item_is_not_nagged_and_reopening_plans_the_reminder_again(review, cast, owner):
    item = add_item(review, cast, owner_person=owner)
    action_item_set_status(item=item, status="done", by=cast["commander"])
    assert not Timer.objects.filter(kind=ACTION_OVERDUE, state="pending").exists()
    sweep(nine(16))
    assert not reminders(recipient=owner).exists()
    action_item_set_status(item=item, status="in_progress", by=cast["commander"])
    assert Timer.objects.filter(kind=ACTION_OVERDUE, state="pending").count() == 1


def test_a_later_due_date_moves_the_reminder(review, cast, owner):
    item = add_item(review, cast, owner_person=owner)
    action_item_edit(item=item, by=cast["commander"], due_on=date(2026, 3, 27))
    [timer] = Timer.objects.filter(kind=ACTION_OVERDUE, state="pending")
    assert timer.due_at == nine(30)
    sweep(nine(16))
    assert not reminders(recipient=owner).exists()
