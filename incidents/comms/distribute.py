"""Who hears of a published update, in which wording, through the notification outbox.

Stakeholders, each told once in the wording of one audience (the first reason wins):
1. the holders of the incident's seats: the technical wording;
2. people who follow an affected service: the wording they chose (partner wording only for
   public updates);
3. the members of the audience groups the incident's escalation policy names (leadership,
   the cross-functional group): the executive wording.

Rows are queued with the cause ``update:<id>``: the outbox's idempotency key (cause,
recipient, contact method) makes a retried publication send nothing twice.
"""

from dataclasses import dataclass

from django.conf import settings

from ..escalation.policy import policy_for, snapshot
from ..models import (
    Audience,
    AudienceGroup,
    Channel,
    ContactMethod,
    Incident,
    MessageTemplate,
    Notification,
    Person,
    ServiceSubscription,
    StatusUpdate,
    Urgency,
)
from ..notifications import outbox
from ..notifications.render import fit_sms, prefix
from .render import status_page_url

# The wording each audience gets by email (and webhook) and in chat.
EMAIL_CHANNEL = {
    Audience.TECHNICAL: Channel.INTERNAL_EMAIL,
    Audience.EXECUTIVE: Channel.INTERNAL_EMAIL,
    Audience.PARTNER: Channel.CUSTOMER_EMAIL,
}
CHAT_CHANNEL = {
    Audience.TECHNICAL: Channel.BRIDGE,
    Audience.EXECUTIVE: Channel.BRIDGE,
    Audience.PARTNER: Channel.CUSTOMER_EMAIL,
}
CHAT_KINDS = (ContactMethod.Kind.SLACK, ContactMethod.Kind.TEAMS)


@dataclass(frozen=True)
class Stakeholder:
    person: Person
    audience: str
    why: str


def audience_groups(incident: Incident) -> list[AudienceGroup]:
    """The audience groups named by the incident's escalation plan (its snapshot, or the
    policy that applies when paging never started)."""
    plan = incident.escalation_snapshot or {}
    if not plan.get("steps"):
        policy = policy_for(incident)
        plan = snapshot(policy) if policy else {}
    ids = {
        target.get("audience")
        for step in plan.get("steps", [])
        for target in step.get("targets", [])
        if target.get("kind") == "audience" and target.get("audience")
    }
    return list(AudienceGroup.objects.filter(pk__in=ids).prefetch_related("members"))


def stakeholders(incident: Incident, *, public: bool, exclude: Person | None = None):
    """Everyone to tell about an update on ``incident``, each once, with their audience."""
    found: dict[int, tuple[int, str, str]] = {}

    def add(person_id: int, audience: str, why: str) -> None:
        if exclude is not None and person_id == exclude.pk:
            return
        found.setdefault(person_id, (person_id, audience, why))

    for seat in incident.roles.all():
        add(seat.holder_id, Audience.TECHNICAL, f"holds the {seat.title} seat")
    follows = ServiceSubscription.objects.filter(
        service__in=incident.services.all()
    ).select_related("service")
    for follow in follows:
        if follow.audience == Audience.PARTNER and not public:
            continue
        add(follow.person_id, follow.audience, f"follows {follow.service.name}")
    for group in audience_groups(incident):
        for member in group.members.all():
            add(member.pk, Audience.EXECUTIVE, f"is in {group.name}")
    people = Person.objects.filter(pk__in=found).prefetch_related(
        "notification_rules__contact_method"
    )
    by_pk = {person.pk: person for person in people}
    return [
        Stakeholder(by_pk[pk], audience, why)
        for pk, audience, why in found.values()
        if pk in by_pk
    ]


def update_distribute(update: StatusUpdate, incident: Incident, *, now, exclude=None):
    """Queue the update for every stakeholder; returns the stakeholders it reached."""
    urgencies = {
        (t.audience, t.channel): t.urgency for t in MessageTemplate.objects.all()
    }
    reached = []
    for stakeholder in stakeholders(incident, public=update.is_public, exclude=exclude):
        audience = stakeholder.audience
        urgency = urgencies.get((audience, EMAIL_CHANNEL[audience]), Urgency.ROUTINE)
        email = update.wording(audience, EMAIL_CHANNEL[audience])
        if not email:
            continue
        chat = update.wording(audience, CHAT_CHANNEL[audience]) or email
        link = (
            status_page_url()
            if audience == Audience.PARTNER
            else settings.PORTAL_BASE_URL + incident.get_absolute_url()
        )
        lead = prefix(urgency, incident.is_drill)
        message = outbox.Message(subject=lead + email["subject"], body=email["body"])

        def shape(message, method, chat=chat, lead=lead, link=link):
            if method.kind in CHAT_KINDS:
                return outbox.Message(subject=lead + chat["subject"], body=chat["body"])
            if method.kind == ContactMethod.Kind.SMS:
                return outbox.Message(
                    subject=message.subject, body=fit_sms(f"{message.subject}\n{link}")
                )
            return message

        rows = outbox.notify_person(
            person=stakeholder.person, urgency=urgency, reason=Notification.Reason.UPDATE,
            cause=f"update:{update.pk}", message=message, now=now, incident=incident,
            render=shape,
        )
        if rows or outbox.usable_rules(stakeholder.person, urgency):
            reached.append(stakeholder)
    return reached
