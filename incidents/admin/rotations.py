"""Admin for on-call rotations: layers with their ordered participants, and overrides."""

from datetime import timedelta
from zoneinfo import ZoneInfoNotFoundError

from django.contrib import admin
from django.db.models import Count
from django.utils import timezone

from ..models import LayerParticipant, Override, Person, Rotation, RotationLayer
from ..oncall.schedule import plan_for, rotations_with_plans, schedule
from .history import HistoryAdmin
from .inlines import StackedInline, TabularInline
from .time_zones import TimeZoneChoiceMixin

# Overrides that ended longer ago than this are history; the inline would only grow with them.
RECENT_OVERRIDES = timedelta(days=30)
# How far ahead the rotation's page draws its shifts.
SHIFTS_AHEAD = timedelta(weeks=4)


class RotationLayerInline(StackedInline):
    model = RotationLayer
    extra = 0
    show_change_link = True  # participants are edited on the layer's own page
    fields = [
        ("name", "level"),
        ("starts_on", "handoff_time"),
        ("shift_length", "shift_unit"),
        ("active_from", "active_until"),
    ]


class OverrideInline(TabularInline):
    model = Override
    fk_name = "rotation"
    extra = 0
    fields = ["person", "replaces", "starts_at", "ends_at", "reason"]
    autocomplete_fields = ["person", "replaces"]
    verbose_name_plural = "overrides (current and upcoming; older ones under Overrides)"

    def get_queryset(self, request):
        since = timezone.now() - RECENT_OVERRIDES
        return super().get_queryset(request).filter(ends_at__gte=since)


@admin.register(Rotation)
class RotationAdmin(TimeZoneChoiceMixin, HistoryAdmin):
    list_display = ["name", "team", "time_zone", "layer_count"]
    list_filter = ["team"]
    search_fields = ["name", "slug", "description", "team__name"]
    list_select_related = ["team"]
    prepopulated_fields = {"slug": ["name"]}
    autocomplete_fields = ["team"]
    inlines = [RotationLayerInline, OverrideInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(layers_total=Count("layers"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        context = {**rotation_overview(object_id), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, extra_context=context)

    @admin.display(description="layers", ordering="layers_total")
    def layer_count(self, rotation):
        return rotation.layers_total

    def related_histories(self, object_id):
        return [
            (
                "Layers",
                RotationLayer.history.filter(rotation_id=object_id),
                lambda record: f"{record.name} (level {record.level})",
            ),
            (
                "Overrides",
                Override.history.filter(rotation_id=object_id),
                _describe_override,
            ),
        ]


def rotation_overview(object_id) -> dict:
    """The rotation's layers with their participants in turn order, and who is on call over
    the next four weeks, for its change page (in the rotation's own time zone)."""
    if not str(object_id).isdigit():
        return {}
    now = timezone.now()
    rotation = rotations_with_plans(Rotation.objects.filter(pk=object_id), overrides_from=now)
    rotation = rotation.first()
    if rotation is None:
        return {}
    overview = {"overview_layers": list(rotation.layers.all()), "shifts_weeks": 4}
    try:
        shifts = schedule(plan_for(rotation, overrides_from=now), now, now + SHIFTS_AHEAD)
    except (ValueError, ZoneInfoNotFoundError) as error:
        # The form below is where the broken setting gets fixed: it must still open.
        overview["shifts_problem"] = f"The shifts cannot be worked out: {error}"
        return overview
    overview.update(shifts=shifts, shifts_zone=rotation.time_zone)
    return overview


def _describe_override(record) -> str:
    when = "%Y-%m-%d %H:%M UTC"
    return f"{record.starts_at:{when}} → {record.ends_at:{when}}"


class LayerParticipantInline(TabularInline):
    model = LayerParticipant
    extra = 1
    ordering = ["position", "id"]
    fields = ["position", "person"]
    autocomplete_fields = ["person"]
    verbose_name_plural = "participants, in turn order (lowest position first)"


@admin.register(RotationLayer)
class RotationLayerAdmin(HistoryAdmin):
    list_display = ["__str__", "rotation", "level", "shift", "handoff_time", "participant_count"]
    list_filter = ["rotation", "shift_unit"]
    search_fields = ["name", "rotation__name"]
    list_select_related = ["rotation"]
    autocomplete_fields = ["rotation"]
    inlines = [LayerParticipantInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(participants_total=Count("participants"))

    @admin.display(description="shift")
    def shift(self, layer):
        return f"{layer.shift_length} {layer.get_shift_unit_display().lower()}"

    @admin.display(description="participants", ordering="participants_total")
    def participant_count(self, layer):
        return layer.participants_total

    def related_histories(self, object_id):
        records = LayerParticipant.history.filter(layer_id=object_id)
        names = dict(
            Person.objects.filter(pk__in=records.values("person_id")).values_list("pk", "name")
        )
        return [
            (
                "Participants",
                records,
                lambda record: (
                    f"{record.position}. {names.get(record.person_id, 'a removed person')}"
                ),
            )
        ]


@admin.register(Override)
class OverrideAdmin(HistoryAdmin):
    list_display = ["rotation", "person", "replaces", "starts_at", "ends_at", "reason"]
    list_filter = ["rotation"]
    search_fields = ["rotation__name", "person__name", "replaces__name", "reason"]
    list_select_related = ["rotation", "person", "replaces"]
    autocomplete_fields = ["rotation", "person", "replaces"]
    date_hierarchy = "starts_at"
