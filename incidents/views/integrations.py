"""Alert integrations: the intake endpoints senders post to, and the portal's pages about them.

The endpoints need no login (the integration key is the credential) and no CSRF token
(machines post to them). They answer as soon as the raw event is stored; processing runs
in a worker (see ``incidents.intake``). Unknown, disabled and other-kind keys all get the
same answer, so a caller learns nothing about which keys exist.
"""

import json
from datetime import timedelta
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_not_required
from django.core.cache import cache
from django.db.models import Count
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from portal import roles
from portal.roles import role_required

from ..intake import IntegrationChanged, event_receive, event_reject, with_integration
from ..intake.body import BodyRejected, decode, read
from ..intake.ratelimit import allow
from ..intake.receive import alerts_in, parse
from ..intake.samples import test_alert
from ..intake.signature import signature_problem
from ..models import Alert, Integration, IntegrationEvent
from ..services import may_declare

Kind = Integration.Kind
PAGE_ROLES = (*roles.OPERATORS, roles.ROSTER_ADMINS)
RECENT_EVENTS = 50
MAX_NUMBER = 2**31 - 1
RETRY_AFTER_SECONDS = 10
PD_INVALID = "Event object is invalid"
PD_THROTTLED = "Requests for this service are arriving too quickly. Please retry later."


# --- endpoints ------------------------------------------------------------------------------
def intake_endpoint(view):
    """What every intake endpoint is: no login (the key is the credential), no CSRF token
    (machines post), POST only, and an answer no cache keeps. ``no-store`` is set as is:
    ``never_cache`` formats an Expires date and parses Cache-Control again on every answer,
    6 % of an event's time here."""
    checked = require_POST(view)

    @wraps(view)
    def endpoint(request, *args, **kwargs):
        response = checked(request, *args, **kwargs)
        response["Cache-Control"] = "no-store"
        return response

    return csrf_exempt(login_not_required(endpoint))


def _invalid(errors: list[str], status: int = 400) -> JsonResponse:
    return JsonResponse(
        {"status": "invalid event", "message": PD_INVALID, "errors": errors}, status=status
    )


def _throttled(integration: Integration, now) -> JsonResponse:
    # One log row a minute per integration and process is enough to show it on the page.
    if cache.add(f"intake-throttle-logged:{integration.pk}", 1, timeout=60):
        event_reject(
            integration=integration,
            now=now,
            errors=[f"Rate limited: over {integration.rate_limit_per_minute} alerts a minute."],
            alert_count=0,  # a line in the log, not alerts: refused ones are not counted
        )
    response = JsonResponse({"status": "throttle event", "message": PD_THROTTLED}, status=429)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return response


def _not_found() -> JsonResponse:
    return JsonResponse({"status": "not found", "message": "No such integration."}, status=404)


def _accepted(receipt, *, many: bool) -> JsonResponse:
    answer = {"status": "success", "message": "Event processed"}
    if many:
        answer["dedup_keys"] = receipt.dedup_keys
    else:
        answer["dedup_key"] = receipt.dedup_keys[0]
    return JsonResponse(answer, status=202)


@intake_endpoint
def pagerduty_enqueue(request):
    """PagerDuty Events API v2: the routing key is in the body, so the body comes first."""
    now = timezone.now()
    try:
        document = decode(read(request))
    except BodyRejected as rejected:
        return _invalid(rejected.errors)
    routing_key = document.get("routing_key") if isinstance(document, dict) else None
    if not isinstance(routing_key, str) or not routing_key.strip():
        return _invalid(["'routing_key' is missing or blank"])
    answer = with_integration(
        routing_key, Kind.PAGERDUTY, lambda integration: _pagerduty(integration, document, now)
    )
    if answer is None:
        return _invalid(["'routing_key' is not a valid integration key"])
    return answer


def _pagerduty(integration: Integration, document, now) -> JsonResponse:
    if not allow(integration, now):
        return _throttled(integration, now)
    receipt = event_receive(integration=integration, document=document, now=now)
    if not receipt.accepted:
        return _invalid(receipt.errors)
    return _accepted(receipt, many=False)


def _path_keyed(request, key: str, kind: str, *, many: bool):
    now = timezone.now()
    answer = with_integration(
        key, kind, lambda integration: _keyed(request, integration, now, many=many)
    )
    return _not_found() if answer is None else answer


def _keyed(request, integration: Integration, now, *, many: bool) -> JsonResponse:
    kind = integration.kind
    if not allow(integration, now):
        return _throttled(integration, now)
    try:
        raw = read(request)
        if kind == Kind.GRAFANA and integration.signature_secret:
            error = signature_problem(integration, raw=raw, headers=request.headers, now=now)
            if error:
                event_reject(integration=integration, errors=[error], now=now)
                return _invalid([error], status=401)
        document = decode(raw)
    except BodyRejected as rejected:
        event_reject(integration=integration, errors=rejected.errors, now=now)
        return _invalid(rejected.errors)
    # The first alert was counted above; a notification carrying more counts each of them.
    if not allow(integration, now, alerts=alerts_in(kind, document) - 1, counted=1):
        return _throttled(integration, now)
    receipt = event_receive(integration=integration, document=document, now=now)
    if not receipt.accepted:
        return _invalid(receipt.errors)
    return _accepted(receipt, many=many)


@intake_endpoint
def alertmanager_webhook(request, key: str):
    """Prometheus Alertmanager ``webhook_configs`` (version 4)."""
    return _path_keyed(request, key, Kind.ALERTMANAGER, many=True)


@intake_endpoint
def grafana_webhook(request, key: str):
    """Grafana-managed alerting webhook contact point, optionally HMAC-signed."""
    return _path_keyed(request, key, Kind.GRAFANA, many=True)


@intake_endpoint
def generic_webhook(request, key: str):
    """The portal's simple JSON for no-code tools (schema in the README)."""
    return _path_keyed(request, key, Kind.WEBHOOK, many=False)


# --- pages ----------------------------------------------------------------------------------
def endpoint_path(integration: Integration, key: str) -> str:
    if integration.kind == Kind.PAGERDUTY:
        return reverse("incidents:intake_pagerduty")
    name = {
        Kind.ALERTMANAGER: "incidents:intake_alertmanager",
        Kind.GRAFANA: "incidents:intake_grafana",
        Kind.WEBHOOK: "incidents:intake_webhook",
    }[integration.kind]
    return reverse(name, args=[key])


def masked(key: str) -> str:
    return "•" * 8 + key[-4:] if len(key) > 8 else "•" * 8


def _sees_keys(user) -> bool:
    return roles.has_role(user, roles.ROSTER_ADMINS)


@role_required(*PAGE_ROLES)
@require_GET
def integration_list(request):
    integrations = list(Integration.objects.select_related("service"))
    since = timezone.now() - timedelta(hours=24)
    # Two grouped counts rather than joins on the integration rows: a join of events and
    # alerts together would multiply one count by the other.
    events = (
        IntegrationEvent.objects.filter(received_at__gte=since)
        .values("integration_id", "outcome")
        .annotate(count=Count("id"))
    )
    counts: dict[tuple[int, str], int] = {
        (row["integration_id"], row["outcome"]): row["count"] for row in events
    }
    live = dict(
        Alert.objects.exclude(status=Alert.Status.RESOLVED)
        .values("integration_id")
        .annotate(count=Count("id"))
        .values_list("integration_id", "count")
    )
    for integration in integrations:
        integration.rejected_24h = counts.get((integration.pk, "rejected"), 0)
        integration.accepted_24h = counts.get((integration.pk, "accepted"), 0) + counts.get(
            (integration.pk, "processed"), 0
        )
        integration.live_alerts = live.get(integration.pk, 0)
    return render(request, "incidents/integration_list.html", {"integrations": integrations})


@role_required(*PAGE_ROLES)
@require_GET
@vary_on_headers("HX-Request")
def integration_detail(request, pk: int):
    integration = _get_integration(pk)
    events = list(integration.events.order_by("-received_at", "-id")[:RECENT_EVENTS])
    for event in events:
        event.pretty = (
            json.dumps(event.payload, indent=2, ensure_ascii=False)[:6000]
            if event.payload is not None
            else ""
        )
        event.said = _what_it_said(integration, event)
    context = {
        "integration": integration,
        "events": events,
        "waiting": any(e.outcome == IntegrationEvent.Outcome.ACCEPTED for e in events),
    }
    if request.htmx:
        return render(request, "incidents/integration_detail.html#events", context)
    sees_key = _sees_keys(request.user)
    key = integration.key if sees_key else masked(integration.key)
    context.update(
        sees_key=sees_key,
        shown_key=key,
        # reverse() would percent-encode the mask's bullets: put the shown key in after.
        endpoint_url=request.build_absolute_uri(endpoint_path(integration, "KEY")).replace(
            "/KEY/", f"/{key}/"
        ),
        may_test=roles.has_role(request.user, *roles.OPERATORS),
        may_declare=may_declare(request.user),
        alerts=integration.alerts.select_related("incident").order_by("-last_seen_at")[:20],
    )
    return render(request, "incidents/integration_detail.html", context)


@role_required(*roles.OPERATORS)
@require_POST
def integration_test(request, pk: int):
    """Send a test alert through the same path a sender's alert takes."""
    integration = _get_integration(pk)
    if not integration.enabled:
        messages.error(request, "This integration is disabled: enable it first.")
        return redirect("incidents:integration_detail", pk=integration.pk)
    who = request.user.get_full_name() or request.user.get_username()
    now = timezone.now()
    try:
        receipt = event_receive(
            integration=integration, document=test_alert(integration, by=who, now=now), now=now
        )
    except IntegrationChanged:
        messages.error(request, "The integration was changed meanwhile: send the test again.")
        return redirect("incidents:integration_detail", pk=integration.pk)
    if receipt.accepted:
        messages.success(
            request,
            f"Test alert sent to {integration.name}: it opens or joins an incident on "
            f"{integration.service.name} like a real alert.",
        )
    else:
        messages.error(request, "The test alert was refused: " + "; ".join(receipt.errors))
    return redirect("incidents:integration_detail", pk=integration.pk)


def _what_it_said(integration: Integration, event: IntegrationEvent) -> list[str]:
    """One line per alert in an accepted event: "trigger db1-disk: Disk full on db1"."""
    if event.outcome == IntegrationEvent.Outcome.REJECTED or event.payload is None:
        return []
    parsed = parse(integration.kind, event.payload)
    lines = [
        f"{alert.action} {alert.dedup_key}" + (f": {alert.summary[:120]}" if alert.summary else "")
        for alert in parsed.events[:5]
    ]
    if len(parsed.events) > 5:
        lines.append(f"and {len(parsed.events) - 5} more")
    return lines


def _get_integration(pk: int) -> Integration:
    if pk > MAX_NUMBER:
        raise Http404("No such integration.")
    return get_object_or_404(Integration.objects.select_related("service"), pk=pk)
