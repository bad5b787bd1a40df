"""An incident's status updates: drafting with prepared statements, the preview of every
audience's wording, publishing; huddles and the status of the affected services. Also the
page where people choose which services' updates they follow.

One view per page; a hidden ``action`` field says which form was posted. Every page works
without JavaScript: a refused form comes back filled in, with the reason.
"""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from portal import roles
from portal.ids import parse_id
from portal.roles import role_required

from ..clocks import TargetBook, incident_clocks
from ..comms import cadence, final_update
from ..comms.authority import may_post
from ..comms.forms import DraftForm, FollowForm, HuddleForm, ServiceStatusForm, draft_initial
from ..comms.glossary import NameBook
from ..comms.publish import (
    UpdateRefused,
    WordingFlagged,
    check_draft,
    default_next_update,
    draft_flags,
    update_publish,
)
from ..comms.render import (
    ANSWERS,
    Draft,
    audiences_for,
    incident_facts,
    render_all,
    when,
)
from ..comms.sandbox import TemplateProblem, render_text
from ..comms.service_status import (
    StatusRefused,
    service_status_publish_held,
    service_status_set,
)
from ..forms import MAX_NUMBER
from ..models import (
    Audience,
    Channel,
    Decision,
    DecisionAuthority,
    Incident,
    PreparedStatement,
    ServiceStatus,
    ServiceSubscription,
    StatusUpdate,
)
from ..services import NotAllowed, may, person_of
from ..services.authority import describe

READERS = (roles.LEADERSHIP, *roles.OPERATORS)
PAGE = "incidents/updates.html"
PREVIEW = "incidents/updates_preview.html"
DRAFT = "draft"


def posted_id(request, name: str) -> int:
    """A primary key from the posted form; 0 (which names no row) when it is not one."""
    return parse_id(request.POST.get(name)) or 0


def _incident(number: int) -> Incident:
    if number > MAX_NUMBER:
        raise Http404("No such incident.")
    return get_object_or_404(Incident, pk=number)


@dataclass(frozen=True)
class Wording:
    audience: str
    channel: str
    subject: str
    body: str

    @property
    def label(self) -> str:
        return f"{Audience(self.audience).label} · {Channel(self.channel).label}"


def wordings(update: StatusUpdate) -> list[Wording]:
    """What each audience got, in the order of ``Audience``."""
    out = []
    for audience in Audience.values:
        for channel, text in (update.rendered or {}).get(audience, {}).items():
            out.append(Wording(audience, channel, text.get("subject", ""), text.get("body", "")))
    return out


def statement_text(statement: PreparedStatement, incident: Incident) -> str:
    """A prepared statement filled in for ``incident`` (public facts only)."""
    facts = incident_facts(incident)
    latest = (
        incident.decisions.exclude(kind=Decision.Kind.OTHER).order_by("-decided_at").first()
    )
    context = {
        "services": facts.public_services,
        "next_update": when(default_next_update(incident, timezone.now())),
        "decision": latest.decision if latest else "",
        "rationale": latest.rationale if latest else "",
    }
    try:
        return render_text(statement.text, context, what=f"The statement “{statement.title}”")
    except TemplateProblem:
        return statement.text


def may_publish_public(user, incident: Incident) -> bool:
    return may_post(user, incident) and may(
        user, DecisionAuthority.Action.PUBLISH_CUSTOMERS, incident.severity, incident
    )


def publish_rule(incident: Incident) -> str:
    """Who may publish to customers at the incident's severity, in words."""
    authority = DecisionAuthority.objects.filter(
        severity=incident.severity, action=DecisionAuthority.Action.PUBLISH_CUSTOMERS
    ).prefetch_related("portal_roles").first()
    return describe(authority) if authority else "nobody (not configured)"


def _draft_form(request, incident: Incident, data=None) -> DraftForm:
    """The draft form for this poster: public offered only to those who may publish to
    customers; a fresh form starts from the last update's words."""
    allowed = may_publish_public(request.user, incident)
    if data is not None:
        return DraftForm(data, prefix=DRAFT, public_allowed=allowed)
    waiting = final_update.waiting_draft(incident) if cadence.wrap_up_due(incident) else None
    last = waiting[0] if waiting else incident.status_updates.order_by("-posted_at", "-id").first()
    return DraftForm(
        prefix=DRAFT, public_allowed=allowed,
        initial=draft_initial(last, public_allowed=allowed),
    )


def _page_context(request, incident: Incident, *, draft_form=None, huddle_form=None,
                  status_form=None) -> dict:
    poster = may_post(request.user, incident)
    services = list(incident.services.order_by("tier", "name"))
    updates = list(incident.status_updates.order_by("-posted_at", "-id"))
    targets = TargetBook().for_incident(incident.severity, [s.pk for s in services])
    clocks = incident_clocks(incident, targets, timezone.now())
    statements = list(PreparedStatement.objects.filter(active=True))
    person = person_of(request.user)
    seated = [seat.holder_id for seat in incident.roles.all()]
    return {
        "incident": incident,
        "services": services,
        "updates": [(update, wordings(update)) for update in updates],
        "update_clock": next((c for c in clocks if c.name == "update"), None),
        "may_post": poster,
        "may_publish_public": may_publish_public(request.user, incident),
        "publish_rule": publish_rule(incident),
        "can_act": roles.has_role(request.user, *roles.OPERATORS),
        "draft_form": draft_form or (_draft_form(request, incident) if poster else None),
        "statements": [(s, statement_text(s, incident)) for s in statements],
        "huddle_form": huddle_form or HuddleForm(prefix="huddle", initial={"invitees": seated}),
        "status_form": status_form or ServiceStatusForm(prefix="status", incident=incident),
        "huddles": list(
            incident.huddles.filter(at__gte=timezone.now()).prefetch_related("invitees")
        ),
        "wrap_up_due": cadence.wrap_up_due(incident),
        "final_waiting": final_update.waiting_draft(incident),
        "person": person,
    }


def _render_page(request, incident, *, status=200, **forms):
    return render(request, PAGE, _page_context(request, incident, **forms), status=status)


def _render_preview(request, incident, form, draft, *, status=200, error=""):
    book = NameBook.load()
    flags = draft_flags(draft, book)
    renderings = render_all(incident, draft, audiences=audiences_for(draft), book=book)
    context = {
        "incident": incident,
        "form": form,
        "draft": draft,
        "flags": flags,
        "blocking": [flag for flag in flags if flag.blocking],
        "renderings": renderings,
        "error": error,
        "next_update": when(draft.next_update_at or default_next_update(incident, timezone.now())),
        "hidden_fields": [
            field for field in form if field.name not in ("confirm_flagged", "statement")
        ],
    }
    return render(request, PREVIEW, context, status=status)


def _draft_of(form: DraftForm) -> Draft:
    return Draft.from_data(form.cleaned_data)


def _mark_missing(form: DraftForm, missing: list[str]) -> None:
    for name, label in ANSWERS.items():
        if label in missing:
            form.add_error(name, "Answer this question.")


@role_required(*READERS)
@require_http_methods(["GET", "HEAD", "POST"])
def incident_updates(request, number: int):
    incident = _incident(number)
    if request.method != "POST":
        return _render_page(request, incident)
    action = request.POST.get("action", "")
    handler = ACTIONS.get(action)
    if handler is None:
        messages.error(request, "Nothing was changed: that action is not known.")
        return _render_page(request, incident, status=400)
    return handler(request, incident)


def _draft_form_or_refuse(request, incident):
    if not may_post(request.user, incident):
        raise PermissionDenied(
            "Updates are posted by the communications lead or the commander."
        )
    return _draft_form(request, incident, request.POST)


def _use_statement(request, incident):
    form = _draft_form_or_refuse(request, incident)
    statement = PreparedStatement.objects.filter(
        pk=posted_id(request, f"{DRAFT}-statement"), active=True
    ).first()
    if statement is None:
        messages.error(request, "Choose a prepared statement first.")
        return _render_page(request, incident, draft_form=form, status=400)
    data = request.POST.copy()
    current = data.get(f"{DRAFT}-customer_wording", "").strip()
    text = statement_text(statement, incident)
    data[f"{DRAFT}-customer_wording"] = f"{current}\n\n{text}" if current else text
    data[f"{DRAFT}-statement"] = ""
    messages.info(request, f"“{statement.title}” was added to the customer wording.")
    return _render_page(request, incident, draft_form=_draft_form(request, incident, data))


def _edit(request, incident):
    return _render_page(request, incident, draft_form=_draft_form_or_refuse(request, incident))


def _preview(request, incident):
    form = _draft_form_or_refuse(request, incident)
    if not form.is_valid():
        messages.error(request, "The draft has errors: see the fields below.")
        return _render_page(request, incident, draft_form=form, status=400)
    draft = _draft_of(form)
    try:
        check_draft(incident, draft, by=request.user)
    except NotAllowed as refusal:
        messages.error(request, str(refusal))
        return _render_page(request, incident, draft_form=form, status=403)
    except UpdateRefused as refusal:
        messages.error(request, str(refusal))
        _mark_missing(form, refusal.missing)
        return _render_page(request, incident, draft_form=form, status=400)
    return _render_preview(request, incident, form, draft)


def _publish(request, incident):
    form = _draft_form_or_refuse(request, incident)
    if not form.is_valid():
        messages.error(request, "The draft has errors: see the fields below.")
        return _render_page(request, incident, draft_form=form, status=400)
    draft = _draft_of(form)
    try:
        update = update_publish(
            incident=incident, draft=draft, by=request.user,
            confirm_flagged=form.cleaned_data["confirm_flagged"],
        )
    except WordingFlagged as flagged:
        return _render_preview(request, incident, form, draft, status=400, error=str(flagged))
    except NotAllowed as refusal:
        messages.error(request, str(refusal))
        return _render_page(request, incident, draft_form=form, status=403)
    except UpdateRefused as refusal:
        messages.error(request, str(refusal))
        _mark_missing(form, refusal.missing)
        return _render_page(request, incident, draft_form=form, status=400)
    where = "on the status page and to stakeholders" if update.is_public else "to stakeholders"
    messages.success(request, f"Update published {where}.")
    url = reverse("incidents:incident_updates", args=[incident.pk])
    return redirect(f"{url}#update-{update.pk}")


def _huddle(request, incident):
    if not roles.has_role(request.user, *roles.OPERATORS):
        raise PermissionDenied("Huddles are called by the people running the incident.")
    form = HuddleForm(request.POST, prefix="huddle")
    if not form.is_valid():
        messages.error(request, "The huddle was not scheduled: see the fields below.")
        return _render_page(request, incident, huddle_form=form, status=400)
    data = form.cleaned_data
    try:
        cadence.huddle_schedule(
            incident=incident, at=data["at"], bridge_link=data["bridge_link"],
            invitees=data["invitees"], agenda=data["agenda"], by=request.user,
        )
    except cadence.HuddleRefused as refusal:
        form.add_error(None, str(refusal))
        messages.error(request, str(refusal))
        return _render_page(request, incident, huddle_form=form, status=400)
    messages.success(request, f"Huddle scheduled; {len(data['invitees'])} people invited.")
    return redirect("incidents:incident_updates", number=incident.pk)


def _service_status(request, incident):
    form = ServiceStatusForm(request.POST, prefix="status", incident=incident)
    if not form.is_valid():
        messages.error(request, "The status was not changed: see the fields below.")
        return _render_page(request, incident, status_form=form, status=400)
    service, status = form.cleaned_data["service"], form.cleaned_data["status"]
    try:
        changed = service_status_set(
            incident=incident, service=service, status=status, by=request.user
        )
    except NotAllowed as refusal:
        messages.error(request, str(refusal))
        return _render_page(request, incident, status_form=form, status=403)
    except StatusRefused as refusal:
        messages.error(request, str(refusal))
        return _render_page(request, incident, status_form=form, status=400)
    service.refresh_from_db()
    if changed:
        messages.success(request, f"{service.name} now shows “{service.get_status_display()}”.")
    else:
        messages.info(request, f"{service.name} already showed that status.")
    return redirect("incidents:incident_updates", number=incident.pk)


def _service_status_publish(request, incident):
    """Publish the automatic change held for one of the incident's services."""
    service = incident.services.filter(pk=posted_id(request, "service")).first()
    if service is None:
        messages.error(request, "Choose one of the incident's services.")
        return _render_page(request, incident, status=400)
    try:
        shown = service_status_publish_held(incident=incident, service=service, by=request.user)
    except NotAllowed as refusal:
        messages.error(request, str(refusal))
        return _render_page(request, incident, status=403)
    except StatusRefused as refusal:
        messages.error(request, str(refusal))
        return _render_page(request, incident, status=400)
    messages.success(request, f"{service.name} now shows “{ServiceStatus(shown).label}”.")
    return redirect("incidents:incident_updates", number=incident.pk)


ACTIONS = {
    "use_statement": _use_statement,
    "edit": _edit,
    "preview": _preview,
    "publish": _publish,
    "huddle": _huddle,
    "service_status": _service_status,
    "service_status_publish": _service_status_publish,
}


# --- following services ---------------------------------------------------------------------


@role_required(*roles.ALL_ROLES)
@require_http_methods(["GET", "HEAD", "POST"])
def update_following(request):
    """The services whose updates the viewer's roster person receives, and in which wording.
    Internal updates: a login without a portal role follows nothing."""
    person = person_of(request.user)
    form = FollowForm(prefix="follow")
    status = 200
    if request.method == "POST":
        if person is None:
            raise PermissionDenied("Your login is not linked to a person in the roster.")
        if request.POST.get("action") == "unfollow":
            ServiceSubscription.objects.filter(
                person=person, pk=posted_id(request, "subscription")
            ).delete()
            messages.success(request, "You no longer follow that service.")
            return redirect("incidents:update_following")
        form = FollowForm(request.POST, prefix="follow")
        if form.is_valid():
            service = form.cleaned_data["service"]
            ServiceSubscription.objects.update_or_create(
                person=person, service=service,
                defaults={"audience": form.cleaned_data["audience"]},
            )
            messages.success(request, f"You now receive the updates on {service.name}.")
            return redirect("incidents:update_following")
        status = 400
    following = (
        ServiceSubscription.objects.filter(person=person).select_related("service")
        if person is not None
        else []
    )
    return render(
        request,
        "incidents/updates_following.html",
        {"person": person, "following": following, "form": form},
        status=status,
    )

