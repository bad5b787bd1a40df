"""The public status page, its Atom feed and email subscription (no login), and the
operators' page for scheduling maintenance windows (login)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from portal import roles
from portal.client_address import client_address
from portal.roles import role_required

from ..comms import public, subscribers
from ..comms.forms import MaintenanceForm, SubscribeForm
from ..comms.maintenance import MaintenanceRefused, maintenance_cancel, maintenance_schedule
from ..models import MaintenanceWindow
from ..services import NotAllowed
from .updates import posted_id

PAGE = "incidents/status_page.html"
NOTICE = "incidents/status_notice.html"


@login_not_required
@require_safe
def status_page(request):
    context = public.page_context(timezone.now())
    context["subscribe_form"] = SubscribeForm(prefix="subscribe")
    return render(request, PAGE, context)


@login_not_required
@require_safe
def status_history(request):
    """The archive: ninety days of each public service's uptime, and the incidents."""
    context = public.page_context(timezone.now(), days=public.HISTORY_DAYS)
    return render(request, "incidents/status_history.html", context)


@login_not_required
@require_safe
def status_feed(request):
    feed = public.feed(timezone.now())
    response = HttpResponse(content_type=f"{feed.content_type}")
    feed.write(response, "utf-8")
    return response


def _notice(request, title: str, text: str, *, status: int = 200, form_action: str = "",
            button: str = ""):
    return render(
        request,
        NOTICE,
        {"title": title, "text": text, "form_action": form_action, "button": button,
         "page_title": public.page_title()},
        status=status,
    )


@login_not_required
@require_POST
def status_subscribe(request):
    form = SubscribeForm(request.POST, prefix="subscribe")
    if not form.is_valid():
        context = public.page_context(timezone.now())
        context["subscribe_form"] = form
        return render(request, PAGE, context, status=400)
    try:
        subscribers.subscriber_request(
            email=form.cleaned_data["email"], client=client_address(request)
        )
    except subscribers.TooManyRequests as refusal:
        return _notice(request, "Please try again later", str(refusal), status=429)
    # The same answer whether the address was new, known or over its own limit: the form
    # reveals nobody.
    return _notice(
        request, "Check your inbox",
        "If the address can receive updates, a confirmation email is on its way. Follow its "
        "link to start receiving updates.",
    )


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def status_confirm(request, token: str):
    try:
        subscriber = subscribers.subscriber_for(token, purpose="confirm")
    except subscribers.LinkInvalid as problem:
        return _notice(request, "This link does not work", str(problem), status=400)
    if request.method != "POST":
        # Mail scanners fetch links: confirming takes a button press.
        return _notice(
            request, "Confirm your subscription",
            f"Send status updates to {subscriber.email}?",
            form_action=request.path, button="Yes, send me updates",
        )
    subscribers.subscriber_confirm(token=token)
    return _notice(request, "Subscribed", "You will receive an email with each public update.")


@login_not_required
@require_http_methods(["GET", "HEAD", "POST"])
def status_unsubscribe(request, token: str):
    try:
        subscribers.subscriber_for(token, purpose="unsubscribe")
    except subscribers.LinkInvalid as problem:
        return _notice(request, "This link does not work", str(problem), status=400)
    if request.method != "POST":
        return _notice(
            request, "Unsubscribe", "Stop sending status updates to this address?",
            form_action=request.path, button="Unsubscribe",
        )
    subscribers.subscriber_remove(token=token)
    return _notice(request, "Unsubscribed", "You will not receive status updates any more.")


# --- maintenance windows (operators) --------------------------------------------------------


@role_required(roles.LEADERSHIP, *roles.OPERATORS, roles.ROSTER_ADMINS)
@require_http_methods(["GET", "HEAD", "POST"])
def maintenance(request):
    form = MaintenanceForm(prefix="window")
    status = 200
    if request.method == "POST":
        if not roles.has_role(request.user, *roles.OPERATORS):
            raise PermissionDenied("Maintenance windows are scheduled by operators.")
        if request.POST.get("action") == "cancel":
            window = get_object_or_404(MaintenanceWindow, pk=posted_id(request, "window"))
            try:
                maintenance_cancel(window=window, by=request.user)
            except (MaintenanceRefused, NotAllowed) as refusal:
                messages.error(request, str(refusal))
                return redirect("incidents:maintenance")
            messages.success(request, f"“{window.title}” is called off.")
            return redirect("incidents:maintenance")
        form = MaintenanceForm(request.POST, prefix="window")
        if form.is_valid():
            data = form.cleaned_data
            try:
                window = maintenance_schedule(
                    title=data["title"], description=data["description"],
                    services=data["services"], starts_at=data["starts_at"],
                    ends_at=data["ends_at"], public=data["public"],
                    suppress_paging=data["suppress_paging"], by=request.user,
                )
            except MaintenanceRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, f"“{window.title}” is scheduled.")
                return redirect("incidents:maintenance")
        status = 400
    now = timezone.now()
    windows = MaintenanceWindow.objects.prefetch_related("services")
    over = Q(cancelled_at__isnull=False) | Q(ends_at__lte=now)
    return render(
        request,
        "incidents/status_maintenance.html",
        {
            "form": form,
            "current": list(windows.exclude(over).order_by("starts_at")),
            "past": list(windows.filter(over).order_by("-starts_at")[:30]),
            "now": now,
            "can_act": roles.has_role(request.user, *roles.OPERATORS),
        },
        status=status,
    )
