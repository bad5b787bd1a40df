from django.contrib import admin

from incidents.admin.inlines import TabularInline

from .models import (
    ActionItem,
    DistributionList,
    Feedback,
    FeedbackInvitation,
    NearMiss,
    Review,
    ReviewVersion,
)


class ActionItemInline(TabularInline):
    model = ActionItem
    extra = 0
    fields = ("title", "owner_team", "owner_person", "due_on", "impact", "effort", "status")


class ReviewVersionInline(TabularInline):
    model = ReviewVersion
    extra = 0
    can_delete = False
    fields = ("number", "published_at", "published_by_name", "notified")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False  # a version is made by publishing the review


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ("title", "incident", "severity", "state", "due_on", "published_at")
    list_filter = ("state", "severity", "cause_class")
    search_fields = ("title",)
    filter_horizontal = ("reviewers",)
    readonly_fields = (
        "incident", "generated", "generated_at", "state", "revision", "submitted_at",
        "published_at", "reminded_at", "reminder_note",
    )
    inlines = [ActionItemInline, ReviewVersionInline]


@admin.register(DistributionList)
class DistributionListAdmin(admin.ModelAdmin):
    list_display = ("name", "tier", "active")
    list_filter = ("active", "tier")
    filter_horizontal = ("services", "people", "teams", "audiences")


@admin.register(ActionItem)
class ActionItemAdmin(admin.ModelAdmin):
    list_display = ("title", "review", "owner_team", "owner_person", "due_on", "status")
    list_filter = ("status", "owner_team")
    search_fields = ("title",)
    readonly_fields = ("reminded_at", "reminder_note")


@admin.register(NearMiss)
class NearMissAdmin(admin.ModelAdmin):
    list_display = ("__str__", "potential_severity", "state", "reported_at", "reporter_name")
    list_filter = ("state", "potential_severity")
    readonly_fields = ("review",)


@admin.register(Feedback)
class FeedbackAdmin(admin.ModelAdmin):
    list_display = ("__str__", "incident", "team", "author_name", "created_at")
    list_filter = ("about", "rating", "team")


@admin.register(FeedbackInvitation)
class FeedbackInvitationAdmin(admin.ModelAdmin):
    list_display = ("person", "incident", "why", "invited_at", "messaged")
