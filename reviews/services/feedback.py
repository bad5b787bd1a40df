"""Responder feedback: inviting the people who took part, and routing what they say.

After an incident or a drill is resolved, everyone who took part — seat holders, past and
present, and everyone paged — is invited once (a routine message with a link). What they
say about a playbook, a service, a connector or the tooling goes to the owner team of that
thing, whose manager is told.
"""

from datetime import datetime, timedelta

from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from incidents.models import (
    Connector,
    Incident,
    IncidentRole,
    Notification,
    Person,
    Service,
    TimelineEvent,
)
from incidents.services.authority import actor_name

from .. import permissions
from ..models import Feedback, FeedbackInvitation
from ..report import PAGE_REASONS
from .messages import tell
from .reviews import REVIEWED_STATUSES, ReviewNotAllowed, ReviewRefused

# Incidents resolved longer ago than this are not asked about any more.
INVITE_WITHIN = timedelta(days=7)
About = Feedback.About


def feedback_url(incident: Incident) -> str:
    return reverse("reviews:feedback_give", args=[incident.pk])


def participants(incident: Incident) -> dict[int, tuple[Person, str]]:
    """Who took part, by person id, with why: seat holders (those who handed a seat over
    included, read from the timeline) and everyone paged."""
    found: dict[int, str] = {}
    for seat in IncidentRole.objects.filter(incident=incident):
        found.setdefault(seat.holder_id, f"held the {seat.title} seat")
    role_events = TimelineEvent.objects.filter(
        incident=incident, kind=TimelineEvent.Kind.ROLE_CHANGE
    )
    for event in role_events:
        for key in ("holder", "previous"):
            pk = event.details.get(key)
            if isinstance(pk, int):
                found.setdefault(pk, "held a seat")
    paged = Notification.objects.filter(incident=incident, reason__in=PAGE_REASONS)
    for pk in paged.values_list("recipient_id", flat=True).distinct():
        found.setdefault(pk, "were paged")
    people = Person.objects.in_bulk(found)
    return {pk: (people[pk], why) for pk, why in found.items() if pk in people}


def incidents_awaiting_feedback(now: datetime):
    """Recently resolved incidents and drills whose participants were not asked yet."""
    return Incident.objects.filter(
        status__in=REVIEWED_STATUSES,
        duplicate_of=None,
        resolved_at__gte=now - INVITE_WITHIN,
        feedback_invitations=None,
    )


@transaction.atomic
def feedback_invite(*, incident: Incident, now: datetime | None = None) -> int:
    """Invite each participant not invited yet; returns how many were invited now."""
    now = now or timezone.now()
    invited = 0
    for person, why in participants(incident).values():
        try:
            with transaction.atomic():
                invitation = FeedbackInvitation.objects.create(
                    incident=incident, person=person, why=why[:150], invited_at=now
                )
        except IntegrityError:
            continue  # invited already
        invitation.messaged = tell(
            person=person, name="feedback-invite",
            context={"incident": incident, "why": why, "drill": incident.is_drill},
            url=feedback_url(incident), cause=f"feedback-invite:{incident.pk}", now=now,
        )
        if invitation.messaged:
            invitation.save(update_fields=["messaged"])
        invited += 1
    return invited


def feedback_invite_due(now: datetime | None = None) -> int:
    now = now or timezone.now()
    return sum(
        feedback_invite(incident=incident, now=now)
        for incident in incidents_awaiting_feedback(now).order_by("resolved_at", "pk")
    )


# --- giving feedback ------------------------------------------------------------------------


def playbook_model():
    """The playbooks app's model, reached through the relation rather than an import."""
    return Feedback._meta.get_field("playbook").related_model


def subjects_for(incident: Incident) -> dict:
    """What feedback on ``incident`` may be about: its services, their connectors and the
    playbooks written for them."""
    services = Service.objects.filter(incidents=incident).order_by("tier", "name")
    return {
        "services": services,
        "connectors": Connector.objects.filter(services__in=services).distinct().order_by("name"),
        "playbooks": playbook_model()
        .objects.filter(services__in=services)
        .distinct()
        .order_by("title"),
    }


def owner_team_of(*, about: str, subject, incident: Incident | None):
    """The team feedback is routed to, and a note saying why."""
    if about in (About.PLAYBOOK, About.SERVICE):
        return subject.owner_team, f"owner team of {subject}"
    affected = (
        list(Service.objects.filter(incidents=incident).select_related("owner_team"))
        if incident is not None
        else []
    )
    affected.sort(key=lambda s: (s.tier, s.name))
    if about == About.CONNECTOR:
        users = [s for s in affected if s.connectors.filter(pk=subject.pk).exists()]
        users = users or list(
            subject.services.select_related("owner_team").order_by("tier", "name")[:1]
        )
        if users:
            return users[0].owner_team, f"owner team of {users[0].name}, which uses {subject}"
        return None, f"no service uses {subject}"
    if affected:
        return affected[0].owner_team, f"owner team of {affected[0].name}, the most critical"
    return None, "no affected service to route it by"


@transaction.atomic
def feedback_give(
    *, incident: Incident, by, about: str, rating: int, text: str, playbook=None,
    service=None, connector=None, tool_name: str = "", now: datetime | None = None,
    notify: bool = True,
) -> Feedback:
    """1. check the giver took part (or is an operator); 2. store the feedback against
    what it is about; 3. route it to that thing's owner team and tell the team's manager
    (unless ``notify`` is False: the demo data)."""
    if not permissions.may_give_feedback(by, incident):
        raise ReviewNotAllowed("Only the people who took part give feedback on this incident.")
    subject = {About.PLAYBOOK: playbook, About.SERVICE: service, About.CONNECTOR: connector}
    if about not in About.values:
        raise ReviewRefused("Say what the feedback is about.")
    if about != About.TOOLING and subject[about] is None:
        raise ReviewRefused(f"Choose {About(about).label.lower()}.")
    if about == About.TOOLING and not tool_name.strip():
        raise ReviewRefused("Name the tool.")
    if rating not in (1, 2, 3, 4, 5):
        raise ReviewRefused("Rate it from 1 to 5.")
    if not text.strip():
        raise ReviewRefused("Say what worked or what did not.")
    now = now or timezone.now()
    team, why = owner_team_of(about=about, subject=subject.get(about), incident=incident)
    feedback = Feedback.objects.create(
        incident=incident,
        about=about,
        playbook=playbook if about == About.PLAYBOOK else None,
        service=service if about == About.SERVICE else None,
        connector=connector if about == About.CONNECTOR else None,
        tool_name=tool_name.strip()[:100] if about == About.TOOLING else "",
        rating=rating,
        text=text.strip(),
        author=by,
        author_name=actor_name(by),
        team=team,
        created_at=now,
    )
    manager = team.manager if team is not None else None
    if team is None:
        note = f"Not routed: {why}."
    elif manager is None:
        note = f"Routed to {team} ({why}); the team has no manager to tell."
    elif not notify:
        note = f"Routed to {team} ({why})."
    elif tell(
        person=manager, name="feedback-received", context={"feedback": feedback, "team": team},
        url=feedback_page_url(feedback), cause=f"feedback:{feedback.pk}", now=now,
    ):
        note = f"Routed to {team} ({why}); {manager.name} was told."
    else:
        note = f"Routed to {team} ({why}); {manager.name} has no routine contact method."
    Feedback.objects.filter(pk=feedback.pk).update(routing_note=note[:300])
    feedback.routing_note = note[:300]
    return feedback


def feedback_page_url(feedback: Feedback) -> str:
    """Where the feedback shows: its playbook's or service's page, else the team list."""
    subject = feedback.subject
    if subject is not None and hasattr(subject, "get_absolute_url"):
        return subject.get_absolute_url()
    query = f"?team={feedback.team.slug}" if feedback.team else ""
    return reverse("reviews:feedback_list") + query
