"""Escalation pages: the policy matrix, and an incident's plan with manual paging."""

from django.contrib import messages
from django.db import transaction
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from portal import roles
from portal.ids import parse_id
from portal.roles import role_required

from ..escalation import engine
from ..escalation.plan import TARGET_LABELS, ran_steps, upcoming_steps
from ..escalation.targets import resolve
from ..models import (
    EscalationPolicy,
    Incident,
    Person,
    Rotation,
    Severity,
    Team,
    Tier,
)
from ..services import NotAllowed
from ..services.authority import require_operator

READERS = (roles.LEADERSHIP, *roles.OPERATORS, roles.ROSTER_ADMINS)


@role_required(*READERS)
def escalation_matrix(request):
    """Every tier × severity cell with its policy's steps."""
    policies = EscalationPolicy.objects.prefetch_related(
        "steps__targets__rotation", "steps__targets__person", "steps__targets__team",
        "steps__targets__audience",
    ).select_related("fallback_rotation", "fallback_person")
    by_cell = {(p.tier, p.severity): p for p in policies}
    rows = [
        {
            "tier": tier,
            "cells": [
                {"severity": sev, "policy": by_cell.get((tier, sev.value))} for sev in Severity
            ],
        }
        for tier in Tier
    ]
    return render(
        request,
        "incidents/escalation_matrix.html",
        {"rows": rows, "severities": list(Severity), "target_labels": TARGET_LABELS},
    )


@role_required(roles.LEADERSHIP, *roles.OPERATORS)
@require_http_methods(["GET", "POST"])
def escalation_plan(request, number: int):
    incident = get_object_or_404(Incident, pk=number)
    if request.method == "POST":
        return _plan_action(request, incident)
    return _plan_page(request, incident)


def _plan_page(request, incident: Incident, *, status: int = 200, confirm=None):
    now = timezone.now()
    acknowledged = incident.acknowledged_at is not None
    return render(
        request,
        "incidents/escalation_plan.html",
        {
            "incident": incident,
            "ran": ran_steps(incident),
            "upcoming": upcoming_steps(incident, now),
            "can_act": roles.has_role(request.user, *roles.OPERATORS) and incident.is_open,
            "next_by_hand": engine.next_step_by_hand(incident) if acknowledged else None,
            "confirm": confirm,
            "page_choices": [
                {"kind": "person", "label": "A person", "options": Person.objects.all()},
                {"kind": "team", "label": "Every member of a team", "options": Team.objects.all()},
                {
                    "kind": "rotation",
                    "label": "Whoever is on call for a rotation",
                    "options": Rotation.objects.all(),
                },
            ],
        },
        status=status,
    )


PAGE_KINDS = {"person": Person, "team": Team, "rotation": Rotation}


def _page_choice(request):
    """(kind, the chosen row) from a manual page form, or None when it names nothing."""
    kind, target = request.POST.get("target_kind", ""), parse_id(request.POST.get("target"))
    if target is None or kind not in PAGE_KINDS:
        return None
    chosen = PAGE_KINDS[kind].objects.filter(pk=target).first()
    return (kind, chosen) if chosen is not None else None


def _page(request, incident: Incident):
    """First a confirmation that lists who would be paged; the page goes out only when that
    confirmation is posted."""
    choice = _page_choice(request)
    if choice is None:
        messages.error(request, "Choose a person, a team or a rotation to page.")
        return _plan_page(request, incident, status=400)
    kind, chosen = choice
    people = resolve({"kind": kind, kind: chosen.pk}, incident, timezone.now())
    if not people:
        messages.error(request, f"{chosen} reaches nobody right now (a rotation gap?).")
        return _plan_page(request, incident, status=400)
    if request.POST.get("confirmed") != "yes":
        confirm = {"kind": kind, "target": chosen, "people": people}
        return _plan_page(request, incident, confirm=confirm)
    with transaction.atomic():
        reached = engine.page_now(incident, people, by=request.user)
    names = ", ".join(p.name for p in reached) or "nobody with a usable method"
    messages.success(request, f"Paged {names}.")
    return redirect("incidents:escalation_plan", number=incident.pk)


def _escalate_now(request, incident: Incident) -> None:
    """The next step now: the pending timer's step while paging runs; after acknowledgement,
    the step that would have come next, once, as a manual page that re-arms nothing."""
    with transaction.atomic():
        if engine.escalate_now(incident, by=request.user):
            messages.success(request, "The next escalation step ran.")
            return
        reached = engine.escalate_next_by_hand(incident, by=request.user)
    if reached is None:
        messages.error(
            request, "Every step of the escalation policy has run: page someone by hand below."
        )
        return
    names = ", ".join(p.name for p in reached) or "nobody reachable"
    messages.success(
        request, f"The next escalation step paged {names}. Paging stays stopped: nothing "
        "further runs on its own.",
    )


def _plan_action(request, incident: Incident):
    action = request.POST.get("action", "")
    require_operator(request.user)  # leadership reads the plan; a refusal is a 403
    try:
        if not incident.is_open:
            messages.error(request, "This incident is no longer open: nothing to escalate.")
        elif action == "page":
            return _page(request, incident)
        elif action == "escalate_now":
            _escalate_now(request, incident)
        elif action == "reapply":
            with transaction.atomic():
                engine.escalation_replan(incident)
            messages.success(request, "The current policy was re-applied from its first step.")
        else:
            messages.error(request, "Unknown action.")
    except NotAllowed as refusal:
        messages.error(request, str(refusal))
    return redirect("incidents:escalation_plan", number=incident.pk)
