"""What a throttled login sees: the login page again, saying when to try again (429).

django-axes counts failed logins per (username, client address) in the database and, past
``AXES_FAILURE_LIMIT``, refuses that pair for ``AXES_COOLOFF_TIME`` whatever the password;
this module only shapes its answer (``AXES_LOCKOUT_CALLABLE``).
"""

import math

from axes.helpers import get_client_username, get_cool_off
from axes.models import AccessAttempt
from django.contrib.auth.forms import AuthenticationForm
from django.db.models import Max
from django.shortcuts import render
from django.utils import timezone


def lockout_response(request, original_response=None, credentials=None):
    username = get_client_username(request, credentials) or ""
    until = cool_off_ends(request, username)
    wait = max(1, math.ceil((until - timezone.now()).total_seconds() / 60))
    local = timezone.localtime(until)
    message = (
        f"Too many failed logins for this username from your address. Try again after "
        f"{local:%H:%M} ({local.tzname()}), in {wait} minute{'s' if wait != 1 else ''}. "
        "Logins from other addresses are not held back, and a roster admin can lift this sooner."
    )
    response = render(
        request,
        "registration/login.html",
        {
            "form": AuthenticationForm(request, initial={"username": username}),
            "next": request.POST.get("next", ""),
            "login_throttled": message,
        },
        status=429,
    )
    response["Retry-After"] = str(wait * 60)
    return response


def cool_off_ends(request, username: str):
    """The end of the cool-off: counted from the failure that reached the limit (tries
    during the cool-off are not recorded, see the settings)."""
    last = AccessAttempt.objects.filter(
        username=username, ip_address=getattr(request, "axes_ip_address", None)
    ).aggregate(last=Max("attempt_time"))["last"]
    return (last or timezone.now()) + get_cool_off(request)
