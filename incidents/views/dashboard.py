"""/dashboard/: what leadership needs during and between incidents, without reading logs.

One view serves the page, its "now" panels for htmx polls (204 and no body while nothing
changed, after one version query) and the CSV exports of its tables (``?_export=csv``).
"""

import hashlib
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django import forms
from django.core.cache import cache
from django.http import HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers
from django_tables2 import RequestConfig
from django_tables2.export import TableExport

from portal import roles
from portal.roles import role_required

from ..clocks import TargetBook
from ..dashboard_tables import (
    IncidentFilter,
    IncidentTable,
    ServiceBreakdownTable,
    SeverityBreakdownTable,
    TeamBreakdownTable,
    TierBreakdownTable,
    with_durations,
)
from ..metrics import (
    DEFAULT_PERIOD_DAYS,
    PERIOD_DAYS,
    LiveVersion,
    Period,
    ResponseReport,
    duration_label,
    incidents_in,
    live_panels,
    live_version,
    response_report,
    share_label,
)
from ..metrics.definitions import DEFINITIONS
from ..metrics.labels import hours, minutes, percent
from ..metrics.response import TARGETS
from ..models import Severity
from .listing import EXPORT_PARAM, paginate

VERSION_PARAM = "v"
TABLE_PARAM = "_table"
INCIDENTS_PER_PAGE = 25
OPEN_PER_SEVERITY = 8  # rows per severity in the "now" panel; the board has them all
SEATS_PER_PERSON = 5  # incidents listed per person in the workload panel
ROUTES_PER_PROCESS = 8  # routes listed per impacted business process
# The "now" panels follow their version token, which moves with every change to them and
# every minute. The metrics follow the data, but are rendered again at most every
# SETTLE_SECONDS (a busy incident changes every few seconds and barely moves a month's
# figures) and at least every METRICS_SECONDS (the period slides on, audiences change).
NOW_SECONDS = 90
SETTLE_SECONDS = 30
METRICS_SECONDS = 120
KEEP_SECONDS = 3600  # an old rendering is kept this long, to serve while a new one is made
LOCK_WAIT_SECONDS = 30
SEVERITY_COLOURS = {"sev1": "#b3261e", "sev2": "#c2410c", "sev3": "#8a5300", "sev4": "#3d5a80"}
TARGET_LABELS = {
    "acknowledge": "Acknowledge",
    "triage": "Triage",
    "decision": "First decision",
    "update": "Update cadence",
}
TARGET_COLOURS = {
    "acknowledge": "#0b5cad",
    "triage": "#8a5300",
    "decision": "#5b21b6",
    "update": "#1a7f37",
}
BREAKDOWNS = {
    "severity": (SeverityBreakdownTable, "by_severity", "By severity"),
    "tier": (TierBreakdownTable, "by_tier", "By tier"),
    "service": (ServiceBreakdownTable, "by_service", "By service"),
    "team": (TeamBreakdownTable, "by_team", "By team"),
}


class DashboardOptions(forms.Form):
    period = forms.TypedChoiceField(
        choices=[(days, f"Last {days} days") for days in PERIOD_DAYS],
        coerce=int,
        required=False,
        empty_value=DEFAULT_PERIOD_DAYS,
    )
    drills = forms.BooleanField(required=False, label="Include drills")


def _options(query) -> tuple[int, bool]:
    """The period and the drills switch from the query string; the default for either one
    that is not valid (an unknown period shows the default one, not an error)."""
    form = DashboardOptions(query)
    form.is_valid()
    valid = form.cleaned_data
    return valid.get("period", DEFAULT_PERIOD_DAYS), valid.get("drills", False)


@require_safe
@never_cache
@vary_on_headers("HX-Request")
@role_required(roles.LEADERSHIP, roles.COMMANDERS)
def dashboard(request):
    """The dashboard page; its "now" panels alone for an htmx poll; a table as CSV.

    Nothing on the page depends on who views it, so its two expensive parts are rendered
    once and served from the cache: the "now" panels until their version token moves, the
    metrics (per query string) until the data changes, at most every half minute.
    """
    now = timezone.now()
    days, drills = _options(request.GET)
    partial = request.htmx and not request.htmx.history_restore_request
    version = live_version(now)
    if partial and request.GET.get(VERSION_PARAM) == version.token:
        return HttpResponse(status=204)

    period = Period(days=days, end=now)
    if request.GET.get(EXPORT_PARAM) == TableExport.CSV and not partial:
        return _export(request, period, drills, version.data_stamp)

    now_html = _now_html(version, drills, now)
    if partial:
        return HttpResponse(now_html)

    base_url = reverse("incidents:dashboard")
    options = {"period": days, **({"drills": "1"} if drills else {})}
    context = {
        "days": days,
        "drills": drills,
        "periods": [(d, f"{base_url}?{urlencode({**options, 'period': d})}") for d in PERIOD_DAYS],
        "drills_url": _drills_toggle_url(base_url, days, drills),
        "now_html": now_html,
        "metrics_html": _metrics_html(request, period, drills, version.data_stamp),
        "definitions": DEFINITIONS,
    }
    return render(request, "incidents/dashboard.html", context)


def _drills_toggle_url(base_url: str, days: int, drills: bool) -> str:
    query = {"period": days} if drills else {"period": days, "drills": "1"}
    return f"{base_url}?{urlencode(query)}"


# --- the parts of the page, cached --------------------------------------------------------------


@dataclass(frozen=True)
class Rendered:
    html: str
    stamp: str  # the version it was rendered from
    at: float  # when, in seconds since 1970


# One lock per part: in each process one thread renders a part while the others serve the
# rendering they have, so a change seen by many viewers at once costs one rendering.
RENDER_LOCKS = {"now": threading.Lock(), "metrics": threading.Lock()}


def _rendered(part: str, key: str, stamp: str, build, *, fresh_for: int, settle_for: int = 0):
    """The cached rendering of a part of the page, built again when it is not fit to serve.

    A rendering is fit while it comes from ``stamp`` and is younger than ``fresh_for``
    seconds, or whatever its stamp while younger than ``settle_for``. When it is not, the
    thread that takes the part's lock renders it again; the others keep serving the old one
    meanwhile, and only wait when there is none at all.
    """

    def fit(entry) -> bool:
        if entry is None:
            return False
        age = time.time() - entry.at
        return age < settle_for or (entry.stamp == stamp and age < fresh_for)

    entry = cache.get(key)
    if fit(entry):
        return entry.html
    lock = RENDER_LOCKS[part]
    if entry is None:
        # Nothing to serve: wait for the thread rendering it, though not for ever.
        locked = lock.acquire(timeout=LOCK_WAIT_SECONDS)
    else:
        locked = lock.acquire(blocking=False)
        if not locked:
            return entry.html
    try:
        latest = cache.get(key)  # another thread may have rendered it while this one waited
        if fit(latest):
            return latest.html
        html = build()
        cache.set(key, Rendered(html, stamp, time.time()), KEEP_SECONDS)
        return html
    finally:
        if locked:
            lock.release()


def _now_html(version: LiveVersion, drills: bool, now) -> str:
    """The "now" panels for ``version`` (the same HTML for every viewer)."""

    def build() -> str:
        query = {**({"drills": "1"} if drills else {}), VERSION_PARAM: version.token}
        context = {
            "panels": live_panels(now, drills=drills),
            "open_per_severity": OPEN_PER_SEVERITY,
            "seats_per_person": SEATS_PER_PERSON,
            "routes_per_process": ROUTES_PER_PROCESS,
            "poll_url": f"{reverse('incidents:dashboard')}?{urlencode(query)}",
            "version": version.token,
            "drills": drills,
        }
        return render_to_string("incidents/dashboard.html#now", context)

    key = f"dashboard:now:{int(drills)}"
    return _rendered("now", key, version.token, build, fresh_for=NOW_SECONDS)


def _metrics_html(request, period: Period, drills: bool, data_stamp: str) -> str:
    """Figures, charts, breakdowns and the incidents table, for this query string (its
    period, sorting, filters and page)."""

    def build() -> str:
        report = _report(period, drills, data_stamp)
        context = {
            "days": period.days,
            "drills": drills,
            "report": report,
            "figures": _figures(report),
            "charts": _charts(report),
            "breakdowns": _breakdowns(request, report),
            **_incident_table(request, period, drills),
        }
        return render_to_string("incidents/dashboard.html#metrics", context, request)

    query = sorted(
        (name, value)
        for name, values in request.GET.lists()
        if name not in (VERSION_PARAM, EXPORT_PARAM, TABLE_PARAM)
        for value in values
    )
    shape = hashlib.blake2s(repr((period.days, drills, query)).encode(), digest_size=8)
    key = f"dashboard:metrics:{shape.hexdigest()}"
    return _rendered(
        "metrics", key, data_stamp, build, fresh_for=METRICS_SECONDS, settle_for=SETTLE_SECONDS
    )


def _report(period: Period, drills: bool, data_stamp: str) -> ResponseReport:
    """The period's report, shared by every sorting, filter and page of the tables."""
    key = f"dashboard:report:{period.days}:{int(drills)}:{data_stamp}"
    report = cache.get(key)
    if report is None:
        report = response_report(period, drills=drills, book=TargetBook())
        cache.set(key, report, SETTLE_SECONDS)
    return report


# --- figures, charts, tables -------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    label: str
    value: str
    detail: str
    definition: str  # the anchor of its definition


def _figures(report: ResponseReport) -> list[Figure]:
    t = report.overall
    missed = ", ".join(
        f"{TARGET_LABELS[target].lower()} {share_label(t.missed_share(target))}"
        for target in TARGETS
    )
    return [
        Figure(
            "Incidents", str(t.incidents), f"{t.unresolved} unresolved · {t.reopened} reopened",
            "incidents-in-the-period",
        ),
        Figure(
            "MTTA", duration_label(t.mtta),
            f"over {t.acknowledged} acknowledged · {t.never_acknowledged} never acknowledged",
            "mtta-mean-time-to-acknowledge",
        ),
        Figure(
            "MTTR", duration_label(t.mttr),
            f"over {t.resolved} resolved · {t.unresolved} unresolved",
            "mttr-mean-time-to-resolve",
        ),
        Figure(
            "Time to triage", duration_label(t.time_to_triage), f"over {t.triaged} triaged",
            "time-to-triage",
        ),
        Figure(
            "Time to first decision", duration_label(t.time_to_decision),
            f"over {t.decided} with a decision", "time-to-first-decision",
        ),
        Figure(
            "Escalations per incident",
            "—" if t.escalations_per_incident is None else f"{t.escalations_per_incident:.1f}",
            f"{t.escalations} escalation steps in all", "escalations-per-incident",
        ),
        Figure(
            "Reached leadership", share_label(t.leadership_share),
            f"{t.reached_leadership} of {t.incidents} incidents", "reached-leadership",
        ),
        Figure(
            "Targets missed", share_label(t.clocks_missed_share), missed,
            "response-target-missed",
        ),
    ]


@dataclass
class Chart:
    """A chart and the same numbers as a table beside it (the table is the accessible and
    the no-JavaScript version)."""

    slug: str
    title: str
    kind: str  # bar · line
    unit: str
    labels: list[str]
    datasets: list[dict]
    columns: list[str]
    rows: list[list] = field(default_factory=list)
    stacked: bool = False

    @property
    def data_id(self) -> str:
        return f"chart-data-{self.slug}"

    @property
    def spec(self) -> dict:
        return {
            "kind": self.kind,
            "unit": self.unit,
            "labels": self.labels,
            "datasets": self.datasets,
            "stacked": self.stacked,
            "title": self.title,
        }


def _bucket_label(report: ResponseReport, start) -> str:
    """"Mon 2 Mar" for a day, "2 Mar" for the week starting that Monday."""
    return date_format(start, "D j M" if report.period.bucket == "day" else "j M")


def _charts(report: ResponseReport) -> list[Chart]:
    labels = [_bucket_label(report, bucket.start) for bucket in report.trend]
    per = "day" if report.period.bucket == "day" else "week"
    bucket_header = "Day" if per == "day" else "Week of"
    counts = Chart(
        slug="incidents-per-bucket",
        title=f"Incidents per {per}, by severity",
        kind="bar",
        unit="incidents",
        labels=labels,
        stacked=True,
        datasets=[
            {
                "label": severity.label,
                "data": [b.per_severity.get(severity.value, 0) for b in report.trend],
                "colour": SEVERITY_COLOURS[severity.value],
            }
            for severity in Severity
        ],
        columns=[bucket_header, *(s.label for s in Severity), "Total"],
        rows=[
            [label, *(b.per_severity.get(s.value, 0) for s in Severity), b.totals.incidents]
            for label, b in zip(labels, report.trend, strict=True)
        ],
    )
    mtta = Chart(
        slug="mtta-trend",
        title=f"MTTA per {per} (minutes)",
        kind="line",
        unit="min",
        labels=labels,
        datasets=[
            {
                "label": "MTTA",
                "data": [minutes(b.totals.mtta) for b in report.trend],
                "colour": "#0b5cad",
            },
            {
                "label": "Time to triage",
                "data": [minutes(b.totals.time_to_triage) for b in report.trend],
                "colour": "#8a5300",
            },
        ],
        columns=[bucket_header, "MTTA", "Acknowledged", "Never acknowledged", "To triage"],
        rows=[
            [
                label, duration_label(b.totals.mtta), b.totals.acknowledged,
                b.totals.never_acknowledged, duration_label(b.totals.time_to_triage),
            ]
            for label, b in zip(labels, report.trend, strict=True)
        ],
    )
    mttr = Chart(
        slug="mttr-trend",
        title=f"MTTR per {per} (hours)",
        kind="line",
        unit="h",
        labels=labels,
        datasets=[
            {
                "label": "MTTR",
                "data": [hours(b.totals.mttr) for b in report.trend],
                "colour": "#b3261e",
            }
        ],
        columns=[bucket_header, "MTTR", "Resolved", "Unresolved"],
        rows=[
            [label, duration_label(b.totals.mttr), b.totals.resolved, b.totals.unresolved]
            for label, b in zip(labels, report.trend, strict=True)
        ],
    )
    severities = report.by_severity
    missed = Chart(
        slug="missed-by-severity",
        title="Response targets missed, by severity (% of incidents with the target)",
        kind="bar",
        unit="%",
        labels=[group.label for group in severities],
        datasets=[
            {
                "label": TARGET_LABELS[target],
                "data": [percent(group.totals.missed_share(target)) for group in severities],
                "colour": TARGET_COLOURS[target],
            }
            for target in TARGETS
        ],
        columns=["Severity", *(TARGET_LABELS[t] for t in TARGETS)],
        rows=[
            [
                group.label,
                *(
                    f"{share_label(group.totals.missed_share(t))} "
                    f"({getattr(group.totals, f'{t}_missed')}/"
                    f"{getattr(group.totals, f'{t}_applicable')})"
                    for t in TARGETS
                ),
            ]
            for group in severities
        ],
    )
    return [counts, mtta, mttr, missed]


@dataclass(frozen=True)
class Breakdown:
    name: str
    title: str
    table: object
    export_url: str


def _breakdowns(request, report: ResponseReport) -> list[Breakdown]:
    found = []
    for name, (table_class, attribute, title) in BREAKDOWNS.items():
        table = table_class(getattr(report, attribute), prefix=f"{name}-")
        RequestConfig(request, paginate=False).configure(table)
        export = request.GET.copy()
        export.pop(VERSION_PARAM, None)
        export[EXPORT_PARAM] = TableExport.CSV
        export[TABLE_PARAM] = name
        found.append(Breakdown(name, title, table, f"?{export.urlencode()}"))
    return found


def _incident_table(request, period: Period, drills: bool) -> dict:
    incidents = with_durations(incidents_in(period, drills=drills)).prefetch_related("services")
    incident_filter = IncidentFilter(request.GET, queryset=incidents)
    filters_valid = incident_filter.is_valid()
    table = IncidentTable(incident_filter.qs if filters_valid else incidents)
    RequestConfig(request, paginate=False).configure(table)
    paginate(table, request.GET.get(table.prefixed_page_field, "1"), INCIDENTS_PER_PAGE)
    export = request.GET.copy()
    export.pop(table.prefixed_page_field, None)
    export.pop(VERSION_PARAM, None)
    export[EXPORT_PARAM] = TableExport.CSV
    export[TABLE_PARAM] = "incidents"
    return {
        "incident_filter": incident_filter,
        "filters_valid": filters_valid,
        "incident_table": table,
        "incident_export_url": f"?{export.urlencode()}",
    }


def _export(request, period: Period, drills: bool, data_stamp: str):
    """A table of the page as a CSV file; 400 with the page's errors for invalid filters."""
    which = request.GET.get(TABLE_PARAM, "incidents")
    stamp = timezone.localdate()
    if which in BREAKDOWNS:
        table_class, attribute, _title = BREAKDOWNS[which]
        report = _report(period, drills, data_stamp)
        table = table_class(getattr(report, attribute), prefix=f"{which}-")
        RequestConfig(request, paginate=False).configure(table)
        filename = f"incidents-by-{which}-{period.days}d-{stamp:%Y-%m-%d}.csv"
        return TableExport(TableExport.CSV, table).response(filename=filename)
    incidents = with_durations(incidents_in(period, drills=drills)).prefetch_related("services")
    incident_filter = IncidentFilter(request.GET, queryset=incidents)
    if not incident_filter.is_valid():
        return HttpResponse(
            "Some filters are not valid, so no CSV was made: "
            + "; ".join(f"{k}: {' '.join(v)}" for k, v in incident_filter.errors.items()),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    table = IncidentTable(incident_filter.qs)
    RequestConfig(request, paginate=False).configure(table)
    filename = f"incidents-{period.days}d-{stamp:%Y-%m-%d}.csv"
    return TableExport(TableExport.CSV, table).response(filename=filename)
