"""Admin for escalation: audience groups, policies with their steps and targets, breach rules,
and read-only views of incidents, timers and timelines for roster admins who investigate."""

from django.contrib import admin

from ..models import (
    AudienceGroup,
    BreachRule,
    EscalationPolicy,
    EscalationStep,
    Incident,
    StepTarget,
    TimelineEvent,
    Timer,
)
from .inlines import TabularInline


@admin.register(AudienceGroup)
class AudienceGroupAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name", "description"]
    prepopulated_fields = {"slug": ["name"]}
    filter_horizontal = ["members"]


class StepInline(TabularInline):
    model = EscalationStep
    extra = 0
    fields = ["position", "delay_minutes", "urgency", "targets_summary"]
    readonly_fields = ["targets_summary"]
    show_change_link = True

    @admin.display(description="targets (edit the step to change)")
    def targets_summary(self, step):
        return ", ".join(str(t) for t in step.targets.all()) or "none yet"


@admin.register(EscalationPolicy)
class EscalationPolicyAdmin(admin.ModelAdmin):
    list_display = ["name", "tier", "severity", "repeat_rounds", "repeat_after_minutes"]
    list_filter = ["tier", "severity"]
    inlines = [StepInline]
    autocomplete_fields = ["fallback_person", "fallback_rotation"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("steps__targets")


class TargetInline(TabularInline):
    model = StepTarget
    extra = 1
    fields = ["kind", "rotation", "person", "team", "audience", "incident_role"]
    autocomplete_fields = ["rotation", "person", "team"]


@admin.register(EscalationStep)
class EscalationStepAdmin(admin.ModelAdmin):
    list_display = ["__str__", "policy", "position", "delay_minutes", "urgency"]
    list_filter = ["policy__tier", "policy__severity", "urgency"]
    list_select_related = ["policy"]
    inlines = [TargetInline]


@admin.register(BreachRule)
class BreachRuleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "kind", "audience", "person", "incident_role", "urgency"]
    list_filter = ["severity", "target", "kind"]
    list_select_related = ["audience", "person"]
    autocomplete_fields = ["person"]


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records kept by the portal itself: visible for investigation, never edited by hand."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TimelineInline(TabularInline):
    model = TimelineEvent
    fields = ["at", "kind", "actor_name", "text"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Incident)
class IncidentAdmin(ReadOnlyAdmin):
    list_display = ["reference", "title", "severity", "status", "is_drill", "declared_at"]
    list_filter = ["severity", "status", "is_drill"]
    search_fields = ["title", "summary"]
    date_hierarchy = "declared_at"
    inlines = [TimelineInline]


@admin.register(Timer)
class TimerAdmin(ReadOnlyAdmin):
    list_display = ["kind", "due_at", "state", "incident", "fired_at", "error"]
    list_filter = ["state", "kind"]
    list_select_related = ["incident"]
    date_hierarchy = "due_at"
