"""The review workflow: draft → in review → published, and the reminders on the way.

A review is drafted for every resolved incident (not drills, not duplicates) by the
periodic ``reviews.tasks.draft_reviews``: incidents never call into this app. Its
generated report can be rebuilt at any time before publication; the sections people write
are separate fields and survive every rebuild.
"""

from datetime import date, datetime

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone

from incidents.models import Incident, IncidentRole, IncidentRoleKind, IncidentStatus
from incidents.services.authority import actor_name
from incidents.timers import cancel, schedule

from .. import permissions
from ..matrix import prioritised
from ..models import CauseClass, Review, ReviewVersion
from ..report import incident_report, near_miss_report, revive
from ..workdays import (
    at_nine,
    first_review_reminder,
    local_day,
    next_review_reminder,
    review_due_on,
    working_days_between,
)
from .messages import tell

REVIEW_DUE = "review_due"
State = Review.State
REVIEWED_STATUSES = (IncidentStatus.RESOLVED, IncidentStatus.CLOSED)


class ReviewRefused(ValueError):
    """A workflow step the review's state or content does not allow; the message says why."""


class ReviewNotAllowed(PermissionDenied):
    """The user may not do this to this review."""


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise ReviewNotAllowed(message)


def require_writer(user, review: Review) -> None:
    """A published review is read-only for everyone; a draft is for its writers. ``user``
    None is the portal itself (the demo data, a data import)."""
    if review.is_published:
        raise ReviewRefused("A published review is read-only: open a new revision to change it.")
    if user is not None:
        _require(
            permissions.may_write_review(user, review),
            "Only the review's assigned reviewers and incident commanders edit it.",
        )


def _touch(review: Review, now: datetime, **fields) -> None:
    fields["updated_at"] = now
    Review.objects.filter(pk=review.pk).update(**fields)
    for name, value in fields.items():
        setattr(review, name, value)


# --- drafting -------------------------------------------------------------------------------


def incidents_awaiting_review():
    """Resolved real incidents with no review yet (drills and duplicates need none)."""
    return Incident.objects.filter(
        status__in=REVIEWED_STATUSES, is_drill=False, duplicate_of=None, review__isnull=True
    )


@transaction.atomic
def review_draft(*, incident: Incident, now: datetime | None = None) -> Review:
    """1. build the report from the incident's records; 2. create the draft, due by
    severity counted in working days from the day it was resolved; 3. make the incident's
    commander its first reviewer; 4. plan the reminder."""
    now = now or timezone.now()
    since = local_day(incident.resolved_at or now)
    review = Review.objects.create(
        incident=incident,
        title=incident.title,
        severity=incident.severity,
        generated=incident_report(incident, now),
        generated_at=now,
        due_on=review_due_on(incident.severity, since),
        created_at=now,
        updated_at=now,
    )
    seat = IncidentRole.objects.filter(
        incident=incident, kind=IncidentRoleKind.COMMANDER
    ).first()
    if seat is not None:
        review.reviewers.add(seat.holder)
    schedule_review_reminder(review)
    return review


def reviews_draft_due(now: datetime | None = None) -> dict:
    """Draft a review for every resolved incident without one, and bring drafts whose
    incident changed since their report was built up to date. Safe beside another run:
    an incident drafted meanwhile is skipped."""
    now = now or timezone.now()
    drafted = 0
    for incident in incidents_awaiting_review().order_by("resolved_at", "pk"):
        try:
            review_draft(incident=incident, now=now)
        except IntegrityError:
            continue  # another worker drafted it first
        drafted += 1
    stale = Review.objects.filter(
        state=State.DRAFT, incident__isnull=False, incident__updated_at__gt=F("generated_at")
    ).select_related("incident")
    refreshed = 0
    for review in stale:
        review_regenerate(review=review, by=None, now=now)
        refreshed += 1
    return {"drafted": drafted, "refreshed": refreshed}


@transaction.atomic
def review_regenerate(*, review: Review, by, now: datetime | None = None) -> None:
    """Rebuild the generated report from the records; the written sections stay as they
    are. ``by`` None is the portal itself."""
    require_writer(by, review)
    now = now or timezone.now()
    _touch(review, now, generated=build_report(review, now), generated_at=now)


def build_report(review: Review, now: datetime) -> dict:
    if review.incident_id is not None:
        return incident_report(review.incident, now)
    near_miss = getattr(review, "near_miss", None)
    if near_miss is not None:
        return near_miss_report(near_miss, now)
    return review.generated


# --- the written sections and the plan ------------------------------------------------------

SECTIONS = ("narrative", "cause_class", "cause_analysis", "contributing_factors", "lessons_learned")


@transaction.atomic
def review_update_sections(*, review: Review, by, now: datetime | None = None, **sections):
    """Save the sections people write (any of ``SECTIONS``)."""
    require_writer(by, review)
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        raise TypeError(f"Not a written section: {', '.join(sorted(unknown))}.")
    cause = sections.get("cause_class")
    if cause and cause not in CauseClass.values:
        raise ReviewRefused(f"Unknown cause classification “{cause}”.")
    cleaned = {name: (value or "").strip() for name, value in sections.items()}
    _touch(review, now or timezone.now(), **cleaned)


@transaction.atomic
def review_plan(*, review: Review, by, reviewers, due_on: date, now=None) -> None:
    """Assign the reviewers and set the due date; the reminder follows the new date."""
    if review.is_published:
        raise ReviewRefused("A published review is read-only: open a new revision to change it.")
    _require(permissions.may_plan_review(by, review), "Only incident commanders plan reviews.")
    review.reviewers.set(list(reviewers))
    _touch(review, now or timezone.now(), due_on=due_on)
    schedule_review_reminder(review)


# --- the workflow ---------------------------------------------------------------------------


@transaction.atomic
def review_submit(*, review: Review, by, now: datetime | None = None) -> None:
    """Draft → in review: the writers think it is ready for the others to read."""
    require_writer(by, review)
    if review.state != State.DRAFT:
        raise ReviewRefused("Only a draft can be sent for review.")
    if not review.reviewers.exists():
        raise ReviewRefused("Assign at least one reviewer before sending it for review.")
    now = now or timezone.now()
    _touch(review, now, state=State.IN_REVIEW, submitted_at=now)


@transaction.atomic
def review_return(*, review: Review, by, now: datetime | None = None) -> None:
    """In review → draft: more work is needed."""
    require_writer(by, review)
    if review.state != State.IN_REVIEW:
        raise ReviewRefused("Only a review in review can go back to draft.")
    _touch(review, now or timezone.now(), state=State.DRAFT)


def missing_for_publication(review: Review) -> list[str]:
    missing = []
    if not review.cause_class:
        missing.append("the cause classification")
    if not review.cause_analysis.strip():
        missing.append("the cause analysis")
    if not review.lessons_learned.strip():
        missing.append("the lessons learned")
    return missing


@transaction.atomic
def review_publish(
    *, review: Review, by, now: datetime | None = None, notify: bool = True
) -> ReviewVersion:
    """In review → published.

    1. check the review says what caused it and what was learned;
    2. freeze what it says now into a version (read-only from then on);
    3. stop the due-date reminders;
    4. tell the distribution lists that match its services (routine, through the outbox).
    """
    require_writer(by, review)
    # Two reviewers pressing Publish at once: the row lock makes the second see it published.
    Review.objects.select_for_update().filter(pk=review.pk).values_list("pk").get()
    review.refresh_from_db()
    if review.state != State.IN_REVIEW:
        raise ReviewRefused("Send the review for review before publishing it.")
    missing = missing_for_publication(review)
    if missing:
        raise ReviewRefused("Before publishing, write " + ", ".join(missing) + ".")
    now = now or timezone.now()
    content = review_content(review, now)
    version = ReviewVersion.objects.create(
        review=review,
        number=review.revision,
        content=content,
        markdown=render_markdown(content),
        published_at=now,
        published_by=by,
        published_by_name=actor_name(by),
    )
    _touch(review, now, state=State.PUBLISHED, published_at=now)
    cancel(kinds=[REVIEW_DUE], review=review.pk)
    if notify:
        from .distribution import announce_publication

        told = announce_publication(version, now)
        ReviewVersion.objects.filter(pk=version.pk).update(notified=told)
        version.notified = told
    return version


@transaction.atomic
def review_revise(*, review: Review, by, now: datetime | None = None) -> None:
    """Published → draft of the next revision. The published versions stay as they were."""
    _require(permissions.may_revise_review(by, review), "Only its reviewers revise it.")
    if not review.is_published:
        raise ReviewRefused("Only a published review can be revised.")
    _touch(review, now or timezone.now(), state=State.DRAFT, revision=review.revision + 1)


# --- what a review says ---------------------------------------------------------------------


def review_content(review: Review, now: datetime | None = None) -> dict:
    """Everything the report shows, JSON-safe: the generated part, the written sections,
    the reviewers and the action items in the order to do them."""
    now = now or timezone.now()
    items = prioritised(review.action_items.select_related("owner_team", "owner_person"))
    incident = review.incident
    return {
        "reference": review.reference,
        "title": review.title,
        "severity": review.severity,
        "severity_label": review.get_severity_display(),
        "revision": review.revision,
        "subject": incident.reference if incident else getattr(
            getattr(review, "near_miss", None), "reference", ""
        ),
        "generated": review.generated,
        "generated_at": review.generated_at.isoformat() if review.generated_at else None,
        "sections": {
            "narrative": review.narrative,
            "cause_class": review.cause_class,
            "cause_class_label": review.get_cause_class_display() if review.cause_class else "",
            "cause_analysis": review.cause_analysis,
            "contributing_factors": review.contributing_factor_list,
            "lessons_learned": review.lessons_learned,
        },
        "reviewers": sorted(p.name for p in review.reviewers.all()),
        "due_on": review.due_on.isoformat(),
        "action_items": [
            {
                "number": number,
                "title": item.title,
                "description": item.description,
                "owner": item.owner_label,
                "due_on": item.due_on.isoformat(),
                "impact": item.impact,
                "effort": item.effort,
                "quadrant": item.quadrant.value,
                "quadrant_label": item.quadrant.label,
                "status": item.status,
                "status_label": item.get_status_display(),
            }
            for number, item in enumerate(items, start=1)
        ],
        "built_at": now.isoformat(),
    }


def render_markdown(content: dict) -> str:
    text = render_to_string("reviews/report.md", {"content": revive(content)})
    # Templates leave runs of blank lines where a block was empty: one is enough.
    lines, blank = [], False
    for line in text.splitlines():
        if not line.strip():
            if not blank and lines:
                lines.append("")
            blank = True
            continue
        lines.append(line.rstrip())
        blank = False
    return "\n".join(lines).strip() + "\n"


# --- reminders ------------------------------------------------------------------------------


def schedule_review_reminder(review: Review, on: date | None = None) -> None:
    """Replace the review's pending reminder with one at 09:00 on ``on`` (default: the
    working day before it is due)."""
    cancel(kinds=[REVIEW_DUE], review=review.pk)
    day = on or first_review_reminder(review.due_on)
    schedule(kind=REVIEW_DUE, due_at=at_nine(day), review=review.pk)


def fire_review_due(timer, now: datetime) -> None:
    """The timer handler: remind each reviewer (routine, through the outbox) that the
    review is due or overdue, then plan the next reminder while it stays unpublished."""
    review = Review.objects.filter(pk=timer.reference.get("review")).first()
    if review is None or review.is_published:
        return
    today = local_day(now)
    reviewers = list(review.reviewers.prefetch_related("notification_rules__contact_method"))
    late = working_days_between(review.due_on, today)
    if not reviewers:
        note = "Reminder due, but no reviewer is assigned."
    else:
        reached = [
            person.name
            for person in reviewers
            if tell(
                person=person, name="review-reminder",
                context={"review": review, "today": today, "late": late},
                url=review.get_absolute_url(), cause=f"timer:{timer.pk}", now=now, timer=timer,
            )
        ]
        if reached:
            note = "Reminded " + ", ".join(reached) + "."
        else:
            note = "No reviewer has a working contact method for routine messages."
    _touch(review, now, reminded_at=now, reminder_note=note[:300])
    schedule_review_reminder(review, on=next_review_reminder(today, review.due_on))
