"""Admin for alert integrations: the secret key is only ever shown here, to roster admins."""

from django.contrib import admin, messages
from django.utils import timezone

from ..models import Integration
from ..models.alerts import new_integration_key


@admin.register(Integration)
class IntegrationAdmin(admin.ModelAdmin):
    list_display = ["name", "service", "kind", "enabled", "auto_declare", "last_event_at"]
    list_filter = ["kind", "enabled", "auto_declare"]
    list_select_related = ["service"]
    search_fields = ["name", "service__name"]
    autocomplete_fields = ["service"]
    readonly_fields = ["key", "key_rotated_at", "last_event_at"]
    actions = ["rotate_keys"]

    @admin.action(description="Rotate the secret key (senders must be given the new one)")
    def rotate_keys(self, request, queryset):
        now = timezone.now()
        for integration in queryset:
            integration.key, integration.key_rotated_at = new_integration_key(), now
            integration.save(update_fields=["key", "key_rotated_at"])
        messages.success(request, f"Rotated {queryset.count()} key(s); the old ones stop at once.")
