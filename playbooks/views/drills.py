"""Drill pages: the list with a history chart, planning a drill, and one drill — its plan
while it can change, its report once it has started."""

from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from portal.roles import role_required

from ..follow_ups import drill_follow_ups
from ..forms import AddStakeholderForm, DrillForm, ScheduleForm, WindowsForm
from ..measurement import DrillMeasurement, measure_drill
from ..models import Drill
from ..permissions import DRILL_READERS, DRILL_RUNNERS, may_run_drills
from ..services import (
    DrillRefused,
    drill_add_stakeholder,
    drill_cancel,
    drill_create,
    drill_derive_stakeholders,
    drill_end,
    drill_schedule,
    drill_set_windows,
    drill_start,
)

HISTORY_SIZE = 12
BAR_HEIGHT = 22
BAR_GAP = 8
LABEL_WIDTH = 130
CHART_WIDTH = 560


@dataclass(frozen=True)
class HistoryBar:
    """One drill on the history chart: its share reached in window as a bar."""

    drill: Drill
    measurement: DrillMeasurement
    y: int
    width: float
    text_y: int

    @property
    def percent(self) -> int:
        return self.measurement.share_percent or 0


def history(drills: list[Drill]) -> tuple[list[HistoryBar], int]:
    """Bars oldest first, and the chart's height. Pure layout over measured drills."""
    bars = []
    plot = CHART_WIDTH - LABEL_WIDTH - 50
    for index, drill in enumerate(drills):
        measurement = measure_drill(drill)
        y = index * (BAR_HEIGHT + BAR_GAP)
        share = measurement.share_reached or 0
        bars.append(
            HistoryBar(
                drill=drill,
                measurement=measurement,
                y=y,
                width=round(plot * share, 1),
                text_y=y + BAR_HEIGHT - 6,
            )
        )
    height = max(len(bars) * (BAR_HEIGHT + BAR_GAP), BAR_HEIGHT)
    return bars, height


@require_safe
@role_required(*DRILL_READERS)
def drill_list(request):
    drills = list(
        Drill.objects.select_related("incident", "playbook").prefetch_related("services")
    )
    started = [d for d in drills if d.started_at is not None and d.incident is not None]
    started.sort(key=lambda d: d.started_at)
    bars, height = history(started[-HISTORY_SIZE:])
    context = {
        "drills": drills,
        "bars": bars,
        "chart": {
            "width": CHART_WIDTH,
            "height": height,
            "label_width": LABEL_WIDTH,
            "plot_width": CHART_WIDTH - LABEL_WIDTH - 50,
            "value_x": CHART_WIDTH - 44,
        },
        "may_run": may_run_drills(request.user),
    }
    return render(request, "playbooks/drill_list.html", context)


@role_required(*DRILL_RUNNERS)
@require_http_methods(["GET", "HEAD", "POST"])
def drill_new(request):
    form = DrillForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            drill = drill_create(
                title=data["title"], severity=data["severity"], services=data["services"],
                scenario=data["scenario"], playbook=data["playbook"], by=request.user,
            )
        except DrillRefused as refusal:
            form.add_error(None, str(refusal))
        else:
            messages.success(
                request,
                "Drill planned. Check the expected stakeholders and their reach windows, "
                "then start it or schedule it.",
            )
            return redirect(drill)
    status = 400 if request.method == "POST" else 200
    return render(request, "playbooks/drill_form.html", {"form": form}, status=status)


ACTIONS = ("windows", "add", "derive", "start", "schedule", "cancel", "end")


@role_required(*DRILL_READERS)
@require_http_methods(["GET", "HEAD", "POST"])
def drill_detail(request, pk):
    drill = get_object_or_404(
        Drill.objects.select_related("incident", "playbook", "created_by"), pk=pk
    )
    stakeholders = list(drill.stakeholders.select_related("person"))
    windows_form = WindowsForm(stakeholders=stakeholders, prefix="plan")
    add_form = AddStakeholderForm(prefix="add")
    schedule_form = ScheduleForm(prefix="schedule")
    status = 200
    if request.method == "POST":
        if not may_run_drills(request.user):
            raise PermissionDenied("Only incident commanders plan and run drills.")
        action = request.POST.get("action")
        forms_by_action = {
            "windows": WindowsForm(request.POST, stakeholders=stakeholders, prefix="plan"),
            "add": AddStakeholderForm(request.POST, prefix="add"),
            "schedule": ScheduleForm(request.POST, prefix="schedule"),
        }
        form = forms_by_action.get(action)
        # The posted form is shown again (with its errors) in place of the blank one.
        if action == "windows":
            windows_form = form
        elif action == "add":
            add_form = form
        elif action == "schedule":
            schedule_form = form
        try:
            if action not in ACTIONS:
                raise DrillRefused("Unknown action.")
            if form is not None and not form.is_valid():
                raise DrillRefused("Check the form below.")
            if action == "start" and request.POST.get("confirmed") != "yes":
                # Starting pages real people: first a confirmation that lists them.
                return _render_detail(request, drill, stakeholders, status, confirm_start=True,
                                      windows_form=windows_form, add_form=add_form,
                                      schedule_form=schedule_form)
            done = _act(request, drill, action, form)
        except DrillRefused as refusal:
            messages.error(request, str(refusal))
            status = 400
        except PermissionDenied as refusal:
            messages.error(request, str(refusal))
            status = 403
        else:
            messages.success(request, done)
            return redirect(drill)
    return _render_detail(request, drill, stakeholders, status, windows_form=windows_form,
                          add_form=add_form, schedule_form=schedule_form)


def _render_detail(request, drill: Drill, stakeholders, status: int, *, confirm_start=False,
                   **forms):
    measurement = measure_drill(drill) if drill.has_started else None
    context = {
        "drill": drill,
        "stakeholders": stakeholders,
        **forms,
        "measurement": measurement,
        "follow_ups": drill_follow_ups(drill, measurement) if measurement else [],
        "may_run": may_run_drills(request.user),
        "services": list(drill.services.order_by("tier", "name")),
        "confirm_start": confirm_start,
    }
    return render(request, "playbooks/drill_detail.html", context, status=status)


def _act(request, drill: Drill, action: str, form) -> str:
    """Run one posted action; returns what to tell the user."""
    user = request.user
    if action == "windows":
        drill_set_windows(drill=drill, windows=form.windows(), removed=form.removed(), by=user)
        return "Reach windows saved."
    if action == "add":
        person = form.cleaned_data["person"]
        drill_add_stakeholder(
            drill=drill, person=person,
            reach_window_minutes=form.cleaned_data["reach_window_minutes"], by=user,
        )
        return f"{person.name} added: the drill pages them at its start."
    if action == "derive":
        plan = drill_derive_stakeholders(drill=drill, by=user)
        return f"{len(plan.stakeholders)} stakeholders derived again from the policy."
    if action == "schedule":
        at = form.cleaned_data["at"]
        drill_schedule(drill=drill, at=at, by=user)
        return f"Scheduled: the drill starts by itself at {timezone.localtime(at):%d %b %H:%M}."
    if action == "cancel":
        drill_cancel(drill=drill, by=user)
        return "Drill cancelled."
    if action == "start":
        drill = drill_start(drill=drill, by=user)
        return (
            f"Drill started: {drill.incident.reference} declared and the escalation is running."
        )
    drill_end(drill=drill, by=user)
    return "Drill ended: its incident is resolved and nobody else is paged."
