from django.utils.functional import SimpleLazyObject

from . import health
from .navigation import actions_for, navigation_for


def portal(request):
    """Navigation and the stale-sweep banner, computed only if a template reads them.

    Lazy so that partials polled every few seconds, which never show either, pay no query.
    """
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "nav_entries": SimpleLazyObject(lambda: navigation_for(user)),
        "header_actions": SimpleLazyObject(lambda: actions_for(user)),
        "escalations_stalled": SimpleLazyObject(
            lambda: health.sweep_is_stale(health.sweep_age())
        ),
    }
