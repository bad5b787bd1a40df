"""/board/: every open incident as a card, polled live, with one-click actions for operators."""

from dataclasses import dataclass
from urllib.parse import urlsplit

from django import forms
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.backends.utils import csrf_input
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from portal import roles
from portal.roles import role_required

from ..board import BoardFilterForm, board_version, filtered_incidents
from ..board_cards import Viewer, board_card, board_queryset, rendered_cards, severity_above
from ..models import Incident, IncidentRole, IncidentRoleKind, Severity
from ..services import (
    NotAllowed,
    TransitionRefused,
    incident_acknowledge,
    incident_add_note,
    incident_assign_role,
    incident_change_severity,
    may_declare,
    person_of,
)

VERSION_PARAM = "v"
NOTE_MAX_LENGTH = 4000
# Marks a refused quick action's re-rendered card, so that the page's script swaps it in
# although htmx leaves 4xx responses out of the page by default.
CARD_HEADER = "X-Board-Card"


@require_GET
@never_cache
@vary_on_headers("HX-Request")
@role_required(roles.LEADERSHIP, *roles.OPERATORS)
def board(request):
    """The board page, or its cards alone for htmx (a filter change or a poll).

    A poll carries the version it holds; while nothing changed it gets 204 and no body, after
    one version query.
    """
    partial = request.htmx and not request.htmx.history_restore_request
    version = board_version()
    if partial and request.GET.get(VERSION_PARAM) == version.token:
        return HttpResponse(status=204)

    person = person_of(request.user)
    filter_form = BoardFilterForm(request.GET)
    filters_valid = filter_form.is_valid()
    filters = filter_form.cleaned_data if filters_valid else {}
    incidents = list(filtered_incidents(board_queryset(), filters, person))
    now = timezone.now()

    query = request.GET.copy()
    query.pop(VERSION_PARAM, None)
    board_url = reverse("incidents:board")
    here = f"{board_url}?{query.urlencode()}" if query else board_url
    query[VERSION_PARAM] = version.token
    viewer = _viewer(request, person, here)
    context = {
        "incidents": incidents,
        "cards": rendered_cards(incidents, now, viewer),
        "open_count": version.open_count,
        "filter_form": filter_form,
        "filters_valid": filters_valid,
        "filtering": filters_valid and filter_form.is_filtering,
        "mine_without_person": bool(filters.get("mine")) and person is None,
        "poll_url": f"{board_url}?{query.urlencode()}",
        "version": version.token,
        "now": now,
        # The page's button only: a poll's partial never shows it, so asks nothing.
        "may_declare": not partial and may_declare(request.user),
    }
    template = "incidents/board.html#cards" if partial else "incidents/board.html"
    return render(request, template, context)


def _viewer(request, person, here: str) -> Viewer:
    can_act = roles.has_role(request.user, *roles.OPERATORS)
    return Viewer(
        person=person,
        can_act=can_act,
        next_url=here,
        # Rendered once here rather than by {% csrf_token %} in each of a card's four forms.
        csrf_input=csrf_input(request) if can_act else "",
    )


# --- Quick actions ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    level: str  # success · info · error
    text: str


class NoteForm(forms.Form):
    text = forms.CharField(
        max_length=NOTE_MAX_LENGTH,
        error_messages={
            "required": "A note needs some text.",
            "max_length": f"A note from the board can be at most {NOTE_MAX_LENGTH} characters.",
        },
    )


def _acknowledge(request, incident: Incident) -> Notice:
    if incident_acknowledge(incident=incident, by=request.user):
        return Notice("success", f"{incident.reference} acknowledged.")
    return Notice("info", f"{incident.reference} was already acknowledged.")


def _take_command(request, incident: Incident) -> Notice:
    person = person_of(request.user)
    if person is None:
        raise TransitionRefused(
            "Your login is not linked to a person in the roster, so you cannot take a seat. "
            "Ask a roster admin to link it."
        )
    seat = (
        IncidentRole.objects.select_related("holder")
        .filter(incident=incident, kind=IncidentRoleKind.COMMANDER)
        .first()
    )
    if seat is not None and seat.holder_id == person.pk:
        return Notice("info", f"You already are the incident commander of {incident.reference}.")
    incident_assign_role(
        incident=incident, kind=IncidentRoleKind.COMMANDER, person=person, by=request.user
    )
    if seat is not None:
        return Notice(
            "success",
            f"You took over as incident commander of {incident.reference} from {seat.holder}.",
        )
    return Notice("success", f"You are now the incident commander of {incident.reference}.")


def _raise_severity(request, incident: Incident) -> Notice:
    """One level up from the severity the card showed; the service checks decision authority."""
    wanted = request.POST.get("to", "")
    if wanted not in Severity.values:
        raise TransitionRefused("Choose the severity to raise the incident to.")
    current = Severity(incident.severity).label
    expected = severity_above(incident.severity)
    if expected is None:
        raise TransitionRefused(f"{incident.reference} is already {current}, the highest.")
    if wanted != expected:
        # Someone changed the severity since the card was drawn: raising from a stale card
        # could jump two levels, or lower it.
        raise TransitionRefused(
            f"{incident.reference} is {current} now; the board was out of date. "
            "Look again before raising it."
        )
    incident_change_severity(incident=incident, severity=wanted, by=request.user)
    return Notice("success", f"{incident.reference} raised from {current} to {wanted.upper()}.")


def _post_note(request, incident: Incident) -> Notice:
    form = NoteForm(request.POST)
    if not form.is_valid():
        raise TransitionRefused(" ".join(form.errors["text"]))
    incident_add_note(incident=incident, text=form.cleaned_data["text"], by=request.user)
    return Notice("success", f"Note added to {incident.reference}.")


ACTIONS = {
    "acknowledge": _acknowledge,
    "take-command": _take_command,
    "raise-severity": _raise_severity,
    "note": _post_note,
}
MESSAGE_LEVELS = {"success": messages.SUCCESS, "info": messages.INFO, "error": messages.ERROR}


@require_POST
@role_required(*roles.OPERATORS)
def board_action(request, number: int, action: str):
    """Run one quick action on an open incident's card.

    With htmx the card comes back re-rendered with the outcome in it (403 when the actor's
    roles refuse it); a plain form is redirected back to the board with a message.
    """
    handler = ACTIONS.get(action)
    if handler is None:
        raise Http404("The board has no such action.")
    status = 200
    try:
        # One transaction with the incident locked: the checks made here (is it open? which
        # severity is one level up?) still hold when the workflow runs, and a refusal leaves
        # nothing half-written.
        with transaction.atomic():
            incident = Incident.objects.select_for_update().filter(pk=number).first()
            if incident is None:
                raise Http404(f"There is no incident INC-{number}.")
            if not incident.is_open:
                raise TransitionRefused(
                    f"{incident.reference} is {incident.get_status_display().lower()}; "
                    "it is no longer on the board."
                )
            notice = handler(request, incident)
    except NotAllowed as refusal:
        notice, status = Notice("error", str(refusal)), 403
    except TransitionRefused as refusal:
        notice = Notice("error", str(refusal))

    next_url = _board_return_url(request)
    if not request.htmx:
        messages.add_message(request, MESSAGE_LEVELS[notice.level], notice.text)
        return redirect(f"{next_url}#incident-{number}")

    person = person_of(request.user)
    viewer = _viewer(request, person, next_url)
    context = {
        "card": board_card(number, timezone.now(), person),
        "number": number,
        "notice": notice,
        "can_act": viewer.can_act,
        "csrf_input": viewer.csrf_input,
        "next_url": viewer.next_url,
    }
    template = "incidents/board.html#card" if context["card"] else "incidents/board.html#gone"
    response = render(request, template, context, status=status)
    if status == 403:
        response[CARD_HEADER] = "1"
    return response


def _board_return_url(request) -> str:
    """Where a plain form goes back to: the board with the filters it had, nowhere else.

    The query string is parsed and encoded again, so nothing but the board's own parameters
    in their plain form reaches the Location header.
    """
    board_url = reverse("incidents:board")
    try:
        wanted = urlsplit(request.POST.get("next", ""))
    except ValueError:
        return board_url
    if wanted.scheme or wanted.netloc or wanted.path != board_url:
        return board_url
    query = QueryDict(wanted.query, mutable=True)
    query.pop(VERSION_PARAM, None)
    return f"{board_url}?{query.urlencode()}" if query else board_url
