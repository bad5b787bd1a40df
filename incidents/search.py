"""Full-text search over incidents: title, summary, timeline notes and status updates.

On PostgreSQL each incident keeps a stored ``search_vector`` (GIN-indexed by migration 0013).
The workflows that write searchable text add it here as they write it — ``incident_declare``
(title, summary), ``timeline.record`` (notes), ``update_publish`` (updates) — so a search is
one index lookup, never a scan of 100,000 timelines. Appending is one small ``UPDATE`` per
write; ``search_index_rebuild`` recomputes whole vectors (the migration's backfill, bulk
loads, the demo seed). The calls are explicit rather than a database trigger so that a
reader finds them by following the workflows, and so that the SQLite build runs the same code.

SQLite has no such index: there the search is a case-insensitive match over the same fields.
"""

from django.contrib.postgres.search import SearchQuery
from django.db import connections
from django.db.models import Exists, OuterRef, Q, QuerySet

from .models import StatusUpdate, TimelineEvent

CONFIG = "english"
# The parts of a status update a search reads: the five answers and the customer wording.
UPDATE_FIELDS = (
    "what_happened",
    "current_impact",
    "being_done",
    "responsible",
    "expected_timeline",
    "technical_detail",
    "customer_headline",
    "customer_wording",
)
SEARCHED_KINDS = (TimelineEvent.Kind.NOTE,)


def _indexed(using: str = "default") -> bool:
    return connections[using].vendor == "postgresql"


def search_index_add(incident_id: int, *texts: str, using: str = "default") -> None:
    """Add ``texts`` to the incident's search vector (PostgreSQL; nothing elsewhere)."""
    text = " ".join(t for t in texts if t)
    if not text or not _indexed(using):
        return
    with connections[using].cursor() as cursor:
        cursor.execute(
            "UPDATE incidents_incident SET search_vector = "
            "coalesce(search_vector, ''::tsvector) || to_tsvector(%s::regconfig, %s) "
            "WHERE id = %s",
            [CONFIG, text, incident_id],
        )


def update_text(update: StatusUpdate) -> str:
    return " ".join(getattr(update, field) for field in UPDATE_FIELDS)


_UPDATE_CONCAT = ", ".join(f"u.{field}" for field in UPDATE_FIELDS)
# Column names from the constant above only: nothing from a request reaches this text.
_REBUILD = f"""
UPDATE incidents_incident AS i SET search_vector =
    to_tsvector(%(config)s::regconfig, i.title || ' ' || i.summary)
    || to_tsvector(%(config)s::regconfig, coalesce((
        SELECT string_agg(t.text, ' ') FROM incidents_timelineevent t
        WHERE t.incident_id = i.id AND t.kind = ANY(%(kinds)s)), ''))
    || to_tsvector(%(config)s::regconfig, coalesce((
        SELECT string_agg(concat_ws(' ', {_UPDATE_CONCAT}), ' ')
        FROM incidents_statusupdate u WHERE u.incident_id = i.id), ''))
"""  # noqa: S608


def search_index_rebuild(incident_ids=None, using: str = "default") -> None:
    """Recompute the search vectors of ``incident_ids`` (every incident when None)."""
    if not _indexed(using):
        return
    params = {"config": CONFIG, "kinds": list(SEARCHED_KINDS)}
    sql = _REBUILD
    if incident_ids is not None:
        # A join, not "= ANY(array)": with thousands of ids the planner may otherwise test
        # each row of the table against the whole array.
        sql += " FROM unnest(%(ids)s::bigint[]) AS chosen(id) WHERE i.id = chosen.id"
        params["ids"] = list(incident_ids)
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)


def search_filter(incidents: QuerySet, words: str) -> QuerySet:
    """``incidents`` that mention ``words`` in their title, summary, notes or updates."""
    words = words.strip()
    if not words:
        return incidents
    if _indexed(incidents.db):
        return incidents.filter(
            search_vector=SearchQuery(words, config=CONFIG, search_type="websearch")
        )
    notes = TimelineEvent.objects.filter(
        incident=OuterRef("pk"), kind__in=SEARCHED_KINDS, text__icontains=words
    )
    updates = StatusUpdate.objects.filter(incident=OuterRef("pk")).filter(
        _any_contains(UPDATE_FIELDS, words)
    )
    return incidents.filter(
        Q(title__icontains=words)
        | Q(summary__icontains=words)
        | Exists(notes)
        | Exists(updates)
    )


def _any_contains(fields, words: str) -> Q:
    condition = Q()
    for field in fields:
        condition |= Q(**{f"{field}__icontains": words})
    return condition
