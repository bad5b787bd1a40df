"""Idle expiry of sessions: a login left unused for ``SESSION_IDLE_TIMEOUT_MINUTES`` ends.

Every request of the session counts as use, the board's and the dashboard's htmx polls
included, so a wall screen that polls every few seconds stays logged in while a laptop
left shut overnight does not. The last use is kept in the session itself; it is written at
most once per ``TOUCH_EVERY_SECONDS``, not on every poll (a session save is a database
write).
"""

import time
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django_htmx.http import HttpResponseClientRedirect

LAST_USE = "portal_last_use"
TOUCH_EVERY_SECONDS = 60


class IdleSessionMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timeout = settings.SESSION_IDLE_TIMEOUT_MINUTES * 60
        if timeout > 0 and request.user.is_authenticated and _expired(request, timeout):
            logout(request)
            minutes = settings.SESSION_IDLE_TIMEOUT_MINUTES
            messages.info(request, f"You were logged out after {minutes} minutes without activity.")
            if request.headers.get("HX-Request") == "true":
                # A poll from a screen that slept: the whole page goes to the login form,
                # instead of htmx swapping the login page into a panel.
                page = urlsplit(request.headers.get("HX-Current-URL", "")).path or "/"
                return HttpResponseClientRedirect(redirect_to_login(page).url)
            # Otherwise the request goes on anonymous: a page sends it to log in.
        return self.get_response(request)


def _expired(request, timeout: int) -> bool:
    """True when the session has been unused past ``timeout``; otherwise note this use."""
    now = time.time()
    last_use = request.session.get(LAST_USE)
    known = isinstance(last_use, int | float)
    if known and now - last_use > timeout:
        return True
    if not known or now - last_use >= TOUCH_EVERY_SECONDS:
        request.session[LAST_USE] = int(now)
    return False
