"""Writing playbooks, their review clock, and putting their checklists on incidents."""

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from incidents.models import (
    Alert,
    Incident,
    IncidentRoleKind,
    Notification,
    Task,
    TimelineEvent,
    Urgency,
)
from incidents.notifications import outbox, render
from incidents.services import task_add, timeline
from incidents.services.authority import actor_name, incident_roles_of
from incidents.timers import cancel, schedule

from ..models import Playbook, PlaybookVersion
from ..permissions import may_attach_playbooks, may_detach_playbooks, may_edit_playbooks

REVIEW_DUE = "playbook_review_due"
# While a playbook stays stale its owner is reminded again this often.
REMIND_AGAIN_AFTER = timedelta(days=7)
SETTINGS_LABELS = {
    "summary": "Summary",
    "incident_type": "Incident type",
    "owner_team": "Owner team",
    "review_interval_days": "Review every (days)",
    "services": "Services",
    "connectors": "Connectors",
    "integrations": "Alert sources",
}
MANY = ("services", "connectors", "integrations")


class PlaybookRefused(ValueError):
    """An edit that cannot be made as asked; the message says why."""


def _require_editor(user) -> None:
    if user is not None and not may_edit_playbooks(user):
        raise PermissionDenied("Only operators and roster admins edit playbooks.")


def _text(value: str) -> str:
    """Browsers post CRLF line ends: store LF, so an untouched text compares equal."""
    return (value or "").replace("\r\n", "\n").replace("\r", "\n")


def unique_slug(title: str, *, taken_by=None) -> str:
    base = slugify(title)[:90] or "playbook"
    slug, n = base, 2
    while Playbook.objects.filter(slug=slug).exclude(pk=taken_by).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def playbook_create(
    *, title: str, body: str, owner_team, by, checklist: str = "", services=(),
    summary: str = "", incident_type: str = "", review_interval_days: int | None = None,
    note: str = "", slug: str = "", at: datetime | None = None, connectors=(), integrations=(),
) -> Playbook:
    """1. a playbook with its first version (counts as its first review); 2. its review
    reminder, due one interval later."""
    _require_editor(by)
    at = at or timezone.now()
    title, body, checklist = title.strip(), _text(body), _text(checklist).strip()
    if not title or not body.strip():
        raise PlaybookRefused("A playbook needs a title and some text.")
    playbook = Playbook.objects.create(
        title=title,
        slug=slug or unique_slug(title),
        summary=summary.strip(),
        incident_type=incident_type.strip(),
        owner_team=owner_team,
        review_interval_days=review_interval_days or Playbook._meta.get_field(
            "review_interval_days"
        ).default,
        reviewed_at=at,
        reviewed_by_name=actor_name(by),
        created_at=at,
    )
    playbook.services.set(list(services))
    playbook.connectors.set(list(connectors))
    playbook.integrations.set(list(integrations))
    _new_version(playbook, title, body, checklist, note.strip() or "First version.", by, at)
    schedule_review(playbook)
    return playbook


@transaction.atomic
def playbook_update(
    *, playbook: Playbook, by, title: str, body: str, checklist: str = "", services=None,
    summary: str | None = None, incident_type: str | None = None, owner_team=None,
    review_interval_days: int | None = None, note: str = "", at: datetime | None = None,
    connectors=None, integrations=None,
) -> PlaybookVersion | None:
    """Save an edit as the next version; an edit is also a review, so the clock restarts.

    Changes to the settings (owner, services, interval…) are listed in the version's note.
    Returns None when nothing changed at all.
    """
    _require_editor(by)
    at = at or timezone.now()
    playbook = Playbook.objects.select_for_update().get(pk=playbook.pk)
    title, body, checklist = title.strip(), _text(body), _text(checklist).strip()
    if not title or not body.strip():
        raise PlaybookRefused("A playbook needs a title and some text.")
    changes = _settings_changes(
        playbook, services=services, summary=summary, incident_type=incident_type,
        owner_team=owner_team, review_interval_days=review_interval_days,
        connectors=connectors, integrations=integrations,
    )
    current = playbook.current
    text_changed = current is None or (current.title, current.body, current.checklist) != (
        title, body, checklist
    )
    if not text_changed and not changes:
        return None
    for field, (_label, _old, new) in changes.items():
        if field in MANY:
            getattr(playbook, field).set(new)
        else:
            setattr(playbook, field, new)
    playbook.title = title
    playbook.reviewed_at, playbook.reviewed_by_name = at, actor_name(by)
    playbook.save()
    summary_of_changes = "; ".join(
        f"{label}: {_shown(old)} → {_shown(new)}" for label, old, new in changes.values()
    )
    full_note = " ".join(part for part in (note.strip(), summary_of_changes) if part)
    version = _new_version(playbook, title, body, checklist, full_note, by, at)
    schedule_review(playbook)
    return version


def _settings_changes(playbook: Playbook, **proposed) -> dict:
    changes = {}
    for field, new in proposed.items():
        if new is None:
            continue
        if field in MANY:
            old = sorted(getattr(playbook, field).all(), key=str)
            new = sorted(new, key=str)
            if [s.pk for s in old] != [s.pk for s in new]:
                changes[field] = (SETTINGS_LABELS[field], old, new)
            continue
        if isinstance(new, str):
            new = new.strip()
        old = getattr(playbook, field)
        if old != new:
            changes[field] = (SETTINGS_LABELS[field], old, new)
    return changes


def _shown(value) -> str:
    if isinstance(value, list):
        return ", ".join(str(item) for item in value) or "none"
    return str(value) if value not in ("", None) else "none"


def _new_version(playbook, title, body, checklist, note, by, at) -> PlaybookVersion:
    last = playbook.versions.order_by("-number").values_list("number", flat=True).first() or 0
    return PlaybookVersion.objects.create(
        playbook=playbook,
        number=last + 1,
        title=title,
        body=body,
        checklist=checklist,
        note=note[:300],
        author=by,
        author_name=actor_name(by),
        created_at=at,
    )


@transaction.atomic
def playbook_mark_reviewed(*, playbook: Playbook, by, at: datetime | None = None) -> None:
    """Someone read it through and it still holds: the review clock restarts, no new text."""
    _require_editor(by)
    at = at or timezone.now()
    Playbook.objects.filter(pk=playbook.pk).update(
        reviewed_at=at, reviewed_by_name=actor_name(by)
    )
    playbook.reviewed_at, playbook.reviewed_by_name = at, actor_name(by)
    schedule_review(playbook)


# --- the review clock -----------------------------------------------------------------------


def schedule_review(playbook: Playbook, due_at: datetime | None = None) -> None:
    """Replace the playbook's pending reminder with one at ``due_at`` (default: when due)."""
    cancel(kinds=[REVIEW_DUE], playbook=playbook.pk)
    schedule(kind=REVIEW_DUE, due_at=due_at or playbook.review_due_at, playbook=playbook.pk)


def fire_review_due(timer, now: datetime) -> None:
    """The timer handler: remind the owner team's manager, through the notification outbox,
    that the playbook is due for review, and nag again later while it stays stale."""
    playbook = (
        Playbook.objects.select_related("owner_team__manager")
        .filter(pk=timer.reference.get("playbook"))
        .first()
    )
    if playbook is None:
        return
    if not playbook.is_stale(now):
        schedule_review(playbook)  # reviewed meanwhile; a stray timer re-plans
        return
    manager = playbook.owner_team.manager
    if manager is None:
        note = f"Review due, but {playbook.owner_team} has no manager to remind."
    else:
        message = review_reminder(playbook, manager)
        rows = outbox.notify_person(
            person=manager, urgency=Urgency.ROUTINE, reason=Notification.Reason.REMINDER,
            cause=f"timer:{timer.pk}", message=message, now=now, timer=timer,
            render=render.shape,
        )
        if rows:
            note = f"Review reminder sent to {manager.name}."
        else:
            note = f"{manager.name} has no working contact method for routine messages."
    Playbook.objects.filter(pk=playbook.pk).update(reminded_at=now, reminder_note=note[:300])
    schedule_review(playbook, due_at=now + REMIND_AGAIN_AFTER)


def review_reminder(playbook: Playbook, manager) -> outbox.Message:
    context = {
        "playbook": playbook,
        "manager": manager,
        "url": render.absolute(playbook.get_absolute_url()),
        "prefix": render.prefix(Urgency.ROUTINE),
    }
    subject = render_to_string("playbooks/review-reminder-subject.txt", context)
    body = render_to_string("playbooks/review-reminder-body.txt", context)
    return outbox.Message(subject=" ".join(subject.split()), body=body.strip())


# --- checklists on incidents ----------------------------------------------------------------


@dataclass(frozen=True)
class About:
    """What an incident is about, as playbooks are matched against it."""

    incident_type: str = ""
    services: frozenset[int] = frozenset()
    connectors: frozenset[int] = frozenset()
    integrations: frozenset[int] = frozenset()
    detached: frozenset[str] = frozenset()  # Playbook.source of those detached from it


def playbook_matches(incident_type: str, wanted: dict[str, set[int]], about: About) -> bool:
    """Whether a playbook for ``incident_type`` (may be "") that names ``wanted``
    services, connectors and integrations (ids) belongs on an incident ``about`` this.

    Each thing the playbook names must match: its type is the incident's, one of its
    connectors is one the incident is about, one of its alert sources raised it, one of its
    services is affected. A playbook naming only services attaches by service; one naming
    nothing is attached by hand only.
    """
    named = False
    if incident_type:
        if incident_type != about.incident_type:
            return False
        named = True
    for field in ("connectors", "integrations", "services"):
        ids = wanted.get(field)
        if ids:
            if not ids & getattr(about, field):
                return False
            named = True
    return named


def incident_about(incident: Incident, services=None) -> About:
    """The incident's type, services, the integrations whose alerts it holds and the
    connectors it is about (those integrations' connectors, and one named when it was
    declared or an alert was grouped into it — kept in the timeline), and the playbooks
    detached from it. Three queries, two when the caller has the ``services`` already."""
    integrations, connectors = set(), set()
    for integration, connector in Alert.objects.filter(incident=incident).values_list(
        "integration", "integration__connector"
    ):
        integrations.add(integration)
        if connector is not None:
            connectors.add(connector)
    detached = set()
    recorded = incident.timeline.filter(
        Q(kind__in=[TimelineEvent.Kind.DECLARED, TimelineEvent.Kind.ALERT],
          details__has_key="connector")
        | Q(kind=TimelineEvent.Kind.PLAYBOOK, details__has_key="detached")
    ).values_list("details", flat=True)
    for details in recorded:
        if "detached" in details:
            detached.add(details["detached"])
        else:
            connectors.add(details["connector"])
    return About(
        incident_type=incident.incident_type,
        services=frozenset(
            [service.pk for service in services] if services is not None
            else incident.services.values_list("pk", flat=True)
        ),
        connectors=frozenset(connectors),
        integrations=frozenset(integrations),
        detached=frozenset(detached),
    )


def playbooks_for(incident: Incident, about: About | None = None) -> list[Playbook]:
    """The playbooks that belong on the incident (``playbook_matches``), by title. Two
    queries whatever the number of playbooks."""
    about = about or incident_about(incident)
    candidates = list(
        Playbook.objects.filter(
            Q(services__in=about.services) | ~Q(incident_type="")
            | Q(connectors__isnull=False) | Q(integrations__isnull=False)
        )
        .distinct()
        .order_by("title")
    )
    if not candidates:
        return []
    wanted: dict[int, dict[str, set[int]]] = {p.pk: defaultdict(set) for p in candidates}
    fields = ("services", "connectors", "integrations")
    rows = Playbook.objects.filter(pk__in=wanted).values_list("pk", *fields)
    for pk, *ids in rows:
        for field, value in zip(fields, ids, strict=True):
            if value is not None:
                wanted[pk][field].add(value)
    return [
        playbook for playbook in candidates
        if playbook_matches(playbook.incident_type, wanted[playbook.pk], about)
    ]


def attach_playbooks(*, incident: Incident, now: datetime | None = None) -> list[Task]:
    """Add the checklists of the playbooks that belong on the incident as its tasks.

    Registered as an ``incidents.hooks.on_declared`` and ``on_type_changed`` hook, so it
    runs inside that transaction; safe to run again (nothing is added twice, and a playbook
    a commander detached is not put back).
    """
    tasks: list[Task] = []
    about = incident_about(incident)
    for playbook in playbooks_for(incident, about):
        if playbook.source not in about.detached:
            tasks += _attach(playbook, incident, by=None)
    return tasks


@transaction.atomic
def playbook_attach(*, playbook: Playbook, incident: Incident, by) -> list[Task]:
    """Attach a playbook to an incident by hand: its checklist steps not yet on the
    incident become tasks. Returns the tasks added (none when attached already)."""
    if by is not None and not may_attach_playbooks(by):
        raise PermissionDenied("Only operators add tasks to incidents.")
    if not incident.is_open:
        raise PlaybookRefused(f"{incident.reference} is no longer open.")
    return _attach(playbook, incident, by=by)


def _attach(playbook: Playbook, incident: Incident, *, by) -> list[Task]:
    version = playbook.current
    if version is None:
        return []
    # Lock the incident row so two attaches at once cannot both add the same steps.
    Incident.objects.select_for_update().filter(pk=incident.pk).first()
    present = set(
        Task.objects.filter(
            incident=incident, source__in=[playbook.source, _kept_source(playbook)]
        ).values_list("title", flat=True)
    )
    added = []
    for step in version.checklist_items:
        if step in present:
            continue
        added.append(task_add(incident=incident, title=step, by=by, source=playbook.source))
        present.add(step)
    return added


def _kept_source(playbook: Playbook) -> str:
    """``Task.source`` of a step kept on the incident when its playbook was detached."""
    return f"detached:{playbook.slug}"[:100]


def may_detach(user, incident: Incident) -> bool:
    """Commanders, and whoever holds the incident's commander seat."""
    return may_detach_playbooks(user) or (
        IncidentRoleKind.COMMANDER in incident_roles_of(user, incident)
    )


@transaction.atomic
def playbook_detach(*, playbook: Playbook, incident: Incident, by) -> tuple[int, int]:
    """Take a playbook off an incident. Its steps nobody touched (open, unassigned) are
    removed; those done or assigned stay as the incident's own tasks, since someone acted
    on them. Recorded in the timeline; the playbook is not attached again by itself.
    Returns (removed, kept)."""
    if by is not None and not may_detach(by, incident):
        raise PermissionDenied("Only incident commanders detach playbooks.")
    Incident.objects.select_for_update().filter(pk=incident.pk).first()
    steps = Task.objects.filter(incident=incident, source=playbook.source)
    if not steps.exists():
        raise PlaybookRefused(f"“{playbook.title}” is not attached to {incident.reference}.")
    untouched = steps.filter(done_at__isnull=True, assignee__isnull=True)
    removed = list(untouched.values_list("title", flat=True))
    untouched.delete()
    kept = steps.update(source=_kept_source(playbook))
    text = f"Playbook detached: {playbook.title}. "
    text += f"{len(removed)} untouched step(s) removed" if removed else "No step removed"
    text += f", {kept} done or assigned kept as tasks." if kept else "."
    timeline.record(
        incident, TimelineEvent.Kind.PLAYBOOK, text, by=by, detached=playbook.source,
        removed=removed, kept=kept,
    )
    return len(removed), kept


def attached_playbooks(incident: Incident) -> list[Playbook]:
    """The playbooks whose steps are on ``incident`` (found through ``Task.source``)."""
    sources = Task.objects.filter(incident=incident, source__startswith="playbook:")
    slugs = {source.split(":", 1)[1] for source in sources.values_list("source", flat=True)}
    return list(Playbook.objects.filter(slug__in=slugs).order_by("title"))

