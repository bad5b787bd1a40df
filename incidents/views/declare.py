"""Declaring an incident: what is broken, how bad, where, and what is known so far."""

from dataclasses import dataclass

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from portal import roles
from portal.ids import parse_id
from portal.roles import role_required

from ..catalog.targets import minutes_label
from ..escalation.triggers import alert_severity
from ..forms import DeclareForm, new_declare_token
from ..models import Alert, DecisionAuthority, ResponseTarget, Service, Severity
from ..services import AlreadyDeclared, NotAllowed, incident_declare
from .incident import DecisionRights


@dataclass(frozen=True)
class SeverityOption:
    """A severity as the declare form offers it: what it means and how fast it must move."""

    severity: Severity
    definition: str
    targets: list[tuple[str, str]]
    allowed: bool
    who: str


def severity_options(rights: DecisionRights) -> list[SeverityOption]:
    """One option per severity, SEV1 first, from the default response targets (one query)."""
    defaults = {row.severity: row for row in ResponseTarget.objects.filter(service__isnull=True)}
    options = []
    for severity in Severity:
        row = defaults.get(severity.value)
        targets = []
        if row is not None:
            targets = [
                (label, "none" if minutes is None else minutes_label(minutes))
                for label, minutes in (
                    ("Acknowledge", row.acknowledge_minutes),
                    ("Triage", row.triage_minutes),
                    ("First decision", row.decision_minutes),
                    ("Updates every", row.update_minutes),
                )
            ]
        options.append(
            SeverityOption(
                severity=severity,
                definition=row.definition if row is not None else "",
                targets=targets,
                allowed=rights.may(DecisionAuthority.Action.DECLARE, severity),
                who=rights.who(DecisionAuthority.Action.DECLARE, severity),
            )
        )
    return options


@role_required(*roles.OPERATORS)
@require_http_methods(["GET", "HEAD", "POST"])
def incident_new(request):
    """The declare form. It opens filled in from where it was opened: ``?service=<slug>``
    ticks that service (a service page), ``?alert=<id>`` takes the alert's summary, service
    and mapped severity (an alert with no incident yet)."""
    status = 200
    notice = ""
    if request.method == "POST":
        form = DeclareForm(request.POST)
        if form.is_valid():
            try:
                incident = _declare(request, form.cleaned_data)
            except NotAllowed as refusal:
                form.add_error("severity", str(refusal))
                status = 403
            except AlreadyDeclared as repeat:
                messages.info(
                    request,
                    f"This form was already sent: {repeat.incident.reference} is the "
                    "incident it declared.",
                )
                return redirect(repeat.incident)
            else:
                kind = "Drill" if incident.is_drill else "Incident"
                messages.success(
                    request,
                    f"{kind} {incident.reference} declared at {incident.get_severity_display()}.",
                )
                return redirect(incident)
        else:
            status = 400
    else:
        initial, notice = _initial_from(request.GET)
        form = DeclareForm(initial={**initial, "token": new_declare_token()})

    options = severity_options(DecisionRights(request.user))
    context = {
        "form": form,
        # The form's radios and the options are both in Severity order.
        "severity_choices": list(zip(form["severity"], options, strict=True)),
        "notice": notice,
        "from_alert": form["alert"].value(),
    }
    return render(request, "incidents/incident_new.html", context, status=status)


def _declare(request, data: dict):
    return incident_declare(
        title=data["title"],
        severity=data["severity"],
        services=data["services"],
        summary=data["summary"],
        is_drill=data["is_drill"],
        incident_type=data["incident_type"],
        declared_by=request.user,
        token=data["token"] or None,
        alert=data["alert"],
    )


def _initial_from(query) -> tuple[dict, str]:
    """The form's initial values from the query string, and what to tell the user about a
    service or alert that cannot be found."""
    if "alert" in query:
        return _initial_from_alert(query.get("alert", ""))
    slug = query.get("service", "").strip()
    if not slug:
        return {}, ""
    service = Service.objects.filter(slug=slug).first()
    if service is None:
        return {}, f"There is no service “{slug[:100]}” in the catalog: tick the affected " \
            "services below."
    return {"services": [service.pk]}, ""


def _initial_from_alert(value: str) -> tuple[dict, str]:
    pk = parse_id(value)
    alert = (
        Alert.objects.select_related("integration", "service", "incident").filter(pk=pk).first()
        if pk is not None
        else None
    )
    if alert is None:
        return {}, "That alert cannot be found: declare with what you know."
    if alert.incident is not None:
        return {}, (
            f"That alert already belongs to {alert.incident.reference}: declare only if this "
            "is another incident."
        )
    seen = f"{alert.first_seen_at:%Y-%m-%d %H:%M} UTC"
    source = f" from {alert.source}" if alert.source else ""
    summary = f"Alert{source}, first seen {seen}, {alert.event_count} event(s):\n{alert.summary}"
    return {
        "title": alert.summary[:200],
        "severity": alert_severity(alert.integration, alert.source_severity),
        "services": [alert.service_id],
        "summary": summary[:5000],
        "alert": alert.pk,
    }, ""
