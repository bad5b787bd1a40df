"""Admin for people, their contact methods and notification rules, with the people CSV."""

import hashlib

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from .. import people_csv
from ..models import ContactMethod, NotificationRule, Person
from .history import HistoryAdmin
from .inlines import TabularInline
from .time_zones import TimeZoneChoiceMixin

# The checked file waits here between the preview and the confirmation.
PENDING_IMPORT = "people_csv_import"


class PageableFilter(admin.SimpleListFilter):
    """Flags people whom an urgent page cannot reach (reads ``urgent_methods``)."""

    title = "can be paged"
    parameter_name = "pageable"

    def lookups(self, request, model_admin):
        return [("no", "No usable urgent method"), ("yes", "Can be paged")]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(urgent_methods=0)
        if self.value() == "yes":
            return queryset.filter(urgent_methods__gt=0)
        return queryset


class ContactMethodInline(TabularInline):
    model = ContactMethod
    extra = 1
    fields = ["kind", "label", "address", "failure_reason", "failed_at"]
    readonly_fields = ["failed_at"]


class NotificationRuleInline(TabularInline):
    model = NotificationRule
    extra = 1
    fields = ["urgency", "contact_method", "delay_minutes"]
    verbose_name_plural = "notification rules (save new contact methods first to pick them here)"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "contact_method":
            # Only this person's own methods make sense (the model's clean() insists on it).
            object_id = request.resolver_match.kwargs.get("object_id", "")
            kwargs["queryset"] = (
                ContactMethod.objects.filter(person_id=int(object_id))
                if str(object_id).isdigit()
                else ContactMethod.objects.none()
            )
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Person)
class PersonAdmin(TimeZoneChoiceMixin, HistoryAdmin):
    list_display = [
        "name",
        "email",
        "job_title",
        "team_names",
        "user",
        "time_zone",
        "can_be_paged",
        "profile_link",
    ]
    list_filter = [PageableFilter, "teams"]
    search_fields = ["name", "email", "job_title", "user__username", "contact_methods__address"]
    list_select_related = ["user"]
    filter_horizontal = ["teams"]
    inlines = [ContactMethodInline, NotificationRuleInline]
    actions = ["export_selected", "renew_calendar_keys"]
    fields = ["name", "email", "job_title", "user", "teams", "time_zone"]

    def get_queryset(self, request):
        # One query for the whole page: the paging flag is an annotation, teams are prefetched.
        return super().get_queryset(request).with_urgent_reachability().prefetch_related("teams")

    @admin.display(description="teams")
    def team_names(self, person):
        return ", ".join(team.name for team in person.teams.all()) or "—"

    @admin.display(description="can be paged", boolean=True, ordering="urgent_methods")
    def can_be_paged(self, person):
        return not person.cannot_be_paged

    @admin.display(description="profile")
    def profile_link(self, person):
        return format_html(
            '<a href="{}">Edit profile</a>', reverse("incidents:person_profile", args=[person.pk])
        )

    def related_histories(self, object_id):
        return [
            (
                "Contact methods",
                ContactMethod.history.filter(person_id=object_id),
                lambda record: f"{record.get_kind_display()}: {record.address}",
            ),
            (
                "Notification rules",
                NotificationRule.history.filter(person_id=object_id),
                lambda record: (
                    f"{record.get_urgency_display()} after {record.delay_minutes} min "
                    f"(contact method #{record.contact_method_id})"
                ),
            ),
        ]

    # --- People CSV ---------------------------------------------------------------------------

    def get_urls(self):
        return [
            path(
                "import-csv/",
                self.admin_site.admin_view(self.import_csv_view),
                name="incidents_person_import_csv",
            ),
            path(
                "export-csv/",
                self.admin_site.admin_view(self.export_csv_view),
                name="incidents_person_export_csv",
            ),
            *super().get_urls(),
        ]

    @admin.action(description="Export selected people as CSV", permissions=["view"])
    def export_selected(self, request, queryset):
        return _csv_response(people_csv.people_csv_export(queryset))

    @admin.action(description="Issue new calendar keys (old links stop)", permissions=["change"])
    def renew_calendar_keys(self, request, queryset):
        # One save per person, so the history records who renewed a leaked key.
        for person in queryset:
            person.calendar_key_reset()
        messages.success(request, f"New calendar keys for {queryset.count()} people.")

    def export_csv_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return _csv_response(people_csv.people_csv_export(Person.objects.all()))

    def import_csv_view(self, request):
        """Upload → errors or preview → confirm → import, all or nothing."""
        if not request.user.has_perms(
            [
                "incidents.add_person",
                "incidents.change_person",
                "incidents.add_contactmethod",
                "incidents.delete_contactmethod",
            ]
        ):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": "Import people from CSV",
            "columns": people_csv.COLUMNS,
            "max_megabytes": people_csv.MAX_BYTES // (1024 * 1024),
            "form": UploadForm(),
        }
        if request.method == "POST" and "confirm" in request.POST:
            return self._import_confirm(request, context)
        if request.method == "POST":
            form = UploadForm(request.POST, request.FILES)
            context["form"] = form
            if form.is_valid():
                raw = form.cleaned_data["file"].read(people_csv.MAX_BYTES + 1)
                result = people_csv.people_csv_check(raw)
                context["result"] = result
                if result.ok:
                    text = raw.decode("utf-8-sig")
                    digest = hashlib.sha256(raw).hexdigest()
                    request.session[PENDING_IMPORT] = {"text": text, "digest": digest}
                    context["digest"] = digest
                    context["filename"] = form.cleaned_data["file"].name
        return TemplateResponse(request, "admin/incidents/person/import_csv.html", context)

    def _import_confirm(self, request, context):
        pending = request.session.get(PENDING_IMPORT)
        if not pending or pending.get("digest") != request.POST.get("digest"):
            messages.error(
                request, "That preview has expired or was replaced: upload the file again."
            )
            return redirect("admin:incidents_person_import_csv")
        # Never trust the preview: the file is checked again, in the import's transaction.
        result = people_csv.people_csv_import(raw=pending["text"].encode())
        if not result.ok:
            context["result"] = result
            context["stale"] = True
            return TemplateResponse(request, "admin/incidents/person/import_csv.html", context)
        del request.session[PENDING_IMPORT]
        messages.success(
            request,
            f"Imported the people CSV: {result.count('create')} created, "
            f"{result.count('update')} updated, {result.count('unchanged')} unchanged.",
        )
        return redirect("admin:incidents_person_changelist")


class UploadForm(forms.Form):
    file = forms.FileField(label="CSV file")

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > people_csv.MAX_BYTES:
            raise forms.ValidationError(
                "The file is larger than 2 MB; split it into smaller files."
            )
        return upload


def _csv_response(text: str) -> HttpResponse:
    response = HttpResponse(text, content_type="text/csv; charset=utf-8")
    filename = f"people-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


class FailingFilter(admin.SimpleListFilter):
    title = "delivery"
    parameter_name = "delivery"

    def lookups(self, request, model_admin):
        return [("failing", "Failing"), ("working", "Working")]

    def queryset(self, request, queryset):
        if self.value() == "failing":
            return queryset.exclude(failure_reason="")
        if self.value() == "working":
            return queryset.filter(failure_reason="")
        return queryset


@admin.register(ContactMethod)
class ContactMethodAdmin(HistoryAdmin):
    list_display = [
        "person",
        "kind",
        "label",
        "address",
        "is_usable",
        "failure_reason",
        "failed_at",
    ]
    list_filter = [FailingFilter, "kind"]
    search_fields = ["address", "label", "person__name", "person__email"]
    list_select_related = ["person"]
    autocomplete_fields = ["person"]
    readonly_fields = ["failed_at"]
    actions = ["clear_failure"]

    @admin.display(description="usable", boolean=True)
    def is_usable(self, method):
        return method.is_usable

    @admin.action(description="Clear the failure (the address was fixed)", permissions=["change"])
    def clear_failure(self, request, queryset):
        cleared = contact_methods_clear_failure(methods=queryset)
        self.message_user(
            request, f"Cleared the failure of {cleared} contact method(s).", messages.SUCCESS
        )


def contact_methods_clear_failure(*, methods) -> int:
    """Mark failed ``methods`` usable again; one save each so the history records who did it."""
    cleared = 0
    for method in methods.exclude(failure_reason=""):
        method.failure_reason = ""
        method.failed_at = None
        method._change_reason = "Failure cleared"
        method.save(update_fields=["failure_reason", "failed_at"])
        cleared += 1
    return cleared


@admin.register(NotificationRule)
class NotificationRuleAdmin(HistoryAdmin):
    list_display = ["person", "urgency", "contact_method", "delay_minutes"]
    list_filter = ["urgency", "contact_method__kind"]
    search_fields = ["person__name", "contact_method__address"]
    list_select_related = ["person", "contact_method"]
    autocomplete_fields = ["person", "contact_method"]
