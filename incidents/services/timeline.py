from django.utils import timezone

from ..models import Incident, TimelineEvent
from ..search import SEARCHED_KINDS, search_index_add
from .authority import actor_name


def record(
    incident: Incident, kind: str, text: str, *, by=None, at=None, name=None, **details
) -> TimelineEvent:
    """Append an event to ``incident``'s timeline and mark the incident changed."""
    at = at or timezone.now()
    event = TimelineEvent.objects.create(
        incident=incident,
        kind=kind,
        at=at,
        actor=by,
        actor_name=name or actor_name(by),
        text=text,
        details=details,
    )
    if kind in SEARCHED_KINDS:
        search_index_add(incident.pk, text)
    touch(incident, at)
    return event


def touch(incident: Incident, at=None) -> None:
    """Move the incident's ``updated_at`` on: live pages poll this as their version token."""
    incident.updated_at = max(at or timezone.now(), timezone.now())
    Incident.objects.filter(pk=incident.pk).update(updated_at=incident.updated_at)
