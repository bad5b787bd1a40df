"""The Notification outbox in the admin site: a read-only delivery log for roster admins,
with the per-channel health summary above the list.

Import this module from ``incidents/admin/__init__.py`` to register it. Roster admins see
it through their role (the admin site's own rule), without a model permission: nobody
adds, edits or deletes outbox rows by hand.
"""

from django.contrib import admin
from django.utils import timezone
from django.utils.html import format_html

from portal import roles

from ..models import Notification
from . import log as delivery_log
from .ack import without_links


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    change_list_template = "incidents/notifications/admin_change_list.html"
    list_display = [
        "queued_at", "incident_link", "recipient", "channel", "urgency", "reason", "state",
        "attempts", "latency", "sent_at", "acknowledged_at", "short_error", "bundle_key",
    ]
    list_filter = ["state", "channel", "urgency", "reason"]
    search_fields = [
        "recipient__name", "contact_method__address", "cause", "subject", "error", "bundle_key",
    ]
    date_hierarchy = "queued_at"
    list_select_related = ["recipient", "incident", "contact_method"]
    list_per_page = 100
    ordering = ["-queued_at", "-id"]
    fields = [
        "incident", "recipient", "contact_method", "channel", "urgency", "reason", "cause",
        "state", "attempts", "queued_at", "deliver_after", "enqueued_at", "sent_at",
        "failed_at", "acknowledged_at", "bundle_key", "idempotency_key", "subject",
        "message", "error", "log",
    ]
    readonly_fields = fields

    def has_module_permission(self, request):
        return roles.has_role(request.user, roles.ROSTER_ADMINS)

    def has_view_permission(self, request, obj=None):
        return roles.has_role(request.user, roles.ROSTER_ADMINS)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        extra_context = {
            **(extra_context or {}),
            "channel_health": delivery_log.channel_health(timezone.now()),
        }
        return super().changelist_view(request, extra_context=extra_context)

    @admin.display(description="incident", ordering="incident")
    def incident_link(self, notification):
        if notification.incident is None:
            return "–"
        return format_html(
            '<a href="{}">{}</a>',
            notification.incident.get_absolute_url(),
            notification.incident.reference,
        )

    @admin.display(description="latency")
    def latency(self, notification):
        seconds = notification.latency_seconds
        return "–" if seconds is None else f"{seconds:.1f} s"

    # Rows stored before ack links were made at send time held one: not shown here either.
    @admin.display(description="body")
    def message(self, notification):
        return without_links(notification.body)

    @admin.display(description="delivery log")
    def log(self, notification):
        return without_links(notification.delivery_log)

    @admin.display(description="error")
    def short_error(self, notification):
        error = notification.error
        return (error[:80] + "…") if len(error) > 80 else error
