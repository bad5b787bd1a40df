"""Admin for communications: message templates, the glossary, prepared statements, the
severity → public status rules, and read-only records of updates, followers, windows and
huddles (those are made through the portal's workflows, which also plan their timers)."""

from django import forms
from django.contrib import admin, messages

from ..comms.maintenance import MaintenanceRefused, maintenance_cancel
from ..comms.render import sample_context
from ..comms.sandbox import TemplateProblem, check_template
from ..models import (
    GlossaryTerm,
    Huddle,
    MaintenanceWindow,
    MessageTemplate,
    PreparedStatement,
    ServiceStatusRule,
    ServiceSubscription,
    StatusSubscriber,
    StatusUpdate,
)
from ..services import NotAllowed

STATEMENT_SAMPLE = {
    "services": ["Customer onboarding flow"],
    "next_update": "14:30 UTC on 2 Mar",
    "decision": "Roll back the latest release of the sign-up flow",
    "rationale": "It is the only change since the problem started",
}


class MessageTemplateForm(forms.ModelForm):
    class Meta:
        model = MessageTemplate
        fields = ["audience", "channel", "subject_template", "body_template", "urgency"]
        widgets = {"body_template": forms.Textarea(attrs={"rows": 18, "cols": 100})}
        help_texts = {
            "body_template": (
                "Django template syntax, e.g. {{ what_happened }} or "
                "{% if next_update %}…{% endif %}. Customer and partner templates can use: "
                "headline, status, services, what_happened, current_impact, being_done, "
                "expected_timeline, next_update, customer_wording, status_page_url. Internal "
                "ones also: title, reference, severity, responsible, incident_url; technical: "
                "technical_detail, connectors; executive: business_processes, "
                "customer_exposure, decisions."
            )
        }

    def clean(self):
        data = super().clean()
        audience = data.get("audience")
        if not audience:
            return data
        sample = sample_context(audience)
        for name, label in (("subject_template", "The subject"), ("body_template", "The body")):
            source = data.get(name)
            if source is None:
                continue
            try:
                check_template(source, sample, what=label)
            except TemplateProblem as problem:
                self.add_error(name, str(problem))
        return data


@admin.register(MessageTemplate)
class MessageTemplateAdmin(admin.ModelAdmin):
    form = MessageTemplateForm
    list_display = ["audience", "channel", "subject_template", "urgency", "updated_at"]
    list_filter = ["audience", "channel"]
    search_fields = ["subject_template", "body_template"]


@admin.register(GlossaryTerm)
class GlossaryTermAdmin(admin.ModelAdmin):
    list_display = ["term", "definition", "is_jargon", "jargon_for_executives", "say_instead"]
    list_filter = ["is_jargon", "jargon_for_executives"]
    list_editable = ["is_jargon", "jargon_for_executives"]
    search_fields = ["term", "definition", "say_instead"]


class PreparedStatementForm(forms.ModelForm):
    class Meta:
        model = PreparedStatement
        fields = ["title", "kind", "text", "active"]
        help_texts = {
            "text": (
                "May use {{ services }} (public affected services), {{ next_update }}, and for "
                "rollbacks and workarounds {{ decision }} and {{ rationale }} (the latest one)."
            )
        }

    def clean_text(self):
        text = self.cleaned_data["text"]
        try:
            check_template(text, STATEMENT_SAMPLE, what="The statement")
        except TemplateProblem as problem:
            raise forms.ValidationError(str(problem)) from None
        return text


@admin.register(PreparedStatement)
class PreparedStatementAdmin(admin.ModelAdmin):
    form = PreparedStatementForm
    list_display = ["title", "kind", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["title", "text"]


@admin.register(ServiceStatusRule)
class ServiceStatusRuleAdmin(admin.ModelAdmin):
    list_display = ["severity", "status"]
    list_editable = ["status"]


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(StatusUpdate)
class StatusUpdateAdmin(ReadOnlyAdmin):
    list_display = ["incident", "posted_at", "visibility", "posted_by_name"]
    list_filter = ["visibility"]
    search_fields = ["what_happened", "customer_wording", "incident__title"]
    list_select_related = ["incident"]
    date_hierarchy = "posted_at"


@admin.register(ServiceSubscription)
class ServiceSubscriptionAdmin(admin.ModelAdmin):
    list_display = ["person", "service", "audience", "created_at"]
    list_filter = ["audience", "service"]
    search_fields = ["person__name", "service__name"]
    autocomplete_fields = ["person", "service"]
    list_select_related = ["person", "service"]


@admin.register(StatusSubscriber)
class StatusSubscriberAdmin(admin.ModelAdmin):
    list_display = ["email", "confirmed", "created_at", "confirmed_at"]
    list_filter = ["confirmed"]
    search_fields = ["email"]
    readonly_fields = ["token", "created_at", "confirmation_sent_at", "confirmed_at"]

    def has_add_permission(self, request):
        return False  # followers opt in themselves, from the status page


@admin.register(MaintenanceWindow)
class MaintenanceWindowAdmin(ReadOnlyAdmin):
    list_display = ["title", "starts_at", "ends_at", "public", "suppress_paging", "cancelled_at"]
    list_filter = ["public", "suppress_paging"]
    search_fields = ["title", "description"]
    actions = ["call_off"]

    @admin.action(description="Call off (or end now) the selected windows")
    def call_off(self, request, queryset):
        for window in queryset:
            try:
                maintenance_cancel(window=window, by=request.user)
            except (MaintenanceRefused, NotAllowed) as refusal:
                self.message_user(request, f"{window}: {refusal}", messages.WARNING)

    def has_change_permission(self, request, obj=None):
        # The action needs change rights on the list; single windows stay read-only.
        return obj is None and super(ReadOnlyAdmin, self).has_change_permission(request, obj)


@admin.register(Huddle)
class HuddleAdmin(ReadOnlyAdmin):
    list_display = ["incident", "at", "bridge_link", "scheduled_by_name"]
    list_select_related = ["incident"]
