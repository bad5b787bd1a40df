"""What the viewer may open of ``reviews``, for pages of ``incidents`` that link here.

The incident page cannot ask ``reviews`` itself (``incidents`` never imports it), so the
links it includes from this app ask here; the pages they lead to check again in their views.
"""

from django import template

from .. import permissions

register = template.Library()


@register.filter
def may_give_feedback_on(user, incident) -> bool:
    return permissions.may_give_feedback(user, incident)


@register.filter
def may_read_review(user, review) -> bool:
    return permissions.may_read_review(user, review)
