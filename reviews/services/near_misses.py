"""Near misses: reported by anyone, triaged by the service's owners, promoted to a review."""

from datetime import datetime

from django.db import transaction
from django.utils import timezone

from incidents.models import Severity
from incidents.services import person_of
from incidents.services.authority import actor_name

from .. import permissions
from ..models import NearMiss, Review
from ..report import near_miss_report
from ..workdays import local_day, review_due_on
from .reviews import ReviewNotAllowed, ReviewRefused, schedule_review_reminder

State = NearMiss.State
TRIAGE_OUTCOMES = (State.ACCEPTED, State.DISMISSED)


def _require_triager(user, near_miss: NearMiss) -> None:
    if not permissions.may_triage_near_miss(user, near_miss):
        raise ReviewNotAllowed(
            "Only the service's owner team, roster admins and commanders triage near misses."
        )


@transaction.atomic
def near_miss_record(
    *, service, what_happened: str, potential_impact: str, by,
    potential_severity: str = Severity.SEV3, now: datetime | None = None,
) -> NearMiss:
    """Anyone logged in reports what almost went wrong."""
    if by is None or not by.is_authenticated:
        raise ReviewNotAllowed("Log in to report a near miss.")
    if not what_happened.strip() or not potential_impact.strip():
        raise ReviewRefused("Say what almost happened and what it would have hit.")
    return NearMiss.objects.create(
        service=service,
        what_happened=what_happened.strip(),
        potential_impact=potential_impact.strip(),
        potential_severity=potential_severity,
        reported_by=by,
        reporter_name=actor_name(by),
        reported_at=now or timezone.now(),
    )


@transaction.atomic
def near_miss_triage(
    *, near_miss: NearMiss, state: str, by, note: str = "", now: datetime | None = None
) -> None:
    """The owners decide: worth learning from (accepted) or not (dismissed, say why)."""
    _require_triager(by, near_miss)
    if near_miss.state == State.PROMOTED:
        raise ReviewRefused("This near miss is already being reviewed.")
    if state not in TRIAGE_OUTCOMES:
        raise ReviewRefused("Accept or dismiss the near miss.")
    if state == State.DISMISSED and not note.strip():
        raise ReviewRefused("Say why it is dismissed.")
    near_miss.state = state
    near_miss.triage_note = note.strip()
    near_miss.triaged_by_name = actor_name(by)
    near_miss.triaged_at = now or timezone.now()
    near_miss.save(update_fields=["state", "triage_note", "triaged_by_name", "triaged_at"])


@transaction.atomic
def near_miss_promote(
    *, near_miss: NearMiss, by, severity: str | None = None, now: datetime | None = None
) -> Review:
    """1. open a review of the near miss, at its potential severity unless told otherwise,
    due by that severity from today; 2. the person promoting it is its first reviewer;
    3. mark the near miss promoted."""
    _require_triager(by, near_miss)
    NearMiss.objects.select_for_update().filter(pk=near_miss.pk).values_list("pk").get()
    near_miss.refresh_from_db()
    if near_miss.review_id is not None:
        raise ReviewRefused("This near miss already has a review.")
    if near_miss.state == State.DISMISSED:
        raise ReviewRefused("A dismissed near miss cannot be promoted: accept it first.")
    now = now or timezone.now()
    severity = severity or near_miss.potential_severity
    if not near_miss.triaged_at:
        near_miss.triaged_by_name, near_miss.triaged_at = actor_name(by), now
    review = Review.objects.create(
        title=f"Near miss: {near_miss.headline}"[:200],
        severity=severity,
        generated=near_miss_report(near_miss, now),
        generated_at=now,
        due_on=review_due_on(severity, local_day(now)),
        created_at=now,
        updated_at=now,
    )
    person = person_of(by)
    if person is not None:
        review.reviewers.add(person)
    near_miss.state, near_miss.review = State.PROMOTED, review
    near_miss.save(update_fields=["state", "review", "triaged_by_name", "triaged_at"])
    schedule_review_reminder(review)
    return review
