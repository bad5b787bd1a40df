"""The incident page: where it stands, who holds which seat, what was decided, and the actions
the viewer's role allows.

One view serves the page, its live partial (polled every few seconds, 204 while nothing
changed) and every action posted from it (a hidden ``action`` field says which).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms as django_forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods
from django.views.decorators.vary import vary_on_headers

from portal import roles
from portal.roles import role_required

from .. import forms
from ..catalog.impact import failure_impact
from ..clocks import TargetBook, incident_clocks
from ..comms.final_update import is_public_incident, publishes_at_once
from ..models import (
    STANDARD_ROLES,
    Decision,
    DecisionAuthority,
    Incident,
    IncidentRole,
    IncidentRoleKind,
    IncidentStatus,
    Severity,
    Urgency,
)
from ..notifications.outbox import usable_rules
from ..services import (
    NotAllowed,
    TransitionRefused,
    allowed_transitions,
    decision_record,
    decision_record_outcome,
    incident_acknowledge,
    incident_add_note,
    incident_assign_role,
    incident_change_severity,
    incident_merge,
    incident_release_role,
    incident_reopen,
    incident_set_services,
    incident_set_status,
    incident_set_type,
    incident_unacknowledge,
    person_of,
    task_add,
    task_set_done,
)
from ..services.authority import describe
from ..services.lifecycle import SEVERITY_RANK

READERS = (roles.LEADERSHIP, *roles.OPERATORS)
TEMPLATE = "incidents/incident_detail.html"
# The page shows the newest events; a long incident (notifications, escalations) links to all.
TIMELINE_PAGE = 300
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Action = DecisionAuthority.Action


def version_token(updated_at: datetime) -> str:
    """The incident's ``updated_at`` as whole microseconds: exact, and safe in a query string."""
    return str((updated_at - EPOCH) // timedelta(microseconds=1))


def _incident_for(request, number: int) -> Incident:
    if number > forms.MAX_NUMBER:
        raise Http404("No such incident.")
    return get_object_or_404(
        Incident.objects.select_related("duplicate_of", "declared_by"), pk=number
    )


class DecisionRights:
    """What the viewer may decide under the decision authority, loaded once per request.

    The workflows check again with ``services.require``; this only decides what to offer.
    """

    def __init__(self, user, seats=()):
        self.held = roles.user_roles(user)
        self.seats = set(seats)
        self.rows = {
            (row.severity, row.action): row
            for row in DecisionAuthority.objects.prefetch_related("portal_roles")
        }

    def may(self, action: str, severity: str) -> bool:
        row = self.rows.get((severity, action))
        if row is None:
            return False
        allowed_roles = {group.name for group in row.portal_roles.all()}
        seats = row.incident_roles if isinstance(row.incident_roles, list) else []
        return not allowed_roles.isdisjoint(self.held) or not self.seats.isdisjoint(seats)

    def who(self, action: str, severity: str) -> str:
        row = self.rows.get((severity, action))
        return describe(row) if row else "nobody (not configured)"


@dataclass(frozen=True)
class SeatRow:
    """One seat on the incident, held or not, as the roles panel shows it."""

    kind: str
    title: str
    custom_name: str = ""
    seat: IncidentRole | None = None
    mine: bool = False


def seat_rows(seats: list[IncidentRole], person) -> list[SeatRow]:
    """Every standard seat (empty ones too) followed by the custom seats that exist."""
    by_kind = {seat.kind: seat for seat in seats if seat.kind != IncidentRoleKind.CUSTOM}
    rows = []
    for kind in STANDARD_ROLES:
        seat = by_kind.get(kind)
        rows.append(
            SeatRow(
                kind=kind.value,
                title=kind.label,
                seat=seat,
                mine=seat is not None and person is not None and seat.holder_id == person.pk,
            )
        )
    for seat in seats:
        if seat.kind == IncidentRoleKind.CUSTOM:
            rows.append(
                SeatRow(
                    kind=seat.kind,
                    title=seat.custom_name,
                    custom_name=seat.custom_name,
                    seat=seat,
                    mine=person is not None and seat.holder_id == person.pk,
                )
            )
    return rows


def _viewer_zone(person) -> ZoneInfo:
    try:
        return ZoneInfo(person.time_zone if person else settings.TIME_ZONE)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(settings.TIME_ZONE)


@dataclass
class Viewer:
    """Who is looking, resolved once: their roster person, seats and decision rights."""

    person: object
    seats: list[IncidentRole]
    can_act: bool
    rights: DecisionRights | None = None
    zone: ZoneInfo = field(default_factory=lambda: ZoneInfo(settings.TIME_ZONE))


def _viewer(request, incident: Incident, *, with_rights: bool) -> Viewer:
    person = person_of(request.user)
    seats = list(incident.roles.select_related("holder"))
    mine = {seat.kind for seat in seats if person is not None and seat.holder_id == person.pk}
    can_act = roles.has_role(request.user, *roles.OPERATORS)
    return Viewer(
        person=person,
        seats=seats,
        can_act=can_act,
        rights=DecisionRights(request.user, mine) if with_rights and can_act else None,
        zone=_viewer_zone(person),
    )


def _live_context(request, incident: Incident, viewer: Viewer) -> dict:
    """What the polled partial shows: the header, the seats and the timeline."""
    services = list(incident.services.all())
    targets = TargetBook().for_incident(incident.severity, [s.pk for s in services])
    show_all = request.GET.get("all") == "1"
    events = incident.timeline.order_by("-at", "-id")
    if show_all:
        timeline, truncated = list(events), False
    else:
        timeline = list(events[: TIMELINE_PAGE + 1])
        truncated = len(timeline) > TIMELINE_PAGE
        timeline = timeline[:TIMELINE_PAGE]
    seats = seat_rows(viewer.seats, viewer.person)
    return {
        "incident": incident,
        "page_url": incident.get_absolute_url(),
        "services": services,
        "clocks": incident_clocks(incident, targets, timezone.now()),
        "seats": seats,
        "no_commander": seats[0].seat is None,
        "timeline": timeline,
        "duplicates": list(incident.duplicates.order_by("pk").only("pk", "title")),
        "timeline_truncated": truncated,
        "show_all": show_all,
        "version": version_token(incident.updated_at),
        "can_act": viewer.can_act,
        "person": viewer.person,
    }


def _actions_context(incident: Incident, viewer: Viewer, bound: dict, services) -> dict:
    """The forms and buttons the viewer may use; ``bound`` holds a form that failed."""
    rights = viewer.rights
    severity = incident.severity
    transitions = []
    close_hint = ""
    for status in allowed_transitions(incident.status):
        if status == IncidentStatus.CLOSED and not rights.may(Action.CLOSE, severity):
            close_hint = f"Closing is for {rights.who(Action.CLOSE, severity)}."
            continue
        transitions.append((status, IncidentStatus(status).label))

    severity_choices, severity_hints = [], []
    for choice in Severity:
        if choice == severity:
            continue
        raising = SEVERITY_RANK[choice] < SEVERITY_RANK[Severity(severity)]
        if raising and not rights.may(Action.RAISE_SEVERITY, choice):
            severity_hints.append(
                f"Raising to {choice.label} is for {rights.who(Action.RAISE_SEVERITY, choice)}."
            )
            continue
        severity_choices.append((choice.value, choice.label))
    severity_form = bound.get("severity") or forms.SeverityForm(prefix="severity")
    severity_form.fields["severity"].widget.choices = severity_choices

    may_approve = rights.may(Action.APPROVE_ROLLBACK, severity)
    decision_kinds = [
        kind for kind in Decision.Kind.values if kind == Decision.Kind.OTHER or may_approve
    ]
    decision_form = bound.get("decision") or forms.DecisionForm(prefix="decision")
    decision_form.fields["kind"].widget.choices = [
        (value, label) for value, label in Decision.Kind.choices if value in decision_kinds
    ]
    rollback_hint = (
        "Rollbacks and workarounds are approved by "
        f"{rights.who(Action.APPROVE_ROLLBACK, severity)}."
    )
    services_form = bound.get("services") or forms.ServicesForm(
        prefix="services", initial={"services": [s.pk for s in services]}
    )
    return {
        "transitions": transitions,
        "close_hint": close_hint,
        "severity_form": severity_form,
        "severity_hints": severity_hints,
        "decision_form": decision_form,
        "rollback_hint": "" if may_approve else rollback_hint,
        "status_form": bound.get("status") or forms.StatusForm(prefix="status"),
        "reopen_form": bound.get("reopen") or forms.ReopenForm(prefix="reopen"),
        "unack_form": bound.get("unacknowledge") or forms.UnacknowledgeForm(prefix="unacknowledge"),
        "note_form": bound.get("note") or forms.NoteForm(prefix="note"),
        "assign_form": bound.get("assign") or forms.AssignRoleForm(prefix="assign"),
        "task_form": bound.get("task_add") or forms.TaskAddForm(prefix="task_add"),
        "services_form": services_form,
        "merge_form": bound.get("merge") or forms.MergeForm(prefix="merge", incident=incident),
        "type_form": bound.get("incident_type") or forms.IncidentTypeForm(
            prefix="incident_type", initial={"incident_type": incident.incident_type}
        ),
        "outcome_form": bound.get("outcome"),
        "outcome_failed_for": bound["outcome"].data.get("outcome-decision", "")
        if "outcome" in bound
        else "",
        "errors_in": set(bound),
        "can_hold_seat": viewer.person is not None,
    }


def _page_context(request, incident: Incident, bound: dict | None = None):
    viewer = _viewer(request, incident, with_rights=True)
    context = _live_context(request, incident, viewer)
    impact = failure_impact(s.pk for s in context["services"])
    context.update(
        {
            "impact": impact,
            "decisions": list(incident.decisions.all()),
            "tasks": list(incident.tasks.select_related("assignee")),
        }
    )
    if viewer.can_act:
        context.update(_actions_context(incident, viewer, bound or {}, context["services"]))
    return context, viewer


def _render_page(request, incident: Incident, *, bound=None, status: int = 200,
                 resolve_warned=None):
    context, viewer = _page_context(request, incident, bound)
    context["resolve_warned"] = resolve_warned
    # htmx only swaps 2xx answers: a refused htmx action shows its message with a 200.
    name = f"{TEMPLATE}#page" if request.htmx else TEMPLATE
    with timezone.override(viewer.zone):
        return render(request, name, context, status=200 if request.htmx else status)


# --- Actions: each one a form (or none) and a call to the workflow it stands for ------------


def _acknowledge(request, incident, data):
    if not incident.is_open:
        raise TransitionRefused("Only an open incident can be acknowledged.")
    if not incident_acknowledge(incident=incident, by=request.user):
        return "It was already acknowledged."
    return "Acknowledged: the incident has a human on it."


def _unacknowledge(request, incident, data):
    incident_unacknowledge(incident=incident, by=request.user, reason=data["reason"])
    return "Acknowledgement withdrawn."


class ResolveWarned(Exception):
    """Resolving would leave something undone: the page asks before going on."""

    def __init__(self, warnings: list[str], note: str):
        super().__init__(" ".join(warnings))
        self.warnings, self.note = warnings, note


def resolve_warnings(incident: Incident, user) -> list[str]:
    """What resolving now would leave undone: open tasks, and a final public update that
    would wait as a draft (the resolver may not publish to customers)."""
    warnings = []
    open_tasks = [t.title for t in incident.tasks.filter(done_at__isnull=True)]
    if open_tasks:
        warnings.append(
            f"{len(open_tasks)} task{'s are' if len(open_tasks) != 1 else ' is'} still open: "
            + "; ".join(open_tasks) + "."
        )
    if is_public_incident(incident) and not publishes_at_once(incident, user):
        warnings.append(
            "You may not publish to customers: the final “Resolved” update will wait as a "
            "draft for the communications lead, and the status page shows the incident "
            "unresolved until it is published."
        )
    return warnings


def _set_status(request, incident, data):
    resolving = data["to"] == IncidentStatus.RESOLVED
    if resolving and request.POST.get("confirmed") != "yes":
        warnings = resolve_warnings(incident, request.user)
        if warnings:
            raise ResolveWarned(warnings, data["note"])
    incident_set_status(incident=incident, status=data["to"], by=request.user, note=data["note"])
    if resolving and is_public_incident(incident):
        if incident.status_updates.filter(incident_status=IncidentStatus.RESOLVED).exists():
            return "Resolved: the “Resolved” update is on the status page."
        return "Resolved: the final public update waits as a draft on the updates page."
    return f"Status is now {IncidentStatus(data['to']).label}."


def _reopen(request, incident, data):
    incident_reopen(incident=incident, by=request.user, reason=data["reason"])
    return "Reopened: the incident is under investigation again."


def _change_severity(request, incident, data):
    severity = Severity(data["severity"])
    if severity == incident.severity:
        raise TransitionRefused(f"The incident already is {severity.label}.")
    incident_change_severity(
        incident=incident, severity=severity, by=request.user, reason=data["reason"]
    )
    return f"Severity is now {severity.label}."


def _take_role(request, incident, data):
    person = person_of(request.user)
    if person is None:
        raise TransitionRefused(
            "Your login is not linked to a person in the roster, so you cannot hold a seat. "
            "Ask a roster admin to link it."
        )
    seat = incident_assign_role(
        incident=incident,
        kind=data["kind"],
        custom_name=data["custom_name"],
        person=person,
        by=request.user,
    )
    return f"You are now {seat.title}."


def _assign_role(request, incident, data):
    seat = incident_assign_role(
        incident=incident,
        kind=data["kind"],
        custom_name=data["custom_name"],
        person=data["person"],
        by=request.user,
    )
    if seat.holder == person_of(request.user):
        return f"You are now {seat.title}."
    if usable_rules(seat.holder, Urgency.ROUTINE):
        told = "they are told through their routine notification rules"
    else:
        told = "they have no routine notification rule, so tell them yourself"
    return f"{seat.holder} is now {seat.title}; {told}."


def _release_role(request, incident, data):
    seat = IncidentRole.objects.filter(
        incident=incident, kind=data["kind"], custom_name=data["custom_name"]
    ).first()
    if seat is None:
        raise TransitionRefused("Nobody holds that seat.")
    incident_release_role(
        incident=incident, kind=data["kind"], custom_name=data["custom_name"], by=request.user
    )
    return f"The {seat.title} seat is free."


def _add_note(request, incident, data):
    incident_add_note(incident=incident, text=data["text"], by=request.user)
    return "Note added to the timeline."


def _record_decision(request, incident, data):
    decision_record(
        incident=incident,
        decision=data["decision"],
        kind=data["kind"],
        options_considered=data["options_considered"],
        rationale=data["rationale"],
        reversible=data["reversible"],
        by=request.user,
    )
    return "Decision recorded."


def _record_outcome(request, incident, data):
    decision_record_outcome(decision=data["decision"], outcome=data["outcome"], by=request.user)
    return "Outcome recorded."


def _add_task(request, incident, data):
    task_add(incident=incident, title=data["title"], assignee=data["assignee"], by=request.user)
    return "Task added."


def _set_task_done(request, incident, data):
    task = data["task"]
    if task.is_done == data["done"]:
        raise TransitionRefused(
            "That task is already done." if task.is_done else "That task is not done yet."
        )
    task_set_done(task=task, done=data["done"], by=request.user)
    return f"Task {'done' if data['done'] else 'reopened'}: {task.title}"


def _set_services(request, incident, data):
    incident_set_services(incident=incident, services=data["services"], by=request.user)
    return "Affected services updated."


def _set_type(request, incident, data):
    if not incident_set_type(
        incident=incident, incident_type=data["incident_type"], by=request.user
    ):
        raise TransitionRefused("The incident already is of that type.")
    label = incident.get_incident_type_display() or "not known yet"
    return f"Type: {label}."


def _merge(request, incident, data):
    into = data["into"]
    incident_merge(duplicate=incident, into=into, by=request.user)
    return f"{incident.reference} is now a duplicate of {into.reference}."


@dataclass(frozen=True)
class IncidentAction:
    run: Callable
    form: type[django_forms.Form] | None = None
    needs_incident: bool = False


ACTIONS = {
    "acknowledge": IncidentAction(_acknowledge),
    "unacknowledge": IncidentAction(_unacknowledge, forms.UnacknowledgeForm),
    "status": IncidentAction(_set_status, forms.StatusForm),
    "reopen": IncidentAction(_reopen, forms.ReopenForm),
    "severity": IncidentAction(_change_severity, forms.SeverityForm),
    "take": IncidentAction(_take_role, forms.SeatForm),
    "assign": IncidentAction(_assign_role, forms.AssignRoleForm),
    "release": IncidentAction(_release_role, forms.SeatForm),
    "note": IncidentAction(_add_note, forms.NoteForm),
    "decision": IncidentAction(_record_decision, forms.DecisionForm),
    "outcome": IncidentAction(_record_outcome, forms.OutcomeForm, needs_incident=True),
    "task_add": IncidentAction(_add_task, forms.TaskAddForm),
    "task_done": IncidentAction(_set_task_done, forms.TaskDoneForm, needs_incident=True),
    "services": IncidentAction(_set_services, forms.ServicesForm),
    "incident_type": IncidentAction(_set_type, forms.IncidentTypeForm),
    "merge": IncidentAction(_merge, forms.MergeForm, needs_incident=True),
}


def _form_problem(form: django_forms.Form) -> str:
    problems = []
    for name, errors in form.errors.items():
        label = ""
        if name in form.fields:
            label = form.fields[name].label or name.replace("_", " ")
        for error in errors:
            problems.append(f"{str(label).capitalize()}: {error}" if label else str(error))
    return "Nothing was changed. " + " ".join(problems)


def _act(request, number: int):
    """Run one posted action. A refusal re-renders the page with the reason (and the form as
    it was filled in); nothing is written, since each workflow checks before it writes."""
    if not roles.has_role(request.user, *roles.OPERATORS):
        raise PermissionDenied("Your portal role lets you follow incidents, not act on them.")
    incident = _incident_for(request, number)
    name = request.POST.get("action", "")
    action = ACTIONS.get(name)
    if action is None:
        messages.error(request, "Nothing was changed: that action is not known.")
        return _render_page(request, incident, status=400)

    form = None
    data = {}
    if action.form is not None:
        kwargs = {"incident": incident} if action.needs_incident else {}
        form = action.form(request.POST, prefix=name, **kwargs)
        if not form.is_valid():
            messages.error(request, _form_problem(form))
            return _render_page(request, incident, bound={name: form}, status=400)
        data = form.cleaned_data

    try:
        done = action.run(request, incident, data)
    except ResolveWarned as warned:
        return _render_page(request, incident, resolve_warned=warned)
    except (TransitionRefused, NotAllowed) as refusal:
        status = 403 if isinstance(refusal, NotAllowed) else 400
        message = str(refusal)
        messages.error(request, message)
        if form is not None:
            form.add_error(None, message)
        return _render_page(
            request, incident, bound={name: form} if form is not None else {}, status=status
        )

    messages.success(request, done)
    if request.htmx:
        return _render_page(request, _incident_for(request, number))
    return redirect(incident)


def _live(request, number: int):
    """The polled partial: 204 while the incident's version is the one the client holds."""
    if number > forms.MAX_NUMBER:
        raise Http404("No such incident.")
    updated_at = Incident.objects.filter(pk=number).values_list("updated_at", flat=True).first()
    if updated_at is None:
        raise Http404("No such incident.")
    if request.GET.get("version") == version_token(updated_at):
        return HttpResponse(status=204)
    incident = _incident_for(request, number)
    viewer = _viewer(request, incident, with_rights=False)
    context = _live_context(request, incident, viewer)
    with timezone.override(viewer.zone):
        return render(request, f"{TEMPLATE}#live", context)


@role_required(*READERS)
@require_http_methods(["GET", "HEAD", "POST"])
@vary_on_headers("HX-Request")
def incident_detail(request, number: int):
    """Leadership and operators read the page; operators act on it."""
    if request.method == "POST":
        return _act(request, number)
    if request.GET.get("part") == "live":
        return _live(request, number)
    return _render_page(request, _incident_for(request, number))
