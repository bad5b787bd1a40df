"""The dashboard's tables: the incidents of the period (filtered, sorted, exported as CSV) and
the breakdowns of the response report per severity, tier, service and team.

Durations show as "4 min 30 s" on the page and export as minutes, a number a spreadsheet can
add up; the export's column headers say so.
"""

import django_filters
import django_tables2 as tables
from django.db.models import Exists, F, OuterRef
from django.utils.html import format_html

from .catalog.tables import spreadsheet_safe
from .metrics import expressions as ex
from .metrics.labels import duration_label, minutes, percent, share_label
from .models import Incident, Service, Severity, Team

# Column headers on the page; each is a time from declaration, as the page says.
DURATIONS = {
    "acknowledge": "To acknowledge",
    "triage": "To triage",
    "decision": "To first decision",
    "resolve": "To resolve",
}


def with_durations(incidents):
    """``incidents`` with the seconds from declaration to each milestone (NULL until then)."""
    return incidents.annotate(
        **{f"{name}_seconds": ex.seconds_to(name) for name in DURATIONS}
    ).defer("summary", "escalation_snapshot")


class IncidentFilter(django_filters.FilterSet):
    severity = django_filters.ChoiceFilter(
        label="Severity", choices=Severity.choices, empty_label="Any severity"
    )
    service = django_filters.ModelChoiceFilter(
        label="Service",
        field_name="services",
        queryset=Service.objects.order_by("name"),
        to_field_name="slug",
        empty_label="Any service",
    )
    team = django_filters.ModelChoiceFilter(
        label="Team",
        queryset=Team.objects.order_by("name"),
        to_field_name="slug",
        empty_label="Any team",
        method="owned_by",
    )

    class Meta:
        model = Incident
        fields = ["severity", "service", "team"]

    def owned_by(self, queryset, name, team):
        # Exists rather than a join: an incident on two of the team's services is one row.
        owned = ex.Link.objects.filter(incident_id=OuterRef("pk"), service__owner_team=team)
        return queryset.filter(Exists(owned))


class DurationColumn(tables.Column):
    """A milestone duration on the page ("4 min 30 s"); the incidents that never reached the
    milestone sort last both ways. Left out of the export, which has ``MinutesColumn``."""

    def __init__(self, milestone: str, **kwargs):
        self.milestone = milestone
        kwargs.setdefault("verbose_name", DURATIONS[milestone])
        kwargs.setdefault("accessor", f"{milestone}_seconds")
        super().__init__(exclude_from_export=True, **kwargs)

    def render(self, value):
        return duration_label(value)

    def order(self, queryset, is_descending):
        field = F(f"{self.milestone}_seconds")
        ordering = field.desc(nulls_last=True) if is_descending else field.asc(nulls_last=True)
        return queryset.order_by(ordering, "-declared_at", "-pk"), True


class MinutesColumn(tables.Column):
    """Seconds exported as minutes with one decimal; not shown on the page."""

    def __init__(self, **kwargs):
        super().__init__(visible=False, orderable=False, **kwargs)

    def value(self, value):
        return minutes(value)


class IncidentTable(tables.Table):
    reference = tables.Column(
        accessor="pk", verbose_name="Incident", linkify=True, order_by=("pk",)
    )
    title = tables.Column(verbose_name="Title")
    severity = tables.Column(verbose_name="Severity", order_by=("severity", "-declared_at"))
    status = tables.Column(verbose_name="Status", order_by=("status", "-declared_at"))
    services = tables.Column(empty_values=(), verbose_name="Services", orderable=False)
    declared_at = tables.DateTimeColumn(verbose_name="Declared", format="Y-m-d H:i")
    acknowledge = DurationColumn("acknowledge")
    triage = DurationColumn("triage")
    decision = DurationColumn("decision")
    resolve = DurationColumn("resolve")
    escalation_level = tables.Column(verbose_name="Escalations")
    reopened_count = tables.Column(verbose_name="Reopened")
    acknowledge_minutes = MinutesColumn(
        accessor="acknowledge_seconds", verbose_name="Time to acknowledge (min)"
    )
    triage_minutes = MinutesColumn(accessor="triage_seconds", verbose_name="Time to triage (min)")
    decision_minutes = MinutesColumn(
        accessor="decision_seconds", verbose_name="Time to first decision (min)"
    )
    resolve_minutes = MinutesColumn(
        accessor="resolve_seconds", verbose_name="Time to resolve (min)"
    )
    drill = tables.Column(accessor="is_drill", verbose_name="Drill", visible=False)

    class Meta:
        model = Incident
        fields = ()
        order_by = ("-declared_at",)
        attrs = {"class": "dashboard-incidents"}
        empty_text = "No incident in this period matches these filters."

    def render_reference(self, record):
        if record.is_drill:
            return format_html('{} <span class="badge-drill">Drill</span>', record.reference)
        return record.reference

    def render_severity(self, record):
        return format_html(
            '<span class="sev sev-{}">{}</span>', record.severity, record.get_severity_display()
        )

    def render_status(self, record):
        return record.get_status_display()

    def render_services(self, record):
        return ", ".join(service.name for service in record.services.all()) or "—"

    # What the CSV export writes: plain text a spreadsheet will not run, minutes as numbers.
    def value_reference(self, record):
        return record.reference

    def value_title(self, value):
        return spreadsheet_safe(value)

    def value_severity(self, record):
        return record.get_severity_display()

    def value_services(self, record):
        return spreadsheet_safe("; ".join(s.name for s in record.services.all()))

    def value_declared_at(self, value):
        return value.isoformat()

    def value_drill(self, value):
        return "yes" if value else "no"


# --- breakdowns of the response report --------------------------------------------------------


class SecondsColumn(tables.Column):
    """A mean duration on the page; its export twin is a ``MinutesColumn``."""

    def __init__(self, **kwargs):
        super().__init__(exclude_from_export=True, **kwargs)

    def render(self, value):
        return duration_label(value)


class ShareColumn(tables.Column):
    """A share on the page ("42 %"); its export twin is a ``PercentColumn``."""

    def __init__(self, **kwargs):
        super().__init__(exclude_from_export=True, **kwargs)

    def render(self, value):
        return share_label(value)


class PercentColumn(tables.Column):
    """A share exported as a percentage with one decimal; not shown on the page."""

    def __init__(self, **kwargs):
        super().__init__(visible=False, orderable=False, **kwargs)

    def value(self, value):
        return percent(value)


class BreakdownTable(tables.Table):
    """One row per group of the response report (a ``metrics.report.Group``)."""

    label = tables.Column(verbose_name="Group")
    incidents = tables.Column(accessor="totals__incidents", verbose_name="Incidents")
    mtta = SecondsColumn(accessor="totals__mtta", verbose_name="MTTA")
    never_acknowledged = tables.Column(
        accessor="totals__never_acknowledged", verbose_name="Never acknowledged"
    )
    time_to_triage = SecondsColumn(accessor="totals__time_to_triage", verbose_name="To triage")
    time_to_decision = SecondsColumn(
        accessor="totals__time_to_decision", verbose_name="To first decision"
    )
    mttr = SecondsColumn(accessor="totals__mttr", verbose_name="MTTR")
    unresolved = tables.Column(accessor="totals__unresolved", verbose_name="Unresolved")
    escalations = tables.Column(
        accessor="totals__escalations_per_incident", verbose_name="Escalations per incident"
    )
    leadership = ShareColumn(accessor="totals__leadership_share", verbose_name="Reached leadership")
    missed = ShareColumn(accessor="totals__clocks_missed_share", verbose_name="Targets missed")
    mtta_minutes = MinutesColumn(accessor="totals__mtta", verbose_name="MTTA (min)")
    triage_minutes = MinutesColumn(
        accessor="totals__time_to_triage", verbose_name="To triage (min)"
    )
    decision_minutes = MinutesColumn(
        accessor="totals__time_to_decision", verbose_name="To first decision (min)"
    )
    mttr_minutes = MinutesColumn(accessor="totals__mttr", verbose_name="MTTR (min)")
    leadership_percent = PercentColumn(
        accessor="totals__leadership_share", verbose_name="Reached leadership (%)"
    )
    missed_percent = PercentColumn(
        accessor="totals__clocks_missed_share", verbose_name="Targets missed (%)"
    )

    class Meta:
        attrs = {"class": "dashboard-breakdown"}
        empty_text = "No incident in this period."

    def render_label(self, record):
        if record.url:
            return format_html('<a href="{}">{}</a>', record.url, record.label)
        return record.label

    def render_escalations(self, value):
        return f"{value:.1f}"

    def value_label(self, record):
        return spreadsheet_safe(record.label)

    def value_escalations(self, value):
        return None if value is None else round(value, 2)


class SeverityBreakdownTable(BreakdownTable):
    label = tables.Column(verbose_name="Severity", order_by=("key",))

    class Meta(BreakdownTable.Meta):
        pass


class TierBreakdownTable(BreakdownTable):
    label = tables.Column(verbose_name="Tier", order_by=("key",))

    class Meta(BreakdownTable.Meta):
        pass


class ServiceBreakdownTable(BreakdownTable):
    label = tables.Column(verbose_name="Service")

    class Meta(BreakdownTable.Meta):
        pass


class TeamBreakdownTable(BreakdownTable):
    label = tables.Column(verbose_name="Team")

    class Meta(BreakdownTable.Meta):
        pass
