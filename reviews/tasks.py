"""Celery tasks of the reviews app. Thin: they call service functions."""

from celery import shared_task
from django.utils import timezone

from .services import feedback_invite_due, reviews_draft_due


@shared_task(name="reviews.tasks.draft_reviews", ignore_result=True)
def draft_reviews():
    """Run from beat about once a minute (slow queue): drafts a review for every resolved
    incident without one, refreshes drafts whose incident changed, and invites the people
    who took part in recently resolved incidents and drills to give feedback."""
    now = timezone.now()
    reviews_draft_due(now)
    feedback_invite_due(now)
