"""Review due dates count working days from resolution; reminders follow working days."""

from datetime import date

import pytest

from reviews.workdays import (
    add_working_days,
    first_overdue_reminder,
    first_review_reminder,
    next_overdue_reminder,
    next_review_reminder,
    review_due_on,
    working_days_between,
)

MONDAY = date(2026, 3, 2)
FRIDAY = date(2026, 3, 6)
SATURDAY = date(2026, 3, 7)


@pytest.mark.parametrize(
    "severity, resolved, due",
    [
        ("sev1", MONDAY, date(2026, 3, 9)),  # five working days: the next Monday
        ("sev1", FRIDAY, date(2026, 3, 13)),
        ("sev1", SATURDAY, date(2026, 3, 13)),  # the weekend does not count
        ("sev2", MONDAY, date(2026, 3, 16)),
        ("sev3", MONDAY, date(2026, 3, 30)),
        ("sev4", FRIDAY, date(2026, 4, 3)),
    ],
)
def test_reviews_are_due_in_working_days_by_severity(severity, resolved, due):
    assert review_due_on(severity, resolved) == due
    assert due.weekday() < 5


def test_adding_working_days_skips_weekends():
    assert add_working_days(FRIDAY, 1) == date(2026, 3, 9)
    assert add_working_days(SATURDAY, 1) == date(2026, 3, 9)
    assert add_working_days(MONDAY, 0) == MONDAY
    assert working_days_between(FRIDAY, date(2026, 3, 10)) == 2


def test_reviewers_hear_the_day_before_on_the_day_then_every_other_working_day():
    due = date(2026, 3, 9)  # a Monday
    first = first_review_reminder(due)
    assert first == FRIDAY
    second = next_review_reminder(first, due)
    assert second == due
    assert next_review_reminder(second, due) == date(2026, 3, 11)


def test_owners_hear_the_working_day_after_an_item_is_due_then_weekly():
    assert first_overdue_reminder(FRIDAY) == date(2026, 3, 9)
    assert next_overdue_reminder(date(2026, 3, 9)) == date(2026, 3, 16)
