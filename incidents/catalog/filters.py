"""Filters of the service catalog page, read from the query string."""

import django_filters
from django import forms
from django.db.models import Q

from ..models import Platform, Service, ServiceStatus, Team, Tier


class ServiceFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Search",
        method="search",
        max_length=100,
        widget=forms.SearchInput(attrs={"placeholder": "name or process"}),
    )
    tier = django_filters.ChoiceFilter(choices=Tier.choices, empty_label="Any tier")
    owner_team = django_filters.ModelChoiceFilter(
        label="Owner team",
        queryset=Team.objects.order_by("name"),
        to_field_name="slug",  # readable, shareable links: ?owner_team=payments
        empty_label="Any team",
    )
    platform = django_filters.ChoiceFilter(choices=Platform.choices, empty_label="Any platform")
    status = django_filters.ChoiceFilter(choices=ServiceStatus.choices, empty_label="Any status")

    class Meta:
        model = Service
        fields = ["q", "tier", "owner_team", "platform", "status"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(name__icontains=value) | Q(business_process__icontains=value))
