"""Playbook pages: the list with stale flags, one playbook with its live facts, editing,
and the version history with a diff between any two versions."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from incidents.models import Incident, Service
from portal.roles import role_required

from ..diff import line_diff
from ..facts import live_facts
from ..forms import AttachForm, PlaybookForm
from ..models import Playbook, PlaybookVersion
from ..permissions import (
    PLAYBOOK_READERS,
    may_attach_playbooks,
    may_edit_playbooks,
    may_read_drills,
)
from ..rendering import render_markdown
from ..services import (
    PlaybookRefused,
    may_detach,
    playbook_attach,
    playbook_create,
    playbook_detach,
    playbook_mark_reviewed,
    playbook_update,
)


def _editor_required(request) -> None:
    if not may_edit_playbooks(request.user):
        raise PermissionDenied("Only operators and roster admins edit playbooks.")


@require_safe
@role_required(*PLAYBOOK_READERS)
def playbook_list(request):
    now = timezone.now()
    playbooks = list(
        Playbook.objects.select_related("owner_team")
        .prefetch_related(Prefetch("services", queryset=Service.objects.order_by("tier", "name")))
        .annotate(version_count=Count("versions"))
        .order_by("title")
    )
    for playbook in playbooks:
        playbook.flag_stale = playbook.is_stale(now)
    uncovered = Service.objects.filter(playbooks=None).order_by("tier", "name")
    context = {
        "playbooks": playbooks,
        "stale_count": sum(1 for p in playbooks if p.flag_stale),
        "uncovered": list(uncovered),
        "may_edit": may_edit_playbooks(request.user),
        "may_read_drills": may_read_drills(request.user),
    }
    return render(request, "playbooks/playbook_list.html", context)


@role_required(*PLAYBOOK_READERS)
@require_http_methods(["GET", "HEAD", "POST"])
def playbook_detail(request, slug):
    """The playbook: its text, its checklist and the live facts. Posts: ``attach`` (to an
    incident, operators), ``detach`` (from an incident's page, its commanders) and
    ``reviewed`` (editors)."""
    playbook = get_object_or_404(Playbook.objects.select_related("owner_team__manager"), slug=slug)
    attach_form = AttachForm(prefix="attach")
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "attach":
            if not may_attach_playbooks(request.user):
                raise PermissionDenied("Only operators add tasks to incidents.")
            attach_form = AttachForm(request.POST, prefix="attach")
            if attach_form.is_valid():
                incident = attach_form.cleaned_data["incident"]
                try:
                    added = playbook_attach(playbook=playbook, incident=incident, by=request.user)
                except PlaybookRefused as refusal:
                    attach_form.add_error("incident", str(refusal))
                else:
                    if added:
                        messages.success(
                            request, f"{len(added)} steps added to {incident.reference} as tasks."
                        )
                    else:
                        note = f"Every step is already on {incident.reference}: nothing added."
                        messages.info(request, note)
                    return redirect(playbook)
            status = 400
        elif action == "detach":
            return _detach(request, playbook)
        elif action == "reviewed":
            _editor_required(request)
            playbook_mark_reviewed(playbook=playbook, by=request.user)
            messages.success(request, "Marked as reviewed: the review clock starts again.")
            return redirect(playbook)
        else:
            messages.error(request, "Unknown action.")
            return redirect(playbook)
    now = timezone.now()
    version = playbook.current
    context = {
        "playbook": playbook,
        "version": version,
        "body": render_markdown(version.body) if version else "",
        "steps": version.checklist_items if version else [],
        "stale": playbook.is_stale(now),
        "facts": live_facts(playbook, now),
        "may_edit": may_edit_playbooks(request.user),
        "may_attach": may_attach_playbooks(request.user),
        "attach_form": attach_form,
        "open_incidents": list(
            Incident.objects.open()
            .filter(services__in=playbook.services.all(), duplicate_of=None)
            .distinct()
            .order_by("-declared_at")[:10]
        ),
    }
    return render(request, "playbooks/playbook_detail.html", context, status=status)


def _detach(request, playbook: Playbook):
    """Take the playbook off an incident (posted from the incident page, back to it)."""
    if not may_attach_playbooks(request.user):
        raise PermissionDenied("Only incident commanders detach playbooks.")
    form = AttachForm(request.POST, prefix="detach")
    if not form.is_valid():
        problems = " ".join(error for errors in form.errors.values() for error in errors)
        messages.error(request, f"Nothing was detached. {problems}")
        return render(request, "playbooks/detach_refused.html",
                      {"playbook": playbook, "problem": problems}, status=400)
    incident = form.cleaned_data["incident"]
    if not may_detach(request.user, incident):
        raise PermissionDenied("Only incident commanders detach playbooks.")
    try:
        removed, kept = playbook_detach(playbook=playbook, incident=incident, by=request.user)
    except PlaybookRefused as refusal:
        messages.error(request, str(refusal))
        return redirect(incident)
    message = f"“{playbook.title}” detached: {removed} untouched step(s) removed"
    message += f", {kept} kept as tasks." if kept else "."
    messages.success(request, message)
    return redirect(incident)


@role_required(*PLAYBOOK_READERS)
@require_http_methods(["GET", "HEAD", "POST"])
def playbook_new(request):
    _editor_required(request)
    form = PlaybookForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            playbook = playbook_create(
                title=data["title"], body=data["body"], checklist=data["checklist"],
                owner_team=data["owner_team"], services=data["services"],
                summary=data["summary"], incident_type=data["incident_type"],
                review_interval_days=data["review_interval_days"], note=data["note"],
                connectors=data["connectors"], integrations=data["integrations"],
                by=request.user,
            )
        except PlaybookRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(request, "Playbook saved as version 1.")
            return redirect(playbook)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "playbook": None}
    return render(request, "playbooks/playbook_form.html", context, status=status)


@role_required(*PLAYBOOK_READERS)
@require_http_methods(["GET", "HEAD", "POST"])
def playbook_edit(request, slug):
    _editor_required(request)
    playbook = get_object_or_404(Playbook, slug=slug)
    form = PlaybookForm.for_playbook(playbook, data=request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            version = playbook_update(
                playbook=playbook, by=request.user, title=data["title"], body=data["body"],
                checklist=data["checklist"], services=list(data["services"]),
                summary=data["summary"], incident_type=data["incident_type"],
                owner_team=data["owner_team"],
                review_interval_days=data["review_interval_days"], note=data["note"],
                connectors=list(data["connectors"]), integrations=list(data["integrations"]),
            )
        except PlaybookRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            if version is None:
                messages.info(request, "Nothing changed: no new version.")
            else:
                messages.success(request, f"Saved as version {version.number}.")
            return redirect(playbook)
    status = 400 if request.method == "POST" else 200
    context = {"form": form, "playbook": playbook}
    return render(request, "playbooks/playbook_form.html", context, status=status)


@require_safe
@role_required(*PLAYBOOK_READERS)
def playbook_history(request, slug):
    """Every version, and the diff between two of them (``?from=&to=``, default: the last
    change)."""
    playbook = get_object_or_404(Playbook, slug=slug)
    versions = list(playbook.versions.order_by("-number"))
    if not versions:
        raise Http404("This playbook has no version yet.")
    numbers = {v.number: v for v in versions}
    newest = versions[0].number
    to_number = _number(request.GET.get("to"), newest)
    from_number = _number(request.GET.get("from"), max(to_number - 1, 1))
    if from_number not in numbers or to_number not in numbers:
        raise Http404("No such version.")
    older, newer = numbers[from_number], numbers[to_number]
    context = {
        "playbook": playbook,
        "versions": versions,
        "older": older,
        "newer": newer,
        "diffs": [
            ("Title", line_diff(older.title, newer.title)),
            ("Text", line_diff(older.body, newer.body)),
            ("Checklist", line_diff(older.checklist, newer.checklist)),
        ],
    }
    return render(request, "playbooks/playbook_history.html", context)


@require_safe
@role_required(*PLAYBOOK_READERS)
def playbook_version(request, slug, number):
    playbook = get_object_or_404(Playbook, slug=slug)
    version = get_object_or_404(PlaybookVersion, playbook=playbook, number=number)
    context = {
        "playbook": playbook,
        "version": version,
        "body": render_markdown(version.body),
        "steps": version.checklist_items,
        "is_current": version.number == playbook.current.number,
    }
    return render(request, "playbooks/playbook_version.html", context)


def _number(raw, default: int) -> int:
    try:
        return int(raw) if raw else default
    except (TypeError, ValueError):
        raise Http404("Not a version number.") from None
