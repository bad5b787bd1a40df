"""Response metrics of a set of incidents, aggregated by the database.

Every function takes a queryset of incidents (or of their links to services), already
narrowed to a period, and returns ``Totals``: sums and counts, never a row per incident.
Means are divided out in Python from those sums, which lets one grouped query serve several
breakdowns: totals per (week, severity, tier) add up to the totals per week, per severity,
per tier and overall.
"""

from contextlib import contextmanager
from dataclasses import dataclass, fields
from datetime import datetime

from django.db import connection, transaction
from django.db.models import Count, Exists, OuterRef, Q, Sum

from ..clocks import TargetBook
from . import expressions as ex

TARGETS = tuple(ex.TARGET_FIELDS)  # acknowledge · triage · decision · update


@dataclass
class Totals:
    """What the database adds up for a group of incidents (all zero for an empty group)."""

    incidents: int = 0
    acknowledged: int = 0
    acknowledge_seconds: float = 0.0
    triaged: int = 0
    triage_seconds: float = 0.0
    decided: int = 0
    decision_seconds: float = 0.0
    resolved: int = 0
    resolve_seconds: float = 0.0
    escalations: int = 0
    reached_leadership: int = 0
    reopened: int = 0
    acknowledge_applicable: int = 0
    acknowledge_missed: int = 0
    triage_applicable: int = 0
    triage_missed: int = 0
    decision_applicable: int = 0
    decision_missed: int = 0
    update_applicable: int = 0
    update_missed: int = 0

    def __add__(self, other: "Totals") -> "Totals":
        return Totals(**{f.name: getattr(self, f.name) + getattr(other, f.name) for f in FIELDS})

    @classmethod
    def from_row(cls, row: dict) -> "Totals":
        """Totals from an aggregate row (a SUM over no rows is NULL: zero here)."""
        return cls(**{f.name: row.get(f.name) or f.type(0) for f in FIELDS})

    # --- the metrics ------------------------------------------------------------------------

    @staticmethod
    def _mean(total: float, count: int) -> float | None:
        return total / count if count else None

    @property
    def mtta(self) -> float | None:
        """Mean seconds from declaration to acknowledgement, over acknowledged incidents."""
        return self._mean(self.acknowledge_seconds, self.acknowledged)

    @property
    def mttr(self) -> float | None:
        """Mean seconds from declaration to (final) resolution, over resolved incidents."""
        return self._mean(self.resolve_seconds, self.resolved)

    @property
    def time_to_triage(self) -> float | None:
        return self._mean(self.triage_seconds, self.triaged)

    @property
    def time_to_decision(self) -> float | None:
        return self._mean(self.decision_seconds, self.decided)

    @property
    def never_acknowledged(self) -> int:
        return self.incidents - self.acknowledged

    @property
    def unresolved(self) -> int:
        return self.incidents - self.resolved

    @property
    def escalations_per_incident(self) -> float | None:
        return self._mean(self.escalations, self.incidents)

    @property
    def leadership_share(self) -> float | None:
        return self._mean(self.reached_leadership, self.incidents)

    def missed_share(self, target: str) -> float | None:
        """Share of the incidents with ``target`` set that missed it."""
        return self._mean(getattr(self, f"{target}_missed"), getattr(self, f"{target}_applicable"))

    @property
    def missed_shares(self) -> dict[str, float | None]:
        return {target: self.missed_share(target) for target in TARGETS}

    @property
    def clocks_missed_share(self) -> float | None:
        """Missed clocks over clocks set, every target of every incident counted once."""
        missed = sum(getattr(self, f"{t}_missed") for t in TARGETS)
        applicable = sum(getattr(self, f"{t}_applicable") for t in TARGETS)
        return self._mean(missed, applicable)


FIELDS = fields(Totals)


def aggregates(book: TargetBook, now: datetime, since: datetime, prefix: str = "") -> dict:
    """The aggregate expressions behind ``Totals``, for a query over ``Incident`` (prefix "")
    or over the incident ↔ service link table (prefix "incident__"), whose incidents were all
    declared at or after ``since``."""
    pk = prefix + "pk"
    result = {
        "incidents": Count(pk),
        "escalations": Sum(prefix + "escalation_level"),
        "reached_leadership": Count(pk, filter=ex.reached_leadership(since, prefix)),
        "reopened": Count(pk, filter=Q(**{prefix + "reopened_count__gt": 0})),
    }
    for milestone, count_name in (
        ("acknowledge", "acknowledged"),
        ("triage", "triaged"),
        ("decision", "decided"),
        ("resolve", "resolved"),
    ):
        result[count_name] = Count(prefix + ex.MILESTONES[milestone])
        result[f"{milestone}_seconds"] = Sum(ex.seconds_to(milestone, prefix))
    for target in ex.MILESTONE_TARGETS:
        missed = ex.target_missed(book, target, now, prefix)
        result[f"{target}_applicable"] = Count(missed)  # NULL (no target) is not counted
        result[f"{target}_missed"] = Sum(missed)
    cadence = ex.target_minutes(book, "update", prefix)
    result["update_applicable"] = Count(cadence)
    result["update_missed"] = Count(cadence, filter=ex.update_cadence_missed(since, prefix))
    return result


@contextmanager
def _without_jit():
    """Run the enclosed queries in a transaction with PostgreSQL's JIT compiler off.

    The planner prices these wide aggregates (dozens of expressions per row, with
    subqueries) above ``jit_above_cost`` from a few thousand incidents on, and JIT then spends
    seconds compiling a query that runs in tens of milliseconds. Other databases: a plain
    transaction.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL jit = off")
        yield


def totals(incidents, *, book: TargetBook, now: datetime, since: datetime) -> Totals:
    """Totals of every incident in ``incidents`` (all declared at or after ``since``)."""
    with _without_jit():
        row = incidents.order_by().aggregate(**aggregates(book, now, since))
    return Totals.from_row(row)


def totals_by(
    incidents, keys: dict, *, book: TargetBook, now: datetime, since: datetime
) -> list[tuple]:
    """``(key values, Totals)`` per distinct value of ``keys`` (name → field or expression),
    in one grouped query. The key values come back as a dict."""
    rows = (
        incidents.order_by()
        .annotate(**{f"key_{name}": value for name, value in keys.items()})
        .values(*(f"key_{name}" for name in keys))
        .annotate(**aggregates(book, now, since))
    )
    with _without_jit():
        rows = list(rows)
    return [
        ({name: row[f"key_{name}"] for name in keys}, Totals.from_row(row)) for row in rows
    ]


def totals_by_service(links, *, book: TargetBook, now: datetime, since: datetime) -> list[tuple]:
    """``(service dict, Totals)`` per service, from ``links`` (a queryset of the incident ↔
    service link table, narrowed to the incidents to count): an incident on two services
    counts for each of them. One query."""
    rows = (
        links.values("service_id", "service__name", "service__slug", "service__tier")
        .annotate(**aggregates(book, now, since, prefix="incident__"))
        .order_by()
    )
    with _without_jit():
        rows = list(rows)
    return [
        (
            {
                "id": row["service_id"],
                "name": row["service__name"],
                "slug": row["service__slug"],
                "tier": row["service__tier"],
            },
            Totals.from_row(row),
        )
        for row in rows
    ]


def totals_by_team(links, *, book: TargetBook, now: datetime, since: datetime) -> list[tuple]:
    """``(team dict, Totals)`` per team owning a service, from ``links`` as for
    ``totals_by_service``.

    An incident counts once per team however many of the team's services it names: of its
    links to one team's services only the one to the lowest service id is kept (an anti-join,
    which the database runs set-wise).
    """
    earlier_link_same_team = ex.Link.objects.filter(
        incident_id=OuterRef("incident_id"),
        service__owner_team_id=OuterRef("service__owner_team_id"),
        service_id__lt=OuterRef("service_id"),
    )
    rows = (
        links.filter(~Exists(earlier_link_same_team))
        .values("service__owner_team_id", "service__owner_team__name")
        .annotate(**aggregates(book, now, since, prefix="incident__"))
        .order_by()
    )
    with _without_jit():
        rows = list(rows)
    return [
        (
            {"id": row["service__owner_team_id"], "name": row["service__owner_team__name"]},
            Totals.from_row(row),
        )
        for row in rows
    ]
