"""The incidents list as a sortable table, rendered as HTML or exported as CSV."""

import django_tables2 as tables
from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.html import format_html

from ..catalog.tables import spreadsheet_safe
from ..models import Incident


class IncidentTable(tables.Table):
    number = tables.Column(
        accessor="pk", verbose_name="Number", linkify=True, attrs={"td": {"class": "nowrap"}}
    )
    title = tables.Column(verbose_name="Title", linkify=True, attrs={"td": {"class": "title"}})
    severity = tables.Column(verbose_name="Severity", order_by=("severity", "-declared_at"))
    status = tables.Column(verbose_name="Status", order_by=("status", "-declared_at"))
    services = tables.Column(verbose_name="Services", orderable=False, empty_values=())
    # Plain columns: DateTimeColumn compiles a template for every cell, which on a page of
    # 50 incidents cost more than the page's queries.
    declared_at = tables.Column(verbose_name="Declared", attrs={"td": {"class": "nowrap"}})
    resolved_at = tables.Column(verbose_name="Resolved", attrs={"td": {"class": "nowrap"}})
    is_drill = tables.Column(verbose_name="Drill", order_by=("is_drill", "-declared_at"))

    class Meta:
        model = Incident
        fields = (
            "number", "title", "severity", "status", "services",
            "declared_at", "resolved_at", "is_drill",
        )
        order_by = ("-declared_at",)
        attrs = {"class": "incident-list"}
        empty_text = "No incident matches these filters."

    def render_number(self, record):
        return record.reference

    def render_severity(self, record):
        return format_html(
            '<span class="sev sev-{}">{}</span>', record.severity, record.get_severity_display()
        )

    def render_services(self, record):
        return ", ".join(service.name for service in record.services.all()) or "—"

    def render_declared_at(self, value):
        return _when(value)

    def render_resolved_at(self, value):
        return _when(value)

    def render_is_drill(self, value):
        return "Drill" if value else ""

    # What the CSV export writes: plain text, nothing a spreadsheet would run.
    def value_number(self, record):
        return record.reference

    def value_title(self, value):
        return spreadsheet_safe(value)

    def value_severity(self, record):
        return record.get_severity_display()

    def value_status(self, record):
        return record.get_status_display()

    def value_services(self, record):
        return spreadsheet_safe(", ".join(s.name for s in record.services.all()))

    def value_declared_at(self, value):
        return value.isoformat() if value else ""

    def value_resolved_at(self, value):
        return value.isoformat() if value else ""

    def value_is_drill(self, value):
        return "yes" if value else "no"


def _when(moment) -> str:
    return date_format(timezone.localtime(moment), "Y-m-d H:i")
