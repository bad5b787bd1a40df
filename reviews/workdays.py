"""Working days, and the dates reviews and action items are due and reminded on.

Working days are Monday to Friday; public holidays are not known to the portal. Pure
functions of dates, apart from ``at_nine`` which places a date in the portal's time zone.
"""

from datetime import date, datetime, time, timedelta

from django.utils import timezone

from incidents.models import Severity

WEEKEND = (5, 6)  # Saturday, Sunday
# How many working days after resolution a review is due, by severity.
REVIEW_WORKING_DAYS = {
    Severity.SEV1: 5,
    Severity.SEV2: 10,
    Severity.SEV3: 20,
    Severity.SEV4: 20,
}
# While a review is overdue its reviewers are reminded every this many working days.
REVIEW_OVERDUE_EVERY = 2
# While an action item is overdue its owner is reminded every this many working days.
ACTION_OVERDUE_EVERY = 5
REMINDER_TIME = time(9, 0)


def is_working_day(day: date) -> bool:
    return day.weekday() not in WEEKEND


def add_working_days(start: date, days: int) -> date:
    """The working day ``days`` working days after ``start`` (``start`` itself not counted,
    so Friday + 1 is Monday and Saturday + 1 is Monday too). ``days`` of 0 is ``start``."""
    day, left = start, days
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day


def previous_working_day(day: date) -> date:
    day -= timedelta(days=1)
    while not is_working_day(day):
        day -= timedelta(days=1)
    return day


def working_days_between(start: date, end: date) -> int:
    """How many working days after ``start`` up to and including ``end`` (0 if not later)."""
    count, day = 0, start
    while day < end:
        day += timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def review_due_on(severity: str, since: date) -> date:
    """SEV1 within 5 working days of ``since``, SEV2 10, SEV3 and SEV4 20."""
    return add_working_days(since, REVIEW_WORKING_DAYS[Severity(severity)])


def first_review_reminder(due_on: date) -> date:
    """Reviewers hear first on the working day before the review is due."""
    return previous_working_day(due_on)


def next_review_reminder(reminded_on: date, due_on: date) -> date:
    """After a reminder on ``reminded_on``: the next working day up to the due date, then
    every ``REVIEW_OVERDUE_EVERY`` working days while the review stays unpublished."""
    if reminded_on < due_on:
        return add_working_days(reminded_on, 1)
    return add_working_days(reminded_on, REVIEW_OVERDUE_EVERY)


def first_overdue_reminder(due_on: date) -> date:
    """An action item due on ``due_on`` is overdue from the next day; its owner hears on
    the first working day after the due date."""
    return add_working_days(due_on, 1)


def next_overdue_reminder(reminded_on: date) -> date:
    return add_working_days(reminded_on, ACTION_OVERDUE_EVERY)


def at_nine(day: date) -> datetime:
    """09:00 on ``day`` in the portal's time zone: when reminders go out."""
    return timezone.make_aware(datetime.combine(day, REMINDER_TIME))


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()
