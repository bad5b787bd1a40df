"""Who may read and write reviews, action items, near misses and feedback.

- Reviews are read by anyone holding a portal role (leadership reads them all) and by the
  reviewers assigned to them; someone without a role is refused.
- A draft (or a review in review) is written only by its assigned reviewers and by
  incident commanders; commanders assign the reviewers. A published review is read-only:
  changing it means opening a new revision.
- An action item's status is moved by whoever may write its review, its owner, and the
  members of its owner team.
- Anyone with a portal role reads near misses and may report one; the service's owner
  team, roster admins and commanders triage it and promote it to a review.
- Feedback on an incident is given by the people invited to give it and by operators; the
  list of all feedback is read by anyone with a portal role.
- Distribution lists are kept by commanders and roster admins.
"""

from incidents.services import person_of
from portal import roles

REVIEW_READERS = roles.ALL_ROLES
REVIEW_CHIEFS = (roles.COMMANDERS,)
NEAR_MISS_TRIAGERS = (roles.COMMANDERS, roles.ROSTER_ADMINS)
DISTRIBUTION_KEEPERS = (roles.COMMANDERS, roles.ROSTER_ADMINS)


def is_reviewer(user, review) -> bool:
    person = person_of(user)
    return person is not None and review.reviewers.filter(pk=person.pk).exists()


def may_read_reviews(user) -> bool:
    """The review list and the cross-review action item list."""
    return roles.has_role(user, *REVIEW_READERS)


def may_read_review(user, review) -> bool:
    return may_read_reviews(user) or is_reviewer(user, review)


def may_write_review(user, review) -> bool:
    """Sections, action items, regeneration, submitting and publishing."""
    if review.is_published or user is None:
        return False
    return roles.has_role(user, *REVIEW_CHIEFS) or is_reviewer(user, review)


def may_plan_review(user, review) -> bool:
    """Assigning reviewers and moving the due date."""
    return not review.is_published and roles.has_role(user, *REVIEW_CHIEFS)


def may_revise_review(user, review) -> bool:
    """Opening the next revision of a published review."""
    return review.is_published and (
        roles.has_role(user, *REVIEW_CHIEFS) or is_reviewer(user, review)
    )


def may_update_action_item(user, item) -> bool:
    if roles.has_role(user, *REVIEW_CHIEFS) or is_reviewer(user, item.review):
        return True
    person = person_of(user)
    if person is None:
        return False
    if item.owner_person_id == person.pk:
        return True
    return item.owner_team_id is not None and person.teams.filter(pk=item.owner_team_id).exists()


def may_edit_action_item(user, item) -> bool:
    """Title, owner, due date and scores belong to the review: its writers change them."""
    return may_write_review(user, item.review)


def may_read_near_misses(user) -> bool:
    return roles.has_role(user, *REVIEW_READERS)


def may_read_near_miss(user, near_miss) -> bool:
    """Its owner team triages it, whether or not its members hold a portal role."""
    return may_read_near_misses(user) or may_triage_near_miss(user, near_miss)


def may_read_feedback(user) -> bool:
    return roles.has_role(user, *REVIEW_READERS)


def may_triage_near_miss(user, near_miss) -> bool:
    if roles.has_role(user, *NEAR_MISS_TRIAGERS):
        return True
    person = person_of(user)
    return person is not None and person.teams.filter(pk=near_miss.service.owner_team_id).exists()


def may_give_feedback(user, incident) -> bool:
    if roles.has_role(user, *roles.OPERATORS):
        return True
    person = person_of(user)
    return person is not None and incident.feedback_invitations.filter(person=person).exists()


def may_keep_distribution_lists(user) -> bool:
    return roles.has_role(user, *DISTRIBUTION_KEEPERS)
