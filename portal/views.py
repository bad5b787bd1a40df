from django.contrib.auth.decorators import login_not_required, login_required
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import health, roles
from . import home as home_sections
from .client_address import client_address, parse_address


@login_not_required
@require_GET
@never_cache
def healthz(request):
    """200 or 503. The public answer is only healthy or not; the database, broker and sweep
    age are for logged-in staff and for requests from this machine (the CI smoke test, a
    local probe). Nobody gets an error's text: that is in the server log."""
    report = health.report()
    status = 200 if report["status"] == "ok" else 503
    if not _sees_health_details(request):
        report = {"status": report["status"]}
    return JsonResponse(report, status=status)


def _sees_health_details(request) -> bool:
    user = request.user
    if user.is_authenticated and (user.is_staff or roles.user_roles(user)):
        return True
    # The client's address, not the proxy's: behind a load balancer on this machine every
    # request would otherwise look local (TRUSTED_PROXIES says whose X-Forwarded-For to read).
    address = parse_address(client_address(request))
    return address is not None and address.is_loopback


@login_not_required
@require_GET
@never_cache
def live(request):
    """Liveness: the process answers, and checks nothing else. ``/healthz`` is the readiness
    check; a liveness probe that failed while PostgreSQL is down would only add restarts of
    every web process to the outage."""
    return JsonResponse({"status": "ok"})


@login_required
def home(request):
    """My work: the sections the apps register (incidents I hold a seat on or am paged for,
    on-call, tasks, action items, …) for the viewer. Someone without a role learns that,
    and whom to ask for one."""
    held_roles = sorted(roles.user_roles(request.user))
    context = {
        "held_roles": held_roles,
        "sections": home_sections.sections_for(request.user, timezone.now()),
    }
    if not held_roles:
        context["roster_admins"] = roles.holders(roles.ROSTER_ADMINS)
    return render(request, "portal/home.html", context)


@login_not_required
def page_not_found(request, exception):
    """Anonymous visitors are sent to log in: they learn nothing about which pages exist."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return render(request, "404.html", status=404)
