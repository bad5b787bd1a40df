"""Near misses: the list with a form anyone with a portal role may use, and one near miss
with its triage and promotion to a review."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from incidents.models import Severity

from .. import permissions
from ..forms import NearMissForm, PromoteForm, TriageForm
from ..models import NearMiss
from ..services import ReviewRefused, near_miss_promote, near_miss_record, near_miss_triage

LIST_SIZE = 200


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def near_miss_list(request):
    """Every near miss, newest first, and the form to report one. Posts: a report."""
    if not permissions.may_read_near_misses(request.user):
        raise PermissionDenied("Near misses are for people with a portal role.")
    form = NearMissForm(request.POST or None, initial={"potential_severity": Severity.SEV3})
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                near_miss = near_miss_record(
                    service=data["service"], what_happened=data["what_happened"],
                    potential_impact=data["potential_impact"],
                    potential_severity=data["potential_severity"], by=request.user,
                )
            except ReviewRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(
                    request,
                    f"Thank you: {near_miss.reference} is reported; "
                    f"{near_miss.service.owner_team} will triage it.",
                )
                return redirect(near_miss)
        status = 400
    near_misses = list(
        NearMiss.objects.select_related("service__owner_team", "review")[:LIST_SIZE]
    )
    counts = dict(NearMiss.objects.values_list("state").annotate(n=Count("pk")))
    context = {
        "form": form,
        "near_misses": near_misses,
        "new_count": counts.get(NearMiss.State.NEW, 0),
    }
    return render(request, "reviews/near_miss_list.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def near_miss_detail(request, pk):
    """One near miss. Posts (its owners, roster admins, commanders): ``triage``, ``promote``."""
    near_miss = get_object_or_404(
        NearMiss.objects.select_related("service__owner_team", "review"), pk=pk
    )
    if not permissions.may_read_near_miss(request.user, near_miss):
        raise PermissionDenied("Near misses are for people with a portal role and their owners.")
    may_triage = permissions.may_triage_near_miss(request.user, near_miss)
    triage_form = TriageForm(initial={"state": NearMiss.State.ACCEPTED})
    promote_form = PromoteForm(initial={"severity": near_miss.potential_severity})
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "triage":
                triage_form = TriageForm(request.POST)
                if triage_form.is_valid():
                    near_miss_triage(
                        near_miss=near_miss, by=request.user,
                        state=triage_form.cleaned_data["state"],
                        note=triage_form.cleaned_data["note"],
                    )
                    messages.success(request, f"Triaged: {near_miss.get_state_display()}.")
                    return redirect(near_miss)
            elif action == "promote":
                promote_form = PromoteForm(request.POST)
                if promote_form.is_valid():
                    review = near_miss_promote(
                        near_miss=near_miss, by=request.user,
                        severity=promote_form.cleaned_data["severity"],
                    )
                    messages.success(request, f"Promoted: {review.reference} is a new draft.")
                    return redirect(review)
            else:
                messages.error(request, "Unknown action.")
                return redirect(near_miss)
        except ReviewRefused as refusal:
            messages.error(request, str(refusal))
            return redirect(near_miss)
        status = 400
    context = {
        "near_miss": near_miss,
        "may_triage": may_triage,
        "triage_form": triage_form,
        "promote_form": promote_form,
    }
    return render(request, "reviews/near_miss_detail.html", context, status=status)
