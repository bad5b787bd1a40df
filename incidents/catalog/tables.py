"""The service catalog as a sortable table, rendered as HTML or exported as CSV."""

import django_tables2 as tables
from django.db.models import Case, IntegerField, Value, When
from django.utils.html import format_html

from ..models import Service, ServiceStatus

# From fine to worst: sorting the status column by this shows the outages together.
STATUS_SEVERITY = (
    ServiceStatus.OPERATIONAL,
    ServiceStatus.MAINTENANCE,
    ServiceStatus.DEGRADED,
    ServiceStatus.PARTIAL_OUTAGE,
    ServiceStatus.MAJOR_OUTAGE,
)

# A spreadsheet runs a cell starting with one of these as a formula; names come from people.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(text: str) -> str:
    """``text`` made inert for a spreadsheet (OWASP: CSV injection) by a leading apostrophe."""
    text = str(text)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


class ServiceTable(tables.Table):
    name = tables.Column(linkify=True, verbose_name="Service")
    # A second key by name keeps rows in a stable order within a tier, a team, a platform.
    tier = tables.Column(verbose_name="Tier", order_by=("tier", "name"))
    business_process = tables.Column(verbose_name="Business process")
    owner_team = tables.Column(
        accessor="owner_team__name",
        order_by=("owner_team__name", "name"),
        verbose_name="Owner team",
    )
    platform = tables.Column(verbose_name="Platform", order_by=("platform", "name"))
    status = tables.Column(verbose_name="Status")
    public = tables.Column(verbose_name="Public", order_by=("public", "name"))

    class Meta:
        model = Service
        fields = ("name", "tier", "business_process", "owner_team", "platform", "status", "public")
        order_by = ("tier", "name")
        attrs = {"class": "catalog"}
        empty_text = "No service matches these filters."

    def render_tier(self, record):
        # The meaning shows on hover; the label alone says how critical it is.
        return format_html(
            '<span class="tier tier-{}" title="{}">{}</span>',
            record.tier,
            record.tier_meaning,
            record.get_tier_display(),
        )

    def render_status(self, record):
        return format_html(
            '<span class="status status-{}">{}</span>',
            record.status,
            record.get_status_display(),
        )

    def order_status(self, queryset, is_descending):
        # Worst first when descending: by how bad the status is, not by its spelling.
        rank = Case(
            *(When(status=status, then=Value(n)) for n, status in enumerate(STATUS_SEVERITY)),
            default=Value(0),
            output_field=IntegerField(),
        )
        queryset = queryset.annotate(status_rank=rank).order_by(
            "-status_rank" if is_descending else "status_rank", "name"
        )
        return queryset, True

    def render_public(self, value):
        return "Yes" if value else "No"

    # What the CSV export writes: the readable labels, with nothing a spreadsheet would run.
    def value_name(self, value):
        return spreadsheet_safe(value)

    def value_tier(self, record):
        return record.get_tier_display()

    def value_business_process(self, value):
        return spreadsheet_safe(value)

    def value_owner_team(self, value):
        return spreadsheet_safe(value)

    def value_status(self, record):
        return record.get_status_display()

    def value_public(self, value):
        return "yes" if value else "no"
