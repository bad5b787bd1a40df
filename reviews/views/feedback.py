"""Responder feedback: the form a participant reaches from the invitation, and the list of
what every owner team was told."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_safe

from incidents.models import Incident, Team
from incidents.services import person_of

from .. import permissions
from ..forms import FeedbackForm
from ..models import Feedback
from ..services import ReviewRefused, feedback_give
from ..services.feedback import subjects_for

LIST_SIZE = 200


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def feedback_give_view(request, number):
    """How did it go? Rating and text about a playbook, the tooling, a service or a
    connector of this incident (or drill)."""
    incident = get_object_or_404(Incident, pk=number)
    if not permissions.may_give_feedback(request.user, incident):
        raise PermissionDenied("Only the people who took part give feedback on this incident.")
    subjects = subjects_for(incident)
    form = FeedbackForm(request.POST or None, subjects=subjects)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                feedback = feedback_give(
                    incident=incident, by=request.user, about=data["about"],
                    playbook=data["playbook"], service=data["service"],
                    connector=data["connector"], tool_name=data["tool_name"],
                    rating=data["rating"], text=data["text"],
                )
            except ReviewRefused as refusal:
                form.add_error(None, str(refusal))
            else:
                messages.success(request, f"Thank you. {feedback.routing_note}")
                return redirect("reviews:feedback_give", number=incident.pk)
        status = 400
    person = person_of(request.user)
    context = {
        "incident": incident,
        "form": form,
        "subjects": subjects,
        "given": list(
            Feedback.objects.filter(incident=incident, author=request.user).select_related(
                "team"
            )
        ),
        "invitation": incident.feedback_invitations.filter(person=person).first()
        if person
        else None,
    }
    return render(request, "reviews/feedback_form.html", context, status=status)


@require_safe
@login_required
def feedback_list(request):
    """Feedback by the owner team it was routed to (``?team=slug``)."""
    if not permissions.may_read_feedback(request.user):
        raise PermissionDenied("Feedback is for people with a portal role.")
    feedback = Feedback.objects.select_related(
        "team", "incident", "service", "connector", "playbook"
    )
    team = None
    if request.GET.get("team"):
        team = get_object_or_404(Team, slug=request.GET["team"])
        feedback = feedback.filter(team=team)
    context = {
        "feedback": list(feedback[:LIST_SIZE]),
        "team": team,
        "teams": Team.objects.order_by("name"),
    }
    return render(request, "reviews/feedback_list.html", context)
