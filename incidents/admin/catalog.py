"""Admin for the service catalog: teams, connectors, services, dependencies, targets, authority."""

import re

from django import forms
from django.contrib import admin
from django.db.models import Count
from django.utils import timezone

from ..comms.service_status import status_record, status_recording_start
from ..models import (
    Connector,
    DecisionAuthority,
    ResponseTarget,
    Service,
    ServiceDependency,
    Team,
)
from ..models.choices import TIER_MEANING, Tier
from .inlines import TabularInline

INCIDENT_ROLE_SLUG = re.compile(r"^[a-z][a-z0-9_]*$")


@admin.register(Team)
class TeamAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "manager", "member_count", "service_count"]
    search_fields = ["name", "slug", "description"]
    list_select_related = ["manager"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["manager"]

    def get_queryset(self, request):
        # distinct: two counts over two joins would otherwise multiply each other.
        return (
            super()
            .get_queryset(request)
            .annotate(
                members_total=Count("members", distinct=True),
                services_total=Count("services", distinct=True),
            )
        )

    @admin.display(description="members", ordering="members_total")
    def member_count(self, team):
        return team.members_total

    @admin.display(description="services", ordering="services_total")
    def service_count(self, team):
        return team.services_total


@admin.register(Connector)
class ConnectorAdmin(admin.ModelAdmin):
    list_display = ["name", "vendor", "platform", "service_count"]
    list_filter = ["platform"]
    search_fields = ["name", "vendor", "description"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(services_total=Count("services"))

    @admin.display(description="used by services", ordering="services_total")
    def service_count(self, connector):
        return connector.services_total


class ServiceDependencyInline(TabularInline):
    """The services this one needs. ``ServiceDependency.clean()`` refuses an edge closing a cycle.

    Only the outgoing edges are editable here: with a second inline for incoming edges, one
    save could add both halves of a cycle, each checked against a graph without the other.
    """

    model = ServiceDependency
    fk_name = "service"
    extra = 1
    autocomplete_fields = ["depends_on"]
    verbose_name = "dependency"
    verbose_name_plural = "depends on"


class ResponseTargetInline(TabularInline):
    model = ResponseTarget
    extra = 0
    fields = [
        "severity",
        "acknowledge_minutes",
        "triage_minutes",
        "decision_minutes",
        "update_minutes",
    ]
    verbose_name = "response target override"
    verbose_name_plural = "response target overrides (empty: the default targets apply)"


TIER_HELP = " · ".join(f"{Tier(tier).label}: {meaning}" for tier, meaning in TIER_MEANING.items())


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "tier",
        "business_process",
        "owner_team",
        "platform",
        "status",
        "public",
        "rotation",
    ]
    list_filter = ["tier", "status", "platform", "public", "owner_team"]
    search_fields = ["name", "slug", "business_process", "description"]
    list_select_related = ["owner_team", "rotation"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["owner_team", "rotation"]
    filter_horizontal = ["connectors"]
    inlines = [ServiceDependencyInline, ResponseTargetInline]
    fieldsets = [
        (None, {"fields": ["name", "slug", "description", "tier", "business_process"]}),
        ("Ownership", {"fields": ["owner_team", "rotation"]}),
        ("Platform and status", {"fields": ["platform", "status", "public", "connectors"]}),
        (
            "Status page",
            {
                "fields": ["automatic_status", "held_status", "status_automatic"],
                "description": "An incident no person declared or resolved (an alert, a failing "
                "connector) changes a public service's status automatically. Held, the change "
                "waits on the incident's updates page for someone who may publish to "
                "customers; published at once, the status page says it was detected "
                "automatically.",
            },
        ),
    ]
    readonly_fields = ["held_status", "status_automatic"]

    def save_model(self, request, obj, form, change):
        """A status set here is recorded like any other change (the status page's uptime
        is read from the records); a new service starts its history."""
        super().save_model(request, obj, form, change)
        if change and "status" in form.changed_data:
            status_record(obj, obj.status, at=timezone.now())
        else:
            status_recording_start(obj)

    def formfield_for_dbfield(self, db_field, request, **kwargs):
        field = super().formfield_for_dbfield(db_field, request, **kwargs)
        if db_field.name == "tier":
            field.help_text = TIER_HELP  # the business meaning of each tier, where it is chosen
        return field


@admin.register(ServiceDependency)
class ServiceDependencyAdmin(admin.ModelAdmin):
    list_display = ["service", "depends_on"]
    search_fields = ["service__name", "depends_on__name"]
    list_select_related = ["service", "depends_on"]
    autocomplete_fields = ["service", "depends_on"]


@admin.register(ResponseTarget)
class ResponseTargetAdmin(admin.ModelAdmin):
    list_display = [
        "severity",
        "scope",
        "acknowledge_minutes",
        "triage_minutes",
        "decision_minutes",
        "update_minutes",
    ]
    list_filter = ["severity", ("service", admin.EmptyFieldListFilter)]
    search_fields = ["service__name", "definition"]
    list_select_related = ["service"]
    autocomplete_fields = ["service"]

    @admin.display(description="applies to", ordering="service__name")
    def scope(self, target):
        return target.service.name if target.service_id else "Default (every service)"


class DecisionAuthorityForm(forms.ModelForm):
    incident_roles = forms.CharField(
        required=False,
        help_text="Incident role slugs separated by commas, e.g. commander, technical_lead.",
    )

    class Meta:
        model = DecisionAuthority
        fields = ["severity", "action", "portal_roles", "incident_roles"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.initial["incident_roles"] = ", ".join(self.instance.incident_roles or [])

    def clean_incident_roles(self):
        slugs = [part.strip() for part in self.cleaned_data["incident_roles"].split(",")]
        slugs = [slug for slug in slugs if slug]
        bad = [slug for slug in slugs if not INCIDENT_ROLE_SLUG.match(slug)]
        if bad:
            raise forms.ValidationError(
                "Use lower-case slugs with letters, digits and underscores: "
                + ", ".join(f"“{slug}”" for slug in bad)
            )
        return list(dict.fromkeys(slugs))


@admin.register(DecisionAuthority)
class DecisionAuthorityAdmin(admin.ModelAdmin):
    form = DecisionAuthorityForm
    list_display = ["severity", "action", "portal_role_names", "incident_role_names"]
    list_filter = ["severity", "action", "portal_roles"]
    filter_horizontal = ["portal_roles"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("portal_roles")

    @admin.display(description="portal roles")
    def portal_role_names(self, authority):
        return ", ".join(group.name for group in authority.portal_roles.all()) or "—"

    @admin.display(description="incident roles")
    def incident_role_names(self, authority):
        return ", ".join(authority.incident_roles or []) or "—"
