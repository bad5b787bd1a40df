"""Filters of the incidents list, read from the query string."""

from datetime import datetime, time, timedelta

import django_filters
from django import forms
from django.db.models import Exists, OuterRef
from django.utils import timezone

from ..models import OPEN_STATUSES, Incident, IncidentStatus, Service, Severity, Team
from ..search import search_filter

OPEN = "open"
STATUS_CHOICES = [(OPEN, "Open (any open status)"), *IncidentStatus.choices]
DRILL_CHOICES = [("no", "Real incidents"), ("yes", "Drills")]


def _day_start(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class DateInput(forms.DateInput):
    input_type = "date"


class IncidentFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Search",
        method="search",
        max_length=200,
        widget=forms.SearchInput(attrs={"placeholder": "title, summary, notes, updates"}),
    )
    status = django_filters.ChoiceFilter(
        choices=STATUS_CHOICES, method="by_status", empty_label="Any status"
    )
    severity = django_filters.ChoiceFilter(choices=Severity.choices, empty_label="Any severity")
    service = django_filters.ModelChoiceFilter(
        label="Service",
        field_name="services",
        queryset=Service.objects.order_by("name"),
        to_field_name="slug",  # shareable links: ?service=payments
        empty_label="Any service",
    )
    team = django_filters.ModelChoiceFilter(
        label="Owner team",
        queryset=Team.objects.order_by("name"),
        to_field_name="slug",
        method="by_team",
        empty_label="Any team",
    )
    declared_after = django_filters.DateFilter(
        label="Declared from", method="declared_from", widget=DateInput
    )
    declared_before = django_filters.DateFilter(
        label="Declared until", method="declared_until", widget=DateInput
    )
    drill = django_filters.ChoiceFilter(
        label="Drills", choices=DRILL_CHOICES, method="by_drill", empty_label="Drills and real"
    )

    class Meta:
        model = Incident
        fields = [
            "q", "status", "severity", "service", "team",
            "declared_after", "declared_before", "drill",
        ]

    def search(self, queryset, name, value):
        return search_filter(queryset, value)

    def by_status(self, queryset, name, value):
        if value == OPEN:
            return queryset.filter(status__in=OPEN_STATUSES)
        return queryset.filter(status=value)

    def by_team(self, queryset, name, team):
        # An incident on two services of one team is still one row.
        owned = Incident.services.through.objects.filter(
            incident=OuterRef("pk"), service__owner_team=team
        )
        return queryset.filter(Exists(owned))

    def declared_from(self, queryset, name, day):
        return queryset.filter(declared_at__gte=_day_start(day))

    def declared_until(self, queryset, name, day):
        return queryset.filter(declared_at__lt=_day_start(day + timedelta(days=1)))

    def by_drill(self, queryset, name, value):
        return queryset.filter(is_drill=value == "yes")
