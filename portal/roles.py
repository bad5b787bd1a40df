"""Portal roles: Django groups, and the checks views use to require them.

A *portal role* is what a person may do anywhere in the portal; an *incident role*
(commander of INC-12, …) is a seat on one incident and lives in the incidents app.
"""

from functools import wraps

from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied

LEADERSHIP = "Leadership"
COMMANDERS = "Incident commanders"
RESPONDERS = "Responders"
COMMUNICATIONS = "Communications"
ROSTER_ADMINS = "Roster admins"

ALL_ROLES = (LEADERSHIP, COMMANDERS, RESPONDERS, COMMUNICATIONS, ROSTER_ADMINS)
# Everyone who takes part in running incidents, as opposed to reading about them.
OPERATORS = (COMMANDERS, RESPONDERS, COMMUNICATIONS)


def user_roles(user) -> frozenset[str]:
    """The portal roles of ``user``; a superuser holds all of them. Cached on the user."""
    if not user.is_authenticated or not user.is_active:
        return frozenset()
    cached = getattr(user, "_portal_roles", None)
    if cached is None:
        if user.is_superuser:
            cached = frozenset(ALL_ROLES)
        else:
            cached = frozenset(user.groups.values_list("name", flat=True))
        user._portal_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    """True when ``user`` holds any of ``roles``."""
    return not user_roles(user).isdisjoint(roles)


def holders(role: str) -> list[str]:
    """The names of the active users who hold ``role`` (superusers aside), for a page that
    says whom to ask."""
    users = get_user_model().objects.filter(groups__name=role, is_active=True)
    return sorted(user.get_full_name() or user.get_username() for user in users.distinct())


def role_required(*roles: str):
    """View decorator: login first (redirect), then any of ``roles`` (403 otherwise)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not has_role(request.user, *roles):
                raise PermissionDenied("Your portal role does not allow this page.")
            return view(request, *args, **kwargs)

        return wrapped

    return decorator
