"""Review pages: the list, one review with its workflow and action items, editing its
sections and plan, the published versions, the Markdown export and the print page."""

from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_safe

from incidents.models import Person
from incidents.services import person_of
from portal.ids import parse_id

from .. import permissions
from ..forms import ActionItemForm, ActionItemStatusForm, ReviewPlanForm, ReviewSectionsForm
from ..matrix import ADVICE, PRIORITY, Quadrant, chart, prioritised
from ..models import Review, ReviewVersion
from ..report import revive
from ..services import (
    ReviewRefused,
    action_item_add,
    action_item_set_status,
    review_content,
    review_plan,
    review_publish,
    review_regenerate,
    review_return,
    review_revise,
    review_submit,
    review_update_sections,
)
from ..services.reviews import (
    incidents_awaiting_review,
    missing_for_publication,
    render_markdown,
)

State = Review.State


def _review_for(request, pk: int) -> Review:
    """The review, once the viewer may read it (404 before 403: no probing of ids)."""
    review = get_object_or_404(
        Review.objects.select_related("incident").prefetch_related(
            Prefetch("reviewers", queryset=Person.objects.order_by("name"))
        ),
        pk=pk,
    )
    if not permissions.may_read_review(request.user, review):
        raise PermissionDenied("Reviews are for people with a portal role and their reviewers.")
    return review


def _numbered(items) -> list[tuple[int, object]]:
    return list(enumerate(items, start=1))


def matrix_context(numbered) -> dict:
    """The chart, the quadrant table and the prioritised list of ``numbered`` items."""
    groups = {q: [] for q in PRIORITY}
    for number, item in numbered:
        groups[item.quadrant].append((number, item))
    return {
        "chart": chart(numbered),
        "numbered": numbered,
        "quadrants": [
            {"quadrant": q, "advice": ADVICE[q], "items": groups[q]} for q in PRIORITY
        ],
    }


def frozen_items(content: dict) -> list[tuple[int, SimpleNamespace]]:
    """The action items as a published version recorded them, shaped like the live rows
    for the matrix templates."""
    return [
        (
            row["number"],
            SimpleNamespace(
                pk=None,
                title=row["title"],
                description=row.get("description", ""),
                owner_label=row["owner"],
                due_on=row["due_on"],
                impact=row["impact"],
                effort=row["effort"],
                quadrant=Quadrant(row["quadrant"]),
                status=row["status"],
                status_label=row["status_label"],
                is_closed=row["status"] in ("done", "dropped"),
            ),
        )
        for row in revive(content).get("action_items", [])
    ]


# --- the list -------------------------------------------------------------------------------


@require_safe
@login_required
def review_list(request):
    """Published reports, reviews being written (with their due dates) and what awaits a
    draft. Leadership and every portal role read them all; someone without a role sees
    only the reviews assigned to them."""
    reviews = Review.objects.select_related("incident").annotate(
        item_count=Count("action_items", distinct=True),
        open_items=Count(
            "action_items",
            filter=Q(action_items__status__in=("open", "in_progress")),
            distinct=True,
        ),
    )
    if not permissions.may_read_reviews(request.user):
        person = person_of(request.user)
        if person is None or not person.reviews_to_write.exists():
            raise PermissionDenied(
                "Reviews are for people with a portal role. Anyone may report a near miss, "
                "at /near-misses/."
            )
        reviews = reviews.filter(reviewers=person)
    reviews = list(reviews.prefetch_related("reviewers").order_by("due_on", "pk"))
    today = timezone.localdate()
    for review in reviews:
        review.flag_overdue = review.is_overdue(today)
    published = sorted(
        (r for r in reviews if r.is_published), key=lambda r: r.published_at, reverse=True
    )
    context = {
        "writing": [r for r in reviews if not r.is_published],
        "published": published,
        "awaiting": incidents_awaiting_review().count(),
        "may_keep_lists": permissions.may_keep_distribution_lists(request.user),
    }
    return render(request, "reviews/review_list.html", context)


# --- one review -----------------------------------------------------------------------------


def _detail_context(request, review: Review, *, item_form=None) -> dict:
    user = request.user
    may_write = permissions.may_write_review(user, review)
    items = prioritised(review.action_items.select_related("owner_team", "owner_person"))
    today = timezone.localdate()
    for item in items:
        item.flag_overdue = item.is_overdue(today)
        item.may_update = permissions.may_update_action_item(user, item)
    latest = review.versions.order_by("-number").first()
    if review.is_published and latest is not None:
        content = revive(latest.content)
    else:
        content = revive(review_content(review))
    return {
        "review": review,
        "content": content,
        "latest": latest,
        "versions": list(review.versions.order_by("-number")),
        "items": items,
        "matrix": matrix_context(_numbered(items)),
        "status_choices": ActionItemStatusForm().fields["status"].choices,
        "item_form": item_form or ActionItemForm(prefix="item"),
        "may_write": may_write,
        "may_plan": permissions.may_plan_review(user, review),
        "may_revise": permissions.may_revise_review(user, review),
        "missing": missing_for_publication(review),
        "overdue": review.is_overdue(today),
        "feedback": list(review.incident.feedback.select_related("team")) if review.incident
        else [],
        "near_miss": getattr(review, "near_miss", None),
    }


WORKFLOW = {
    "regenerate": (
        lambda review, user: review_regenerate(review=review, by=user),
        "Report rebuilt from the incident's records; the written sections are unchanged.",
    ),
    "submit": (
        lambda review, user: review_submit(review=review, by=user),
        "Sent for review.",
    ),
    "return": (
        lambda review, user: review_return(review=review, by=user),
        "Back to draft.",
    ),
    "publish": (
        lambda review, user: review_publish(review=review, by=user),
        lambda version: (
            f"Published as version {version.number}: it is now read-only. "
            + (
                f"{version.notified} {'person' if version.notified == 1 else 'people'} on the "
                "distribution lists will be told."
                if version.notified
                else "No one on a distribution list was told: check the lists."
            )
        ),
    ),
    "revise": (
        lambda review, user: review_revise(review=review, by=user),
        "A new revision is open as a draft; the published version stays as it was.",
    ),
}


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def review_detail(request, pk):
    """The review. Posts: a workflow step (``regenerate``, ``submit``, ``return``,
    ``publish``, ``revise``), ``add_item`` and ``item_status``."""
    review = _review_for(request, pk)
    if request.method != "POST":
        return render(request, "reviews/review_detail.html", _detail_context(request, review))
    action = request.POST.get("action", "")
    try:
        if action in WORKFLOW:
            step, done = WORKFLOW[action]
            outcome = step(review, request.user)
            messages.success(request, done(outcome) if callable(done) else done)
        elif action == "add_item":
            form = ActionItemForm(request.POST, prefix="item")
            if not form.is_valid():
                context = _detail_context(request, review, item_form=form)
                return render(request, "reviews/review_detail.html", context, status=400)
            data = form.cleaned_data
            action_item_add(
                review=review, by=request.user, title=data["title"],
                description=data["description"], owner_team=data["owner_team"],
                owner_person=data["owner_person"], due_on=data["due_on"],
                impact=data["impact"], effort=data["effort"],
            )
            messages.success(request, f"Action item added: {data['title']}.")
        elif action == "item_status":
            item = get_object_or_404(review.action_items, pk=parse_id(request.POST.get("item")))
            form = ActionItemStatusForm(request.POST)
            if not form.is_valid():
                raise ReviewRefused("Choose a status.")
            action_item_set_status(
                item=item, status=form.cleaned_data["status"], note=form.cleaned_data["note"],
                by=request.user,
            )
            messages.success(request, f"“{item.title}” is now {item.get_status_display()}.")
        else:
            messages.error(request, "Unknown action.")
    except ReviewRefused as refusal:
        messages.error(request, str(refusal))
    return redirect(review)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def review_edit(request, pk):
    """The written sections (reviewers and commanders) and the plan: reviewers and the due
    date (commanders). Posts: ``sections`` or ``plan``."""
    review = _review_for(request, pk)
    may_write = permissions.may_write_review(request.user, review)
    may_plan = permissions.may_plan_review(request.user, review)
    if review.is_published:
        messages.error(request, "A published review is read-only: open a new revision first.")
        return redirect(review)
    if not (may_write or may_plan):
        raise PermissionDenied("Only the review's reviewers and incident commanders edit it.")
    sections = ReviewSectionsForm(instance=review, prefix="sections")
    plan = ReviewPlanForm(
        prefix="plan", initial={"reviewers": list(review.reviewers.all()), "due_on": review.due_on}
    )
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        if action == "sections":
            if not may_write:
                raise PermissionDenied("Only the review's reviewers and commanders write it.")
            sections = ReviewSectionsForm(request.POST, instance=review, prefix="sections")
            if sections.is_valid():
                review_update_sections(
                    review=review, by=request.user,
                    **{name: sections.cleaned_data[name] for name in sections.Meta.fields},
                )
                messages.success(request, "Sections saved.")
                return redirect(review)
        elif action == "plan":
            if not may_plan:
                raise PermissionDenied("Only incident commanders assign reviewers.")
            plan = ReviewPlanForm(request.POST, prefix="plan")
            if plan.is_valid():
                review_plan(
                    review=review, by=request.user, reviewers=plan.cleaned_data["reviewers"],
                    due_on=plan.cleaned_data["due_on"],
                )
                messages.success(request, "Reviewers and due date saved.")
                return redirect(review)
        else:
            messages.error(request, "Unknown action.")
            return redirect(review)
        status = 400
        review.refresh_from_db()
    context = {
        "review": review,
        "sections": sections,
        "plan": plan,
        "may_write": may_write,
        "may_plan": may_plan,
    }
    return render(request, "reviews/review_edit.html", context, status=status)


def _version_for(request, pk: int, number: int) -> ReviewVersion:
    review = _review_for(request, pk)
    version = review.versions.filter(number=number).first()
    if version is None:
        raise Http404("No such published version.")
    version.review = review
    return version


@require_safe
@login_required
def review_version(request, pk, number):
    """One published version, exactly as it was published: read-only."""
    version = _version_for(request, pk, number)
    content = revive(version.content)
    context = {
        "review": version.review,
        "version": version,
        "content": content,
        "matrix": matrix_context(frozen_items(version.content)),
        "versions": list(version.review.versions.order_by("-number")),
    }
    return render(request, "reviews/review_version.html", context)


def _markdown_response(text: str, filename: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/markdown; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@require_safe
@login_required
def review_markdown(request, pk):
    """The report as Markdown: the latest published version, or the draft as it stands."""
    review = _review_for(request, pk)
    latest = review.versions.order_by("-number").first()
    if review.is_published and latest is not None:
        return _markdown_response(latest.markdown, f"{review.reference}-v{latest.number}.md")
    text = render_markdown(review_content(review))
    return _markdown_response(text, f"{review.reference}-draft.md")


@require_safe
@login_required
def review_version_markdown(request, pk, number):
    version = _version_for(request, pk, number)
    return _markdown_response(version.markdown, f"{version.review.reference}-v{number}.md")


@require_safe
@login_required
def review_print(request, pk):
    """A page made for paper: the whole report, the matrix and its table, no navigation."""
    review = _review_for(request, pk)
    latest = review.versions.order_by("-number").first()
    if review.is_published and latest is not None:
        content = revive(latest.content)
        numbered = frozen_items(latest.content)
    else:
        content = revive(review_content(review))
        numbered = _numbered(prioritised(review.action_items.select_related(
            "owner_team", "owner_person"
        )))
    context = {
        "review": review,
        "version": latest if review.is_published else None,
        "content": content,
        "matrix": matrix_context(numbered),
    }
    return render(request, "reviews/review_print.html", context)
