"""Writing playbooks, their review clock, and putting their checklists on incidents."""

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify

from incidents.models import Incident, Notification, Task, Urgency
from incidents.notifications import outbox, render
from incidents.services import task_add
from incidents.services.authority import actor_name
from incidents.timers import cancel, schedule

from ..models import Playbook, PlaybookVersion
from ..permissions import may_attach_playbooks, may_edit_playbooks

REVIEW_DUE = "playbook_review_due"
# While a playbook stays stale its owner is reminded again this often.
REMIND_AGAIN_AFTER = timedelta(days=7)
SETTINGS_LABELS = {
    "summary": "Summary",
    "incident_type": "Incident type",
    "owner_team": "Owner team",
    "review_interval_days": "Review every (days)",
    "services": "Services",
}


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
    note: str = "", slug: str = "", at: datetime | None = None,
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
    _new_version(playbook, title, body, checklist, note.strip() or "First version.", by, at)
    schedule_review(playbook)
    return playbook


@transaction.atomic
def playbook_update(
    *, playbook: Playbook, by, title: str, body: str, checklist: str = "", services=None,
    summary: str | None = None, incident_type: str | None = None, owner_team=None,
    review_interval_days: int | None = None, note: str = "", at: datetime | None = None,
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
    )
    current = playbook.current
    text_changed = current is None or (current.title, current.body, current.checklist) != (
        title, body, checklist
    )
    if not text_changed and not changes:
        return None
    for field, (_label, _old, new) in changes.items():
        if field == "services":
            playbook.services.set(new)
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
        if field == "services":
            old = list(playbook.services.order_by("name"))
            new = sorted(new, key=lambda s: s.name)
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


def playbooks_for(incident: Incident):
    """The playbooks written for any of the incident's services."""
    service_ids = list(incident.services.values_list("pk", flat=True))
    if not service_ids:
        return Playbook.objects.none()
    return Playbook.objects.filter(services__in=service_ids).distinct().order_by("title")


def attach_playbooks(*, incident: Incident, now: datetime | None = None) -> list[Task]:
    """Add the checklists of the playbooks for the incident's services as its tasks.

    Registered as an ``incidents.hooks.on_declared`` hook, so it runs inside the declare
    transaction; safe to run again (nothing is added twice).
    """
    tasks: list[Task] = []
    for playbook in playbooks_for(incident):
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
        Task.objects.filter(incident=incident, source=playbook.source).values_list(
            "title", flat=True
        )
    )
    added = []
    for step in version.checklist_items:
        if step in present:
            continue
        added.append(task_add(incident=incident, title=step, by=by, source=playbook.source))
        present.add(step)
    return added


def attached_playbooks(incident: Incident) -> list[Playbook]:
    """The playbooks whose steps are on ``incident`` (found through ``Task.source``)."""
    sources = Task.objects.filter(incident=incident, source__startswith="playbook:")
    slugs = {source.split(":", 1)[1] for source in sources.values_list("source", flat=True)}
    return list(Playbook.objects.filter(slug__in=slugs).order_by("title"))

