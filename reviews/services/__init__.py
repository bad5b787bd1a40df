"""Workflows of the reviews app. Views, tasks, admin actions and the demo call these."""

from .actions import (
    ACTION_OVERDUE,
    action_item_add,
    action_item_edit,
    action_item_set_status,
    fire_action_overdue,
)
from .feedback import feedback_give, feedback_invite, feedback_invite_due, participants
from .near_misses import near_miss_promote, near_miss_record, near_miss_triage
from .reviews import (
    REVIEW_DUE,
    ReviewNotAllowed,
    ReviewRefused,
    fire_review_due,
    review_content,
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

__all__ = [
    "ACTION_OVERDUE",
    "REVIEW_DUE",
    "ReviewNotAllowed",
    "ReviewRefused",
    "action_item_add",
    "action_item_edit",
    "action_item_set_status",
    "feedback_give",
    "feedback_invite",
    "feedback_invite_due",
    "fire_action_overdue",
    "fire_review_due",
    "near_miss_promote",
    "near_miss_record",
    "near_miss_triage",
    "participants",
    "review_content",
    "review_draft",
    "review_plan",
    "review_publish",
    "review_regenerate",
    "review_return",
    "review_revise",
    "review_submit",
    "review_update_sections",
    "reviews_draft_due",
]
