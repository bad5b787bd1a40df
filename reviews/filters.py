"""Filters of the cross-review action item list, read from the query string."""

import django_filters
from django import forms
from django.db.models import Q
from django.utils import timezone

from incidents.models import Team

from .matrix import HIGH, Quadrant
from .models import ActionItem

QUADRANT_FILTERS = {
    Quadrant.QUICK_WIN: Q(impact__gte=HIGH, effort__lt=HIGH),
    Quadrant.MAJOR_PROJECT: Q(impact__gte=HIGH, effort__gte=HIGH),
    Quadrant.FILL_IN: Q(impact__lt=HIGH, effort__lt=HIGH),
    Quadrant.THANKLESS: Q(impact__lt=HIGH, effort__gte=HIGH),
}
OPEN = (ActionItem.Status.OPEN, ActionItem.Status.IN_PROGRESS)


class ActionItemFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Search",
        method="search",
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "title or review", "type": "search"}),
    )
    status = django_filters.ChoiceFilter(
        choices=ActionItem.Status.choices, empty_label="Any status"
    )
    quadrant = django_filters.ChoiceFilter(
        choices=Quadrant.choices, empty_label="Any quadrant", method="in_quadrant"
    )
    owner_team = django_filters.ModelChoiceFilter(
        label="Owner team",
        queryset=Team.objects.order_by("name"),
        to_field_name="slug",
        empty_label="Any team",
    )
    overdue = django_filters.BooleanFilter(
        label="Overdue only", method="only_overdue", widget=forms.CheckboxInput
    )

    class Meta:
        model = ActionItem
        fields = ["q", "status", "quadrant", "owner_team", "overdue"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(title__icontains=value) | Q(review__title__icontains=value))

    def in_quadrant(self, queryset, name, value):
        return queryset.filter(QUADRANT_FILTERS[Quadrant(value)]) if value else queryset

    def only_overdue(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(status__in=OPEN, due_on__lt=timezone.localdate())
