"""Action items: adding them to a review, tracking their status, nagging when overdue."""

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from incidents.timers import cancel, schedule

from .. import permissions
from ..matrix import SCORES
from ..models import ActionItem, Review
from ..workdays import at_nine, first_overdue_reminder, local_day, next_overdue_reminder
from .messages import tell
from .reviews import ReviewNotAllowed, ReviewRefused, require_writer

ACTION_OVERDUE = "action_item_overdue"
Status = ActionItem.Status
EDITABLE = ("title", "description", "owner_team", "owner_person", "due_on", "impact", "effort")


def _check(fields: dict) -> None:
    if "title" in fields and not (fields["title"] or "").strip():
        raise ReviewRefused("An action item needs a title.")
    for score in ("impact", "effort"):
        if score in fields and fields[score] not in SCORES:
            raise ReviewRefused(f"Score the {score} from 1 to 5.")


@transaction.atomic
def action_item_add(
    *, review: Review, by, title: str, due_on: date, impact: int, effort: int,
    owner_team=None, owner_person=None, description: str = "", now: datetime | None = None,
) -> ActionItem:
    """Add an action item to a review being written, and plan its overdue reminder."""
    require_writer(by, review)
    _check({"title": title, "impact": impact, "effort": effort})
    if owner_team is None and owner_person is None:
        raise ReviewRefused("Give the action item an owner: a team, a person or both.")
    now = now or timezone.now()
    item = ActionItem.objects.create(
        review=review, title=title.strip()[:200], description=description.strip(),
        owner_team=owner_team, owner_person=owner_person, due_on=due_on, impact=impact,
        effort=effort, created_at=now, status_changed_at=now,
    )
    schedule_overdue_reminder(item)
    return item


@transaction.atomic
def action_item_edit(*, item: ActionItem, by, **fields) -> None:
    """Change what the item is, who owns it, when it is due or how it scores."""
    if not permissions.may_edit_action_item(by, item):
        if item.review.is_published:
            raise ReviewRefused("The review is published: open a new revision to change items.")
        raise ReviewNotAllowed("Only the review's reviewers and commanders change its items.")
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise TypeError(f"Not an editable field: {', '.join(sorted(unknown))}.")
    _check(fields)
    for name, value in fields.items():
        setattr(item, name, value.strip() if isinstance(value, str) else value)
    if item.owner_team is None and item.owner_person is None:
        raise ReviewRefused("Give the action item an owner: a team, a person or both.")
    item.save(update_fields=list(fields))
    schedule_overdue_reminder(item)


@transaction.atomic
def action_item_set_status(
    *, item: ActionItem, status: str, by, note: str = "", now: datetime | None = None
) -> None:
    """Move an item along: open, in progress, done or dropped. Allowed after publication
    too: the work goes on after the report is out."""
    if by is not None and not permissions.may_update_action_item(by, item):
        raise ReviewNotAllowed("Only its owners, the reviewers and commanders update this item.")
    if status not in Status.values:
        raise ReviewRefused(f"Unknown status “{status}”.")
    if status == Status.DROPPED and not note.strip():
        raise ReviewRefused("Say why the item is dropped.")
    now = now or timezone.now()
    item.status = status
    item.status_note = note.strip()[:300]
    item.status_changed_at = now
    item.closed_at = now if item.is_closed else None
    item.save(update_fields=["status", "status_note", "status_changed_at", "closed_at"])
    schedule_overdue_reminder(item)


def schedule_overdue_reminder(item: ActionItem, on: date | None = None) -> None:
    """Replace the item's pending reminder: a closed item gets none; an open one is nagged
    at 09:00 on ``on`` (default: the first working day after it is due)."""
    cancel(kinds=[ACTION_OVERDUE], action_item=item.pk)
    if item.is_closed:
        return
    day = on or first_overdue_reminder(item.due_on)
    schedule(kind=ACTION_OVERDUE, due_at=at_nine(day), action_item=item.pk)


def fire_action_overdue(timer, now: datetime) -> None:
    """The timer handler: tell the owner (the person, else the owner team's manager) that
    the item is overdue, then plan the next reminder while it stays open."""
    item = (
        ActionItem.objects.select_related("review", "owner_person", "owner_team__manager")
        .filter(pk=timer.reference.get("action_item"))
        .first()
    )
    if item is None or item.is_closed:
        return
    today = local_day(now)
    if not item.is_overdue(today):
        schedule_overdue_reminder(item)  # the due date moved meanwhile: re-plan
        return
    owner = item.owner_person or (item.owner_team.manager if item.owner_team else None)
    if owner is None:
        note = f"Overdue, but {item.owner_team} has no manager to remind."
    elif tell(
        person=owner, name="action-overdue",
        context={"item": item, "review": item.review, "days": (today - item.due_on).days},
        url=item.get_absolute_url(), cause=f"timer:{timer.pk}", now=now, timer=timer,
    ):
        note = f"Overdue reminder sent to {owner.name}."
    else:
        note = f"{owner.name} has no working contact method for routine messages."
    ActionItem.objects.filter(pk=item.pk).update(reminded_at=now, reminder_note=note[:300])
    schedule_overdue_reminder(item, on=next_overdue_reminder(today))
