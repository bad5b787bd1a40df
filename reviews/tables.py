"""The cross-review action item list as a sortable table."""

import django_tables2 as tables
from django.db.models import Case, IntegerField, Value, When
from django.utils.dateformat import format as date_format
from django.utils.html import format_html

from .matrix import HIGH, PRIORITY, Quadrant
from .models import ActionItem


def quadrant_rank():
    """The quadrant of each row as its place in the priority order, in SQL."""
    high_impact, high_effort = {"impact__gte": HIGH}, {"effort__gte": HIGH}
    low_impact, low_effort = {"impact__lt": HIGH}, {"effort__lt": HIGH}
    cells = {
        Quadrant.QUICK_WIN: {**high_impact, **low_effort},
        Quadrant.MAJOR_PROJECT: {**high_impact, **high_effort},
        Quadrant.FILL_IN: {**low_impact, **low_effort},
        Quadrant.THANKLESS: {**low_impact, **high_effort},
    }
    return Case(
        *(When(**cells[q], then=Value(PRIORITY.index(q))) for q in PRIORITY),
        output_field=IntegerField(),
    )


class ActionItemTable(tables.Table):
    title = tables.Column(linkify=True, verbose_name="Action item")
    review = tables.Column(
        accessor="review__title", verbose_name="Review", order_by=("review__created_at",),
        linkify=lambda record: record.review.get_absolute_url(),
    )
    owner = tables.Column(
        accessor="owner_label", verbose_name="Owner",
        order_by=("owner_team__name", "owner_person__name"),
    )
    due_on = tables.Column(verbose_name="Due")
    quadrant = tables.Column(accessor="quadrant", verbose_name="Quadrant", order_by=("impact",))
    impact = tables.Column(verbose_name="Impact")
    effort = tables.Column(verbose_name="Effort")
    status = tables.Column(verbose_name="Status")

    class Meta:
        model = ActionItem
        fields = ("title", "review", "owner", "due_on", "quadrant", "impact", "effort", "status")
        order_by = ("due_on",)
        attrs = {"class": "action-items"}
        row_attrs = {"id": lambda record: f"action-item-{record.pk}"}
        empty_text = "No action item matches these filters."

    def __init__(self, *args, today=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def render_review(self, record):
        return format_html("{} <span class=\"muted\">{}</span>", record.review.title,
                           record.review.reference)

    def render_due_on(self, record, value):
        label = date_format(value, "j M Y")
        if self.today is not None and record.is_overdue(self.today):
            return format_html('<span class="flag">{} · overdue</span>', label)
        return label

    def render_quadrant(self, record):
        q = record.quadrant
        return format_html('<span class="quadrant quadrant-{}">{}</span>', q.value, q.label)

    def order_quadrant(self, queryset, is_descending):
        queryset = queryset.annotate(quadrant_rank=quadrant_rank()).order_by(
            "-quadrant_rank" if is_descending else "quadrant_rank", "-impact", "effort", "due_on"
        )
        return queryset, True

    def render_status(self, record):
        return format_html(
            '<span class="item-status item-status-{}">{}</span>',
            record.status,
            record.get_status_display(),
        )
