"""Playbooks and drills in the admin: for looking, not editing.

Every edit of a playbook must become a version, and a drill's plan is fixed once it
starts; both happen on their own pages (``/playbooks/``, ``/drills/``), so the admin only
shows them (and lets a superuser delete one).
"""

from django.contrib import admin

from incidents.admin.inlines import TabularInline

from .models import Drill, DrillStakeholder, Playbook, PlaybookVersion


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class PlaybookVersionInline(TabularInline):
    model = PlaybookVersion
    extra = 0
    fields = ("number", "title", "author_name", "created_at", "note")
    ordering = ("-number",)

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Playbook)
class PlaybookAdmin(ReadOnlyAdmin):
    list_display = ("title", "owner_team", "incident_type", "review_interval_days", "reviewed_at")
    list_filter = ("owner_team",)
    search_fields = ("title", "summary", "incident_type")
    inlines = [PlaybookVersionInline]


class DrillStakeholderInline(TabularInline):
    model = DrillStakeholder
    extra = 0
    fields = ("person_name", "source", "pages_at_minutes", "reach_window_minutes")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Drill)
class DrillAdmin(ReadOnlyAdmin):
    list_display = ("title", "severity", "status", "started_at", "incident")
    list_filter = ("status", "severity")
    search_fields = ("title", "scenario")
    inlines = [DrillStakeholderInline]
