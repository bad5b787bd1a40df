"""What the home page shows from reviews: the viewer's action items and review drafts.

Both link to pages their owner and reviewers may open with or without a portal role.
"""

from incidents.services import person_of
from portal.home import register_section

from .models import ActionItem, Review

OPEN_ACTION_STATES = (ActionItem.Status.OPEN, ActionItem.Status.IN_PROGRESS)


def my_action_items(user, now):
    person = person_of(user)
    if person is None:
        return None
    items = (
        ActionItem.objects.filter(owner_person=person, status__in=OPEN_ACTION_STATES)
        .select_related("review")
        .order_by("due_on", "id")
    )
    return {"items": list(items), "today": now.date()}


def my_review_drafts(user, now):
    person = person_of(user)
    if person is None:
        return None
    reviews = (
        Review.objects.filter(reviewers=person)
        .exclude(state=Review.State.PUBLISHED)
        .order_by("due_on", "id")
    )
    return {"reviews": list(reviews), "today": now.date()}


def register() -> None:
    register_section("my_action_items", my_action_items, "reviews/home/action_items.html", 50)
    register_section("my_review_drafts", my_review_drafts, "reviews/home/drafts.html", 60)
