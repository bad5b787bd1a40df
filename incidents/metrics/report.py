"""The response report of one period: totals overall, per week (or day), severity, tier,
service and team, from three grouped queries whatever the number of incidents."""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import F, Q
from django.db.models.functions import TruncDay, TruncWeek
from django.urls import reverse
from django.utils import timezone

from ..clocks import TargetBook
from ..models import Incident, Severity, Tier
from . import expressions as ex
from .response import Totals, totals_by, totals_by_service, totals_by_team

PERIOD_DAYS = (7, 30, 90)
DEFAULT_PERIOD_DAYS = 30


@dataclass(frozen=True)
class Period:
    """The last ``days`` days up to ``end``; trends per day for a week, per week otherwise."""

    days: int
    end: datetime

    @property
    def start(self) -> datetime:
        return self.end - timedelta(days=self.days)

    @property
    def bucket(self) -> str:
        return "day" if self.days <= 7 else "week"

    def bucket_starts(self) -> list[date]:
        """The first day of every bucket the period touches, in the portal's time zone."""
        first = timezone.localtime(self.start).date()
        last = timezone.localtime(self.end).date()
        step = timedelta(days=1 if self.bucket == "day" else 7)
        if self.bucket == "week":
            first -= timedelta(days=first.weekday())  # weeks start on Monday
        starts = []
        while first <= last:
            starts.append(first)
            first += step
        return starts


def _in_period(period: Period, drills: bool, prefix: str = "") -> Q:
    scope = Q(
        **{
            prefix + "declared_at__gte": period.start,
            prefix + "declared_at__lte": period.end,
            prefix + "duplicate_of__isnull": True,
        }
    )
    return scope if drills else scope & Q(**{prefix + "is_drill": False})


def incidents_in(period: Period, *, drills: bool = False):
    """Incidents declared within ``period``; drills left out unless ``drills``.

    A merged duplicate is left out too: it was "resolved" by the merge, and its story goes on
    in the incident it was merged into.
    """
    return Incident.objects.filter(_in_period(period, drills))


def links_in(period: Period, *, drills: bool = False):
    """The links to services of ``incidents_in(period)``, filtered through one join (an
    ``incident__in`` subquery would make the database read the incidents twice)."""
    return ex.Link.objects.filter(_in_period(period, drills, "incident__"))


@dataclass
class Bucket:
    start: date
    totals: Totals = field(default_factory=Totals)
    per_severity: dict[str, int] = field(default_factory=dict)


@dataclass
class Group:
    """One row of a breakdown: what it is (``key``, ``label``) and its totals."""

    key: str
    label: str
    totals: Totals
    url: str = ""
    tier: int | None = None


@dataclass
class ResponseReport:
    period: Period
    drills: bool
    computed_at: datetime
    overall: Totals
    trend: list[Bucket]
    by_severity: list[Group]
    by_tier: list[Group]
    by_service: list[Group]
    by_team: list[Group]


def response_report(period: Period, *, drills: bool, book: TargetBook) -> ResponseReport:
    """Everything the dashboard's metrics show for ``period`` (three queries)."""
    now = period.end
    incidents = incidents_in(period, drills=drills)
    links = links_in(period, drills=drills)
    trunc = TruncDay if period.bucket == "day" else TruncWeek
    keys = {"bucket": trunc("declared_at"), "severity": F("severity"), "tier": ex.incident_tier()}
    since = period.start
    cells = totals_by(incidents, keys, book=book, now=now, since=since)

    buckets = {start: Bucket(start) for start in period.bucket_starts()}
    severities: dict[str, Totals] = defaultdict(Totals)
    tiers: dict[int | None, Totals] = defaultdict(Totals)
    overall = Totals()
    for key, cell in cells:
        start = timezone.localtime(key["bucket"]).date()
        bucket = buckets.setdefault(start, Bucket(start))
        bucket.totals += cell
        bucket.per_severity[key["severity"]] = (
            bucket.per_severity.get(key["severity"], 0) + cell.incidents
        )
        severities[key["severity"]] += cell
        tiers[key["tier"]] += cell
        overall += cell

    by_service = [
        Group(
            key=str(service["id"]),
            label=service["name"],
            totals=cell,
            url=reverse("incidents:service_detail", args=[service["slug"]]),
            tier=service["tier"],
        )
        for service, cell in totals_by_service(links, book=book, now=now, since=since)
    ]
    by_team = [
        Group(key=str(team["id"]), label=team["name"], totals=cell)
        for team, cell in totals_by_team(links, book=book, now=now, since=since)
    ]
    by_service.sort(key=lambda g: (-g.totals.incidents, g.label.casefold()))
    by_team.sort(key=lambda g: (-g.totals.incidents, g.label.casefold()))
    return ResponseReport(
        period=period,
        drills=drills,
        computed_at=now,
        overall=overall,
        trend=[buckets[start] for start in sorted(buckets)],
        by_severity=[
            Group(key=s.value, label=s.label, totals=severities.get(s.value, Totals()))
            for s in Severity
        ],
        by_tier=_tier_groups(tiers),
        by_service=by_service,
        by_team=by_team,
    )


def _tier_groups(tiers: dict) -> list[Group]:
    """One row per tier, and one for incidents that name no service if there are any."""
    groups = [
        Group(key=str(t.value), label=t.label, totals=tiers.get(t.value, Totals()), tier=t)
        for t in Tier
    ]
    if None in tiers:
        groups.append(Group(key="none", label="No service named", totals=tiers[None]))
    return groups
