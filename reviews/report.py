"""The generated part of a review: everything the incident's own records already say.

``incident_report`` reads the incident, its timeline (the single source of what happened),
decisions, tasks, notifications, response clocks and the dependency graph, and returns a
JSON-safe dict: it is stored on the review, regenerated at will, and frozen into each
published version. Times are ISO strings there; ``revive`` turns them back into datetimes
for templates.
"""

from datetime import datetime

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from incidents.catalog.impact import failure_impact
from incidents.clocks import TargetBook, incident_clocks
from incidents.metrics.labels import duration_label
from incidents.models import (
    Notification,
    Person,
    Severity,
    StatusUpdate,
    Tier,
    TimelineEvent,
)

PAGE_REASONS = (
    Notification.Reason.ESCALATION,
    Notification.Reason.MANUAL_PAGE,
    Notification.Reason.BREACH,
    Notification.Reason.DRILL,
)


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return max((end - start).total_seconds(), 0.0)


def _absolute(path: str) -> str:
    return settings.PORTAL_BASE_URL + path


def _services(service_ids) -> tuple[list[dict], list[str], object]:
    impact = failure_impact(service_ids)
    rows = [_service_row(service, failed=True) for service in impact.failed]
    rows += [
        _service_row(reached.service, failed=False, via=[s.name for s in reached.via])
        for reached in impact.dependents
    ]
    return rows, list(impact.business_processes), impact


def _service_row(service, *, failed: bool, via=()) -> dict:
    return {
        "name": service.name,
        "slug": service.slug,
        "url": _absolute(service.get_absolute_url()),
        "tier": service.tier,
        "tier_label": Tier(service.tier).label,
        "business_process": service.business_process,
        "owner_team": service.owner_team.name,
        "platform": service.get_platform_display(),
        "public": service.public,
        "failed": failed,
        "via": list(via),
    }


def _exposure(services: list[dict], public_updates: list[StatusUpdate]) -> dict:
    public = [row["name"] for row in services if row["public"]]
    first = min((u.posted_at for u in public_updates), default=None)
    if not public:
        summary = "No affected service is on the public status page: customers were not told."
    else:
        told = (
            f"{len(public_updates)} public update{'s' if len(public_updates) != 1 else ''} "
            "posted"
            if public_updates
            else "no public update was posted"
        )
        summary = (
            f"Customers could see it: {', '.join(public)} "
            f"{'is' if len(public) == 1 else 'are'} on the public status page; {told}."
        )
    return {
        "exposed": bool(public),
        "public_services": public,
        "public_updates": len(public_updates),
        "first_public_update_at": _iso(first),
        "summary": summary,
    }


def incident_report(incident, now: datetime | None = None, book: TargetBook | None = None):
    """The report of ``incident`` as its records stand at ``now``."""
    now = now or timezone.now()
    incident_services = list(incident.services.select_related("owner_team"))
    service_ids = [s.pk for s in incident_services]
    services, processes, _ = _services(service_ids)
    events = list(TimelineEvent.objects.filter(incident=incident).order_by("at", "id"))
    decisions = list(incident.decisions.order_by("decided_at", "id"))
    tasks = list(incident.tasks.select_related("assignee").order_by("created_at", "id"))
    notifications = list(
        Notification.objects.filter(incident=incident)
        .select_related("recipient")
        .order_by("queued_at", "id")
    )
    public_updates = list(
        incident.status_updates.filter(visibility=StatusUpdate.Visibility.PUBLIC).order_by(
            "posted_at"
        )
    )
    book = book or TargetBook()
    clocks = incident_clocks(incident, book.for_incident(incident.severity, service_ids), now)
    paged_ids = {pk for e in events for pk in e.details.get("people", []) if isinstance(pk, int)}
    names = dict(Person.objects.filter(pk__in=paged_ids).values_list("pk", "name"))
    end = incident.resolved_at
    return {
        "kind": "incident",
        "built_at": _iso(now),
        "incident": {
            "reference": incident.reference,
            "number": incident.pk,
            "title": incident.title,
            "url": _absolute(incident.get_absolute_url()),
            "severity": incident.severity,
            "severity_label": Severity(incident.severity).label,
            "status_label": incident.get_status_display(),
            "is_drill": incident.is_drill,
            "summary": incident.summary,
            "declared_at": _iso(incident.declared_at),
            "acknowledged_at": _iso(incident.acknowledged_at),
            "triaged_at": _iso(incident.triaged_at),
            "first_decision_at": _iso(incident.first_decision_at),
            "mitigated_at": _iso(incident.mitigated_at),
            "resolved_at": _iso(incident.resolved_at),
            "closed_at": _iso(incident.closed_at),
            "duration": duration_label(_seconds(incident.declared_at, end)),
            "ongoing": end is None,
            "reopened_count": incident.reopened_count,
            "escalation_level": incident.escalation_level,
        },
        "services": services,
        "business_processes": processes,
        "exposure": _exposure(services, public_updates),
        "roles": [
            {"title": seat.title, "holder": seat.holder.name, "assigned_at": _iso(seat.assigned_at)}
            for seat in incident.roles.select_related("holder").order_by("kind", "custom_name")
        ],
        "timeline": [
            {
                "at": _iso(event.at),
                "kind": event.kind,
                "kind_label": event.get_kind_display(),
                "actor": event.actor_name,
                "text": event.text,
            }
            for event in events
        ],
        "decisions": [
            {
                "decision": decision.decision,
                "kind": decision.kind,
                "kind_label": decision.get_kind_display(),
                "options_considered": decision.options_considered,
                "rationale": decision.rationale,
                "decided_by": decision.decided_by_name,
                "decided_at": _iso(decision.decided_at),
                "reversible": decision.reversible,
                "outcome": decision.outcome,
            }
            for decision in decisions
        ],
        "escalations": [
            {
                "at": _iso(event.at),
                "actor": event.actor_name,
                "text": event.text,
                "people": [
                    names[pk] for pk in event.details.get("people", []) if pk in names
                ],
            }
            for event in events
            if event.kind == TimelineEvent.Kind.ESCALATION
        ],
        "notifications": [
            {
                "person": row.recipient.name,
                "channel": row.channel,
                "urgency": row.get_urgency_display(),
                "reason": row.get_reason_display(),
                "paged": row.reason in PAGE_REASONS,
                "state": row.get_state_display(),
                "queued_at": _iso(row.queued_at),
                "sent_at": _iso(row.sent_at),
                "acknowledged_at": _iso(row.acknowledged_at),
            }
            for row in notifications
        ],
        "tasks": [
            {
                "title": task.title,
                "assignee": task.assignee.name if task.assignee else "",
                "source": task.source,
                "created_at": _iso(task.created_at),
                "done_at": _iso(task.done_at),
                "done_by": task.done_by_name,
            }
            for task in tasks
        ],
        "breaches": [
            {
                "target": clock.name,
                "label": clock.label,
                "minutes": clock.minutes,
                "due_at": _iso(clock.due_at),
                "met_at": _iso(clock.met_at),
                "state": clock.state,
                "late_by": duration_label(
                    _seconds(clock.due_at, clock.met_at or end or now)
                ),
            }
            for clock in clocks
            if clock.is_breached
        ],
        "breach_events": [
            {"at": _iso(event.at), "text": event.text}
            for event in events
            if event.kind == TimelineEvent.Kind.TARGET_BREACHED
        ],
        "metrics": _metrics(incident),
    }


def _metrics(incident) -> dict:
    """MTTA and MTTR of this one incident (its own times, so the means of one)."""
    start = incident.declared_at
    figures = {
        "mtta": _seconds(start, incident.acknowledged_at),
        "time_to_triage": _seconds(start, incident.triaged_at),
        "time_to_decision": _seconds(start, incident.first_decision_at),
        "time_to_mitigate": _seconds(start, incident.mitigated_at),
        "mttr": _seconds(start, incident.resolved_at),
    }
    return {
        **figures,
        **{f"{name}_label": duration_label(value) for name, value in figures.items()},
    }


def near_miss_report(near_miss, now: datetime | None = None) -> dict:
    """The generated part of a review of a near miss: the report and what it would have hit."""
    now = now or timezone.now()
    services, processes, _ = _services([near_miss.service_id])
    return {
        "kind": "near_miss",
        "built_at": _iso(now),
        "near_miss": {
            "reference": near_miss.reference,
            "url": _absolute(near_miss.get_absolute_url()),
            "service": near_miss.service.name,
            "reported_at": _iso(near_miss.reported_at),
            "reporter": near_miss.reporter_name,
            "what_happened": near_miss.what_happened,
            "potential_impact": near_miss.potential_impact,
            "potential_severity_label": near_miss.get_potential_severity_display(),
            "triage_note": near_miss.triage_note,
            "triaged_by": near_miss.triaged_by_name,
        },
        "services": services,
        "business_processes": processes,
        "exposure": _exposure(services, []),
        "roles": [],
        "timeline": [],
        "decisions": [],
        "escalations": [],
        "notifications": [],
        "tasks": [],
        "breaches": [],
        "breach_events": [],
        "metrics": {},
    }


def _revive_value(key: str, item):
    if isinstance(item, str):
        if key == "at" or key.endswith("_at"):
            return parse_datetime(item)
        if key.endswith("_on"):
            return parse_date(item)
    return revive(item)


def revive(value):
    """A stored report with its ISO times and dates turned back into datetimes and dates
    (keys ``at``, ``…_at`` and ``…_on``)."""
    if isinstance(value, dict):
        return {key: _revive_value(key, item) for key, item in value.items()}
    if isinstance(value, list):
        return [revive(item) for item in value]
    return value
