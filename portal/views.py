from django.contrib.auth.decorators import login_not_required, login_required
from django.contrib.auth.views import redirect_to_login
from django.http import JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from . import health, roles


@login_not_required
@require_GET
@never_cache
def healthz(request):
    """Database, broker and sweep age as JSON; 503 when any of them is unhealthy."""
    db_ok, db_detail = health.database_ok()
    broker_ok, broker_detail = health.broker_ok()
    age = health.sweep_age() if db_ok else None
    sweep_ok = db_ok and not health.sweep_is_stale(age)
    body = {
        "status": "ok" if db_ok and broker_ok and sweep_ok else "unhealthy",
        "database": {"ok": db_ok, "detail": db_detail},
        "broker": {"ok": broker_ok, "detail": broker_detail},
        "sweep": {"ok": sweep_ok, "last_age_seconds": None if age is None else round(age, 3)},
    }
    return JsonResponse(body, status=200 if body["status"] == "ok" else 503)


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
    """The landing page: where each part of the portal is, for the viewer's roles."""
    return render(
        request,
        "portal/home.html",
        {"held_roles": sorted(roles.user_roles(request.user))},
    )


@login_not_required
def page_not_found(request, exception):
    """Anonymous visitors are sent to log in: they learn nothing about which pages exist."""
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    return render(request, "404.html", status=404)
