"""Distribution lists: who is told when a review is published (commanders, roster admins)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from .. import permissions
from ..forms import DistributionListForm
from ..models import DistributionList
from ..services.distribution import recipients


def _keeper_required(request) -> None:
    if not permissions.may_keep_distribution_lists(request.user):
        raise PermissionDenied("Distribution lists are kept by commanders and roster admins.")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def distribution_lists(request):
    """Every list with who it reaches, and the form for a new one. Posts: a new list."""
    _keeper_required(request)
    form = DistributionListForm(request.POST or None, prefix="new")
    if request.method == "POST" and form.is_valid():
        entry = form.save()
        messages.success(request, f"List “{entry}” saved.")
        return redirect("reviews:distribution_lists")
    lists = list(
        DistributionList.objects.prefetch_related("services", "people", "teams", "audiences")
    )
    for entry in lists:
        entry.reach = recipients([entry])
    context = {"lists": lists, "form": form}
    status = 400 if request.method == "POST" else 200
    return render(request, "reviews/distribution_lists.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def distribution_list_edit(request, pk):
    """One list. Posts: ``save`` or ``delete``."""
    _keeper_required(request)
    entry = get_object_or_404(DistributionList, pk=pk)
    form = DistributionListForm(instance=entry)
    if request.method == "POST":
        if request.POST.get("action") == "delete":
            entry.delete()
            messages.success(request, f"List “{entry}” deleted.")
            return redirect("reviews:distribution_lists")
        form = DistributionListForm(request.POST, instance=entry)
        if form.is_valid():
            form.save()
            messages.success(request, f"List “{entry}” saved.")
            return redirect("reviews:distribution_lists")
    status = 400 if request.method == "POST" else 200
    context = {"entry": entry, "form": form}
    return render(request, "reviews/distribution_list_form.html", context, status=status)
