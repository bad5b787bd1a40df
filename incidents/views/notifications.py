"""Notification pages: an incident's delivery log, one notification's story, the channel
health summary for roster admins, and "send me a test notification" from the profile.

Addresses are masked on these pages for everyone but roster admins, and no page shows an
ack link (see ``notifications.masking``)."""

from datetime import timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from portal import roles, throttle
from portal.roles import role_required

from ..models import ContactMethod, Incident, Notification
from ..notifications import log as delivery_log
from ..notifications import masking
from ..notifications.probe import queue_test_notification
from ..services import person_of

LOG_READERS = (roles.LEADERSHIP, *roles.OPERATORS, roles.ROSTER_ADMINS)
MAX_NUMBER = 2**31 - 1
# Test sends per user: each one is a request to an address the user typed.
TEST_SENDS = 5
TEST_SEND_WINDOW = timedelta(minutes=10)


@role_required(*LOG_READERS)
@require_GET
@vary_on_headers("HX-Request")
def incident_notifications(request, number: int):
    """Every notification of one incident; the partial alone for htmx."""
    if number > MAX_NUMBER:
        raise Http404("No such incident.")
    incident = get_object_or_404(Incident, pk=number)
    rows = delivery_log.for_incident(incident)
    full = roles.has_role(request.user, roles.ROSTER_ADMINS)
    for row in rows:
        row.shown_error = masking.shown_error(row, full=full)
    context = {
        "incident": incident,
        "delivery_log": rows,
        "zone": _viewer_zone(request),
    }
    template = "incidents/notifications/incident_log.html"
    if request.htmx:
        template += "#log"
    return render(request, template, context)


@login_required
@require_GET
@vary_on_headers("HX-Request")
def notification_detail(request, pk: int):
    """One notification: state, attempts, error and its delivery log, addresses masked for
    all but roster admins and no ack link for anyone. Polls until it is done."""
    if pk > MAX_NUMBER:
        raise Http404("No such notification.")
    notification = get_object_or_404(
        Notification.objects.select_related("recipient", "contact_method", "incident"), pk=pk
    )
    if not _may_see(request.user, notification):
        raise PermissionDenied("This notification is not yours to see.")
    full = roles.has_role(request.user, roles.ROSTER_ADMINS)
    context = {
        "notification": notification,
        "shown": masking.shown(notification, full=full),
        "zone": _viewer_zone(request),
    }
    template = "incidents/notifications/detail.html"
    if request.htmx:
        template += "#state"
    return render(request, template, context)


@role_required(roles.ROSTER_ADMINS)
@require_GET
def notification_health(request):
    """Sent and failed counts and the last error per channel over 24 hours."""
    now = timezone.now()
    context = {
        "channel_health": delivery_log.channel_health(now),
        "flagged_methods": ContactMethod.objects.exclude(failure_reason="")
        .select_related("person")
        .order_by("-failed_at")[:50],
        "zone": _viewer_zone(request),
    }
    return render(request, "incidents/notifications/health.html", context)


@login_required
@require_POST
def notification_test(request, pk: int):
    """Queue a test notification to one contact method: the person's own, or any for a
    roster admin. Then show it, so the sender sees whether it got through. At most
    ``TEST_SENDS`` per user in ``TEST_SEND_WINDOW``: each is a request to a typed address."""
    if pk > MAX_NUMBER:
        raise Http404("No such contact method.")
    method = get_object_or_404(ContactMethod.objects.select_related("person"), pk=pk)
    if not _owns(request.user, method.person) and not roles.has_role(
        request.user, roles.ROSTER_ADMINS
    ):
        raise PermissionDenied("You can send test notifications to your own contact methods only.")
    if not throttle.take(
        "notification-test", str(request.user.pk), limit=TEST_SENDS, per=TEST_SEND_WINDOW
    ):
        minutes = int(TEST_SEND_WINDOW.total_seconds() // 60)
        context = {"method": method, "limit": TEST_SENDS, "minutes": minutes}
        return render(request, "incidents/notifications/test_limited.html", context, status=429)
    notification = queue_test_notification(method=method)
    messages.success(request, f"A test notification to {method} is on its way.")
    return redirect("incidents:notification_detail", pk=notification.pk)


def _owns(user, person) -> bool:
    return person is not None and person.user_id is not None and person.user_id == user.pk


def _may_see(user, notification: Notification) -> bool:
    if _owns(user, notification.recipient) or roles.has_role(user, roles.ROSTER_ADMINS):
        return True
    return notification.incident_id is not None and roles.has_role(user, *LOG_READERS)


def _viewer_zone(request):
    person = person_of(request.user)
    try:
        return ZoneInfo(person.time_zone) if person else timezone.get_current_timezone()
    except (ZoneInfoNotFoundError, ValueError):
        return timezone.get_current_timezone()
