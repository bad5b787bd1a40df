"""``/ack/<token>/``: acknowledge from a notification, without logging in.

A GET only shows the incident and a button: mail scanners and chat previews fetch links,
and must never acknowledge anything. The POST acknowledges, once per link. A link that is
expired, altered or already used gets a page that says so and changes nothing; so does a
link for a notification that was never sent (a made-up cause): a link stands for one
existing notification of that person about that incident.
"""

from django.contrib.auth.decorators import login_not_required
from django.core import signing
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from ..models import Incident, Notification, Person
from ..notifications.ack import MAX_AGE_SECONDS, read_token
from ..services import incident_acknowledge

TEMPLATE = "incidents/ack.html"


@login_not_required
@never_cache
@require_http_methods(["GET", "HEAD", "POST"])
def ack(request, token: str):
    try:
        payload = read_token(token)
    except signing.SignatureExpired:
        hours = MAX_AGE_SECONDS // 3600
        return _page(request, "expired", status=410, hours=hours)
    except signing.BadSignature:
        return _page(request, "invalid", status=400)
    incident = Incident.objects.filter(pk=payload["i"]).first()
    person = Person.objects.filter(pk=payload["p"]).first()
    if incident is None or person is None:
        return _page(request, "invalid", status=400)
    cause = payload["c"]
    notifications = Notification.objects.filter(incident=incident, recipient=person, cause=cause)
    if not notifications.exists():
        return _page(request, "invalid", status=400)
    used = notifications.filter(acknowledged_at__isnull=False).order_by("acknowledged_at").first()
    facts = {"incident": incident, "person": person}
    if used is not None:
        return _page(request, "used", status=410, used_at=used.acknowledged_at, **facts)
    if not incident.is_open:
        return _page(request, "closed", status=410, **facts)
    # In a drill every stakeholder's confirmation is measured, not only the first one.
    if incident.acknowledged_at is not None and not incident.is_drill:
        return _page(request, "already", **facts)
    if request.method != "POST":
        return _page(request, "confirm", **facts)
    now = timezone.now()
    done = incident_acknowledge(incident=incident, by=None, name=f"{person.name} (link)", at=now)
    if not done and not incident.is_drill:
        incident.refresh_from_db()
        return _page(request, "already", **facts)
    notifications.filter(acknowledged_at__isnull=True).update(acknowledged_at=now)
    return _page(request, "done", acknowledged_at=now, **facts)


def _page(request, outcome: str, *, status: int = 200, **context):
    response = render(request, TEMPLATE, {"outcome": outcome, **context}, status=status)
    # The token is in the URL: never pass it on to another site, never let it be indexed.
    # ("no-referrer" would also make browsers send "Origin: null" with the form, which
    # Django's CSRF check rightly refuses.)
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response
