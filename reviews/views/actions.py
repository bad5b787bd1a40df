"""Action items across every review: the filtered list, and one item with its status."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import EmptyPage, PageNotAnInteger
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe
from django_tables2 import RequestConfig

from .. import permissions
from ..filters import ActionItemFilter
from ..forms import ActionItemForm, ActionItemStatusForm
from ..models import ActionItem
from ..services import ReviewRefused, action_item_edit, action_item_set_status
from ..tables import ActionItemTable

ITEMS_PER_PAGE = 50


@require_safe
@login_required
def action_item_list(request):
    """Every review's action items, filtered and sorted from the query string."""
    if not permissions.may_read_reviews(request.user):
        raise PermissionDenied("Action items are for people with a portal role.")
    items = ActionItem.objects.select_related("review", "owner_team", "owner_person")
    item_filter = ActionItemFilter(request.GET, queryset=items)
    filters_valid = item_filter.is_valid()
    today = timezone.localdate()
    table = ActionItemTable(item_filter.qs if filters_valid else items.all(), today=today)
    RequestConfig(request, paginate=False).configure(table)
    try:
        table.paginate(page=request.GET.get(table.prefixed_page_field, 1), per_page=ITEMS_PER_PAGE)
    except (PageNotAnInteger, EmptyPage):
        table.paginate(page=1, per_page=ITEMS_PER_PAGE)
    open_items = ActionItem.objects.exclude(status__in=("done", "dropped"))
    context = {
        "filter": item_filter,
        "filters_valid": filters_valid,
        "table": table,
        "sort": request.GET.get(table.prefixed_order_by_field, ""),
        "open_count": open_items.count(),
        "overdue_count": open_items.filter(due_on__lt=today).count(),
    }
    return render(request, "reviews/action_item_list.html", context, status=200 if filters_valid
                  else 400)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def action_item_detail(request, pk):
    """One action item. Posts: ``status`` (its owners, the reviewers, commanders) and
    ``edit`` (the review's writers, while it is not published)."""
    item = get_object_or_404(
        ActionItem.objects.select_related("review", "owner_team__manager", "owner_person"), pk=pk
    )
    if not permissions.may_read_review(request.user, item.review) and not (
        permissions.may_update_action_item(request.user, item)
    ):
        raise PermissionDenied("Action items are for people with a portal role and their owners.")
    may_update = permissions.may_update_action_item(request.user, item)
    may_edit = permissions.may_edit_action_item(request.user, item)
    status_form = ActionItemStatusForm(initial={"status": item.status})
    edit_form = ActionItemForm(instance=item, prefix="item")
    code = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "status":
                if not may_update:
                    raise PermissionDenied("Only its owners, the reviewers and commanders do.")
                status_form = ActionItemStatusForm(request.POST)
                if status_form.is_valid():
                    action_item_set_status(
                        item=item, by=request.user, status=status_form.cleaned_data["status"],
                        note=status_form.cleaned_data["note"],
                    )
                    messages.success(request, f"Status: {item.get_status_display()}.")
                    return redirect(item)
            elif action == "edit":
                if not may_edit:
                    raise PermissionDenied("Only the review's writers change the item itself.")
                edit_form = ActionItemForm(request.POST, instance=item, prefix="item")
                if edit_form.is_valid():
                    fields = {
                        name: edit_form.cleaned_data[name]
                        for name in ActionItemForm.Meta.fields
                    }
                    action_item_edit(item=item, by=request.user, **fields)
                    messages.success(request, "Action item saved.")
                    return redirect(item)
            else:
                messages.error(request, "Unknown action.")
                return redirect(item)
        except ReviewRefused as refusal:
            messages.error(request, str(refusal))
            return redirect(item)
        code = 400
        item.refresh_from_db()
    context = {
        "item": item,
        "review": item.review,
        "overdue": item.is_overdue(timezone.localdate()),
        "status_form": status_form,
        "edit_form": edit_form,
        "may_update": may_update,
        "may_edit": may_edit,
    }
    return render(request, "reviews/action_item_detail.html", context, status=code)
