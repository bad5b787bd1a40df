"""Posting a status update: the checks before, and everything that follows it."""

from dataclasses import replace
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from ..clocks import TargetBook
from ..escalation import engine
from ..models import (
    Audience,
    DecisionAuthority,
    Incident,
    StatusUpdate,
    TimelineEvent,
)
from ..models.communications import EXTERNAL_AUDIENCES
from ..search import search_index_add, update_text
from ..services import timeline
from ..services.authority import actor_name, person_of, require
from ..timers import cancel
from . import cadence, distribute, subscribers
from .authority import require_poster
from .glossary import Flag, NameBook, jargon_flags
from .render import (
    Draft,
    as_stored,
    audiences_for,
    incident_facts,
    public_headline,
    render_all,
    when,
)

Kind = TimelineEvent.Kind
Visibility = StatusUpdate.Visibility


class UpdateRefused(ValueError):
    """An update that cannot be published as it is; the message says what to fix."""

    def __init__(self, message: str, *, missing: list[str] | None = None):
        super().__init__(message)
        self.missing = missing or []


class WordingFlagged(UpdateRefused):
    """The draft uses words its readers should not get; publishing needs a confirmation."""

    def __init__(self, flags: list[Flag]):
        words = ", ".join(f"“{flag.word}”" for flag in flags)
        super().__init__(
            f"Rephrase before publishing, or confirm that these words may stay: {words}."
        )
        self.flags = flags


# Which parts of a draft each reader sees: executives read the answers; customers read the
# headline and the hand-written wording, and the answers when there is no wording.
EXECUTIVE_FIELDS = {
    "what_happened": "What happened",
    "current_impact": "Current impact",
    "being_done": "What is being done",
    "expected_timeline": "Expected timeline",
}
CUSTOMER_FIELDS = {"customer_headline": "Headline", "customer_wording": "Customer wording"}


def draft_flags(draft: Draft, book: NameBook | None = None) -> list[Flag]:
    """The jargon check: glossary terms marked as jargon for executives in the answers they
    read (advice), and, for a public draft, terms marked as jargon for customers in what
    customers and partners read (publishing waits for a confirmation)."""
    book = book or NameBook.load()
    internal = {label: getattr(draft, name) for name, label in EXECUTIVE_FIELDS.items()}
    flags = jargon_flags(internal, book, audience=Audience.EXECUTIVE)
    if draft.is_public:
        public = {label: getattr(draft, name) for name, label in CUSTOMER_FIELDS.items()}
        if not draft.customer_wording:
            public.update(internal)
        flags += jargon_flags(public, book, audience=Audience.CUSTOMER)
    return flags


def default_next_update(incident: Incident, now: datetime) -> datetime | None:
    """When the cadence wants the next update, for an open incident with a cadence."""
    if not incident.is_open:
        return None
    minutes = TargetBook().for_incident(
        incident.severity, incident.services.values_list("pk", flat=True)
    ).update
    return now + timedelta(minutes=minutes) if minutes else None


def check_draft(incident: Incident, draft: Draft, *, by, system: bool = False) -> None:
    """Refuse what no confirmation can fix: the poster's rights (none for the portal's own
    ``system`` update), missing answers, a drill going public, a next update in the past."""
    if not system:
        require_poster(by, incident)
    if draft.is_public:
        if incident.is_drill:
            raise UpdateRefused("A drill's updates stay internal: customers never see drills.")
        if not system:
            require(by, DecisionAuthority.Action.PUBLISH_CUSTOMERS, incident.severity, incident)
    missing = draft.missing_answers()
    if missing:
        raise UpdateRefused(
            "An update answers all five questions. Missing: " + ", ".join(missing) + ".",
            missing=missing,
        )
    if draft.next_update_at is not None and draft.next_update_at <= timezone.now():
        raise UpdateRefused("The next update time is in the past: pick a time ahead.")


@transaction.atomic
def update_publish(
    *, incident: Incident, draft: Draft, by, confirm_flagged: bool = False,
    now: datetime | None = None, system: bool = False,
) -> StatusUpdate:
    """Publish ``draft`` on ``incident``.

    1. check the poster (and decision authority to publish to customers for a public
       update), the five answers and, unless confirmed, the wording (jargon, internal names);
    2. render it for each audience it goes to (every audience when public, technical and
       executive when internal) and store the wording as published;
    3. restart the update cadence: ``last_update_at``, the engine's clock, the reminder;
    4. record it in the timeline;
    5. queue it for the stakeholders through the outbox and, when public, mail the status
       page's followers once the transaction commits.
    """
    incident = Incident.objects.select_for_update().get(pk=incident.pk)
    check_draft(incident, draft, by=by, system=system)
    book = NameBook.load()
    flags = draft_flags(draft, book)
    blocking = [flag for flag in flags if flag.blocking]
    if blocking and not confirm_flagged:
        raise WordingFlagged(blocking)
    now = now or timezone.now()
    if draft.next_update_at is None:
        draft = replace(draft, next_update_at=default_next_update(incident, now))
    renderings = render_all(incident, draft, audiences=audiences_for(draft), book=book)
    update = StatusUpdate.objects.create(
        incident=incident,
        what_happened=draft.what_happened,
        current_impact=draft.current_impact,
        being_done=draft.being_done,
        responsible=draft.responsible,
        expected_timeline=draft.expected_timeline,
        next_update_at=draft.next_update_at,
        technical_detail=draft.technical_detail,
        customer_headline=draft.customer_headline,
        customer_wording=draft.customer_wording,
        visibility=draft.visibility,
        incident_status=incident.status,
        rendered=as_stored(renderings),
        flagged_words=[flag.word for flag in blocking],
        posted_by=by,
        posted_by_name=actor_name(by),
        posted_at=now,
    )

    search_index_add(incident.pk, update_text(update))
    Incident.objects.filter(pk=incident.pk).update(last_update_at=now)
    incident.last_update_at = now
    if incident.is_open:
        engine.target_met(incident, "update", now)
        cadence.plan_reminder(incident, now, promised=draft.next_update_at)
    elif update.is_public:
        cancel(incident=incident, kinds=[cadence.FINAL_UPDATE_DUE])  # the final one is out

    reached = distribute.update_distribute(update, incident, now=now, exclude=person_of(by))
    timeline.record(
        incident,
        Kind.UPDATE_POSTED,
        _timeline_text(update, draft, incident, len(reached)),
        by=by,
        at=now,
        update=update.pk,
        visibility=update.visibility,
        audiences=sorted(update.rendered),
        people=[s.person.pk for s in reached],
        flagged=update.flagged_words,
    )
    subscribers.update_mail_subscribers(update)
    return update


def _timeline_text(update: StatusUpdate, draft: Draft, incident: Incident, told: int) -> str:
    if update.is_public:
        head = f"Public update: {public_headline(draft, incident_facts(incident))}."
    else:
        head = "Internal update."
    first = update.what_happened.splitlines()[0][:160]
    later = f" Next update by {when(update.next_update_at)}." if update.next_update_at else ""
    external = [a for a in update.rendered if a in EXTERNAL_AUDIENCES]
    shown = " Shown on the status page." if external else ""
    return f"{head} {first}{later} Sent to {told} stakeholder{'s' if told != 1 else ''}.{shown}"
