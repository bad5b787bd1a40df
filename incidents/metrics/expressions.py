"""Database expressions over an incident's milestones, the building blocks of every metric.

Each builder takes ``prefix``: "" when the query runs over ``Incident`` itself, "incident__"
when it runs over the incident ↔ service link table (metrics per service and per team).
Nothing here reads a row into Python; the database evaluates all of it.
"""

from datetime import datetime

from django.db.models import (
    Case,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    IntegerField,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Cast, Coalesce
from django.db.models.lookups import GreaterThan, GreaterThanOrEqual

from ..clocks import TargetBook
from ..models import Incident, Notification, Severity, TimelineEvent

Link = Incident.services.through

# Milestone → the column that records it. Every duration metric starts at declared_at.
MILESTONES = {
    "acknowledge": "acknowledged_at",
    "triage": "triaged_at",
    "decision": "first_decision_at",
    "resolve": "resolved_at",
}
# Each response target and its ResponseTarget column. All but the update cadence are met by
# reaching the milestone of the same name.
TARGET_FIELDS = {
    "acknowledge": "acknowledge_minutes",
    "triage": "triage_minutes",
    "decision": "decision_minutes",
    "update": "update_minutes",
}
MILESTONE_TARGETS = ("acknowledge", "triage", "decision")
LEADERSHIP_AUDIENCE = "leadership"  # the AudienceGroup slug the default policies page
# Notifications that carry an incident upwards; status updates and reminders inform instead.
ESCALATING_REASONS = (
    Notification.Reason.ESCALATION,
    Notification.Reason.MANUAL_PAGE,
    Notification.Reason.BREACH,
)


class EpochSeconds(Func):
    """Seconds since 1970 of a datetime column, as a float the database can add up."""

    output_field = FloatField()
    # date_part() answers in double precision; EXTRACT answers in numeric since PostgreSQL 14,
    # several times slower to compute with over thousands of rows.
    template = "date_part('epoch', %(expressions)s)"

    def as_sqlite(self, compiler, connection, **extra_context):
        # SQLite keeps datetimes as ISO text; julianday() reads them, fractions included.
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s) - 2440587.5) * 86400.0)",
            **extra_context,
        )


class SecondsBetween(Func):
    """``later`` − ``earlier`` in seconds, as a float; NULL when either is NULL."""

    output_field = FloatField()
    arity = 2
    template = "date_part('epoch', %(expressions)s)"
    arg_joiner = " - "

    def as_sqlite(self, compiler, connection, **extra_context):
        # Renders ((julianday(later) - julianday(earlier)) * 86400.0).
        return self.as_sql(
            compiler,
            connection,
            template="((julianday(%(expressions)s)) * 86400.0)",
            arg_joiner=") - julianday(",
            **extra_context,
        )


def seconds_to(milestone: str, prefix: str = ""):
    """Seconds from declaration to ``milestone`` (a key of MILESTONES); NULL until reached."""
    return SecondsBetween(F(prefix + MILESTONES[milestone]), F(prefix + "declared_at"))


def target_minutes(book: TargetBook, target: str, prefix: str = ""):
    """Minutes allowed for ``target`` on each incident, by the rule of
    ``TargetBook.for_incident``: per affected service its override where it sets one, the
    severity's default elsewhere, the strictest of them; the default without services.

    Services without an override cost nothing: only a severity that has overrides looks at
    the incident's services, through the link table's incident index.
    """
    field = TARGET_FIELDS[target]
    whens = []
    for severity in Severity:
        default_row = book.defaults.get(severity)
        default = getattr(default_row, field) if default_row is not None else None
        overrides = {
            service_id: getattr(row, field)
            for (row_severity, service_id), row in book.overrides.items()
            if row_severity == severity and getattr(row, field) is not None
        }
        minutes = Value(default, output_field=IntegerField())
        if overrides:
            effective = Case(
                *(When(service_id=sid, then=Value(m)) for sid, m in sorted(overrides.items())),
                default=Value(default),
                output_field=IntegerField(),
            )
            strictest = (
                Link.objects.filter(incident_id=OuterRef(prefix + "pk"))
                .annotate(effective=effective)
                .values("incident_id")
                .annotate(strictest=Min("effective"))
                .values("strictest")
            )
            minutes = Coalesce(Subquery(strictest), minutes, output_field=IntegerField())
        whens.append(When(**{prefix + "severity": severity}, then=minutes))
    return Case(*whens, default=Value(None), output_field=IntegerField())


def target_missed(book: TargetBook, target: str, now: datetime, prefix: str = ""):
    """1 when ``target`` was missed, 0 when not (yet), NULL when the incident has none.

    The board's clock rule: a milestone reached after its due time is missed; one not reached
    is missed once its clock reaches due, and the clock stops at resolution (or runs until
    ``now`` while the incident is open). A comparison with no target minutes is NULL, which
    is what an incident without the target gets.
    """
    allowed = ExpressionWrapper(
        target_minutes(book, target, prefix) * Value(60.0), output_field=FloatField()
    )
    declared = EpochSeconds(F(prefix + "declared_at"))
    stopped = Coalesce(
        EpochSeconds(F(prefix + "resolved_at")), Value(now.timestamp()), output_field=FloatField()
    )
    return Case(
        When(
            **{prefix + MILESTONES[target] + "__isnull": False},
            then=Cast(GreaterThan(seconds_to(target, prefix), allowed), IntegerField()),
        ),
        default=Cast(GreaterThanOrEqual(stopped - declared, allowed), IntegerField()),
        output_field=IntegerField(),
    )


def update_cadence_missed(since: datetime, prefix: str = "") -> Q:
    """The incident recorded a missed update cadence (its clock restarts with each update, so
    only the recorded breach tells).

    An uncorrelated subquery, bounded by ``since`` (no incident declared after it can have an
    earlier event): the database reads the (kind, at) index once and hashes the ids.
    """
    breaches = TimelineEvent.objects.filter(
        kind=TimelineEvent.Kind.TARGET_BREACHED, at__gte=since, details__target="update"
    )
    return Q(**{prefix + "pk__in": breaches.values("incident_id")})


def reached_leadership(since: datetime, prefix: str = "") -> Q:
    """At least one escalating notification about the incident was queued for a member of
    the leadership audience group and not cancelled before it went out.

    Bounded by ``since`` like ``update_cadence_missed``, and read once through the
    (recipient, queued_at) index of the few people in the group.
    """
    pages = Notification.objects.filter(
        reason__in=ESCALATING_REASONS,
        recipient__audiences__slug=LEADERSHIP_AUDIENCE,
        queued_at__gte=since,
    ).exclude(state=Notification.State.CANCELLED)
    return Q(**{prefix + "pk__in": pages.values("incident_id")})


def incident_tier(prefix: str = ""):
    """The most critical tier among the incident's services (1 is the most critical);
    NULL for an incident with no service named."""
    tiers = (
        Link.objects.filter(incident_id=OuterRef(prefix + "pk"))
        .order_by("service__tier")
        .values("service__tier")[:1]
    )
    return Subquery(tiers, output_field=IntegerField())
