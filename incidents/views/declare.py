"""Declaring an incident: what is broken, how bad, where, and what is known so far."""

from dataclasses import dataclass

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from portal import roles
from portal.roles import role_required

from ..catalog.targets import minutes_label
from ..forms import DeclareForm
from ..models import DecisionAuthority, ResponseTarget, Service, Severity
from ..services import NotAllowed, incident_declare
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
    """The declare form; ``?service=<slug>`` ticks that service (from a service page)."""
    status = 200
    unknown_service = ""
    if request.method == "POST":
        form = DeclareForm(request.POST)
        if form.is_valid():
            try:
                incident = incident_declare(
                    title=form.cleaned_data["title"],
                    severity=form.cleaned_data["severity"],
                    services=form.cleaned_data["services"],
                    summary=form.cleaned_data["summary"],
                    is_drill=form.cleaned_data["is_drill"],
                    declared_by=request.user,
                )
            except NotAllowed as refusal:
                form.add_error("severity", str(refusal))
                status = 403
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
        initial = {}
        slug = request.GET.get("service", "").strip()
        if slug:
            service = Service.objects.filter(slug=slug).first()
            if service is None:
                unknown_service = slug[:100]
            else:
                initial["services"] = [service.pk]
        form = DeclareForm(initial=initial)

    options = severity_options(DecisionRights(request.user))
    context = {
        "form": form,
        # The form's radios and the options are both in Severity order.
        "severity_choices": list(zip(form["severity"], options, strict=True)),
        "unknown_service": unknown_service,
    }
    return render(request, "incidents/incident_new.html", context, status=status)
