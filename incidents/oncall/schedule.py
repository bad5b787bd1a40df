"""Who is on call for a rotation at any instant: one pure function and what it stands on.

The ORM rows are turned into plain, frozen plans first (``plan_for``) so that ``on_call``
and ``schedule`` never touch the database and can be tested exhaustively.

Rules:
1. A layer's shifts start at ``starts_on`` + ``handoff_time`` (wall clock in the rotation's
   zone). Day and week shifts hand off at that wall-clock time every time, across DST;
   hour shifts are counted in elapsed hours.
2. A layer with a daily window only covers the window; outside it the layer has nobody.
3. Higher levels win where they have somebody; lower levels fill the rest.
4. An override covers whoever is on call (or only the person it ``replaces``); where
   overrides overlap, the one that started last wins (then the newest).
5. Where nobody is on call the answer is a gap, with when it ends if that is known.
"""

import itertools
from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

UNIT_DAYS = {"days": 1, "weeks": 7}


@dataclass(frozen=True)
class LayerPlan:
    level: int
    starts_on: date
    handoff_time: time
    shift_length: int
    shift_unit: str  # hours · days · weeks
    participants: tuple[Hashable, ...]
    name: str = ""
    active_from: time | None = None
    active_until: time | None = None


@dataclass(frozen=True)
class OverridePlan:
    person: Hashable
    starts_at: datetime
    ends_at: datetime
    replaces: Hashable | None = None
    created_order: int = 0


@dataclass(frozen=True)
class RotationPlan:
    time_zone: str
    layers: tuple[LayerPlan, ...]
    overrides: tuple[OverridePlan, ...] = ()

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)


@dataclass(frozen=True)
class Shift:
    """Who answers at an instant, and the bounds of what put them there.

    ``person`` None is a gap. ``ends_at`` None means no end is known (a gap with nothing
    scheduled after it).
    """

    person: Hashable | None
    starts_at: datetime | None
    ends_at: datetime | None
    layer: LayerPlan | None = None
    override: OverridePlan | None = None

    @property
    def is_gap(self) -> bool:
        return self.person is None


def _aware(wall: datetime, zone: ZoneInfo) -> datetime:
    return wall.replace(tzinfo=zone)


def _layer_period(layer: LayerPlan, zone: ZoneInfo, at: datetime):
    """(index, start, end) of the layer's shift containing ``at``, or None before it starts."""
    anchor_wall = datetime.combine(layer.starts_on, layer.handoff_time)
    if layer.shift_unit == "hours":
        anchor = _aware(anchor_wall, zone)
        length = timedelta(hours=layer.shift_length)
        if at < anchor:
            return None
        index = (at - anchor) // length
        start = anchor + index * length
        return index, start, start + length
    # Day and week shifts are counted on the wall clock so that handoffs keep their time.
    length = timedelta(days=layer.shift_length * UNIT_DAYS[layer.shift_unit])
    at_wall = at.astimezone(zone).replace(tzinfo=None)
    if at_wall < anchor_wall:
        return None
    index = (at_wall - anchor_wall) // length
    start_wall = anchor_wall + index * length
    return index, _aware(start_wall, zone), _aware(start_wall + length, zone)


def _window_around(layer: LayerPlan, zone: ZoneInfo, at: datetime):
    """(start, end) of the daily window containing ``at``, or None outside every window."""
    if layer.active_from is None or layer.active_until is None:
        return None
    at_wall = at.astimezone(zone).replace(tzinfo=None)
    wraps = layer.active_until <= layer.active_from  # e.g. 18:00–08:00 crosses midnight
    for day_offset in (0, -1):
        day = at_wall.date() + timedelta(days=day_offset)
        start = datetime.combine(day, layer.active_from)
        end = datetime.combine(day + timedelta(days=1 if wraps else 0), layer.active_until)
        if start <= at_wall < end:
            return _aware(start, zone), _aware(end, zone)
    return False


def layer_shift(layer: LayerPlan, zone: ZoneInfo, at: datetime) -> Shift | None:
    """The shift ``layer`` alone gives at ``at``, or None where it has nobody."""
    if not layer.participants:
        return None
    period = _layer_period(layer, zone, at)
    if period is None:
        return None
    index, start, end = period
    window = _window_around(layer, zone, at)
    if window is False:
        return None
    if window:
        start, end = max(start, window[0]), min(end, window[1])
    person = layer.participants[index % len(layer.participants)]
    return Shift(person=person, starts_at=start, ends_at=end, layer=layer)


def _winning_override(overrides: Iterable[OverridePlan], at: datetime, base: Hashable | None):
    live = [
        o
        for o in overrides
        if o.starts_at <= at < o.ends_at and (o.replaces is None or o.replaces == base)
    ]
    return max(live, key=lambda o: (o.starts_at, o.created_order), default=None)


def _resolve(plan: RotationPlan, at: datetime) -> Shift:
    """``on_call`` without working out when a gap ends."""
    zone = plan.zone
    base = None
    for layer in sorted(plan.layers, key=lambda la: -la.level):
        base = layer_shift(layer, zone, at)
        if base is not None:
            break
    override = _winning_override(plan.overrides, at, base.person if base else None)
    if override is not None:
        return Shift(
            person=override.person,
            starts_at=override.starts_at,
            ends_at=override.ends_at,
            layer=base.layer if base else None,
            override=override,
        )
    return base or Shift(person=None, starts_at=None, ends_at=None)


GAP_HORIZON = timedelta(days=62)


def on_call(plan: RotationPlan, at: datetime) -> Shift:
    """Who is on call for ``plan`` at the aware instant ``at``; a gap says when it ends."""
    shift = _resolve(plan, at)
    if not shift.is_gap:
        return shift
    upcoming = sorted(_boundaries(plan, at, at + GAP_HORIZON))
    ends_at = next((point for point in upcoming if not _resolve(plan, point).is_gap), None)
    return Shift(person=None, starts_at=None, ends_at=ends_at)


def _boundaries(plan: RotationPlan, start: datetime, end: datetime) -> set[datetime]:
    """Every instant in (start, end) at which the answer of ``on_call`` may change."""
    zone = plan.zone
    points: set[datetime] = set()
    for layer in plan.layers:
        anchor = _aware(datetime.combine(layer.starts_on, layer.handoff_time), zone)
        if start < anchor < end:
            points.add(anchor)
        cursor = max(start, anchor)
        while cursor < end:
            period = _layer_period(layer, zone, cursor)
            if period is None:
                break
            cursor = period[2]
            if cursor < end:
                points.add(cursor)
        if layer.active_from is not None and layer.active_until is not None:
            day = start.astimezone(zone).date() - timedelta(days=1)
            last = end.astimezone(zone).date() + timedelta(days=1)
            while day <= last:
                for moment in (layer.active_from, layer.active_until):
                    instant = _aware(datetime.combine(day, moment), zone)
                    if start < instant < end:
                        points.add(instant)
                day += timedelta(days=1)
    for override in plan.overrides:
        for instant in (override.starts_at, override.ends_at):
            if start < instant < end:
                points.add(instant)
    return points


@dataclass(frozen=True)
class Segment:
    """An uninterrupted stretch with one answer: a person, or a gap (``person`` None)."""

    person: Hashable | None
    starts_at: datetime
    ends_at: datetime
    override: OverridePlan | None = None

    @property
    def is_gap(self) -> bool:
        return self.person is None


def schedule(plan: RotationPlan, start: datetime, end: datetime) -> list[Segment]:
    """Who is on call from ``start`` to ``end``, as consecutive segments (gaps included)."""
    cuts = [start, *sorted(_boundaries(plan, start, end)), end]
    segments: list[Segment] = []
    for seg_start, seg_end in itertools.pairwise(cuts):
        shift = _resolve(plan, seg_start)
        previous = segments[-1] if segments else None
        if previous and previous.person == shift.person and previous.override == shift.override:
            segments[-1] = Segment(previous.person, previous.starts_at, seg_end, previous.override)
        else:
            segments.append(Segment(shift.person, seg_start, seg_end, shift.override))
    return segments


def plan_for(rotation, overrides_from: datetime | None = None) -> RotationPlan:
    """The plan of a Rotation row. Uses prefetched ``layers__participants__person`` and
    ``overrides`` when present (see ``rotations_with_plans``), so it adds no query then."""
    layers = tuple(
        LayerPlan(
            level=layer.level,
            name=layer.name,
            starts_on=layer.starts_on,
            handoff_time=layer.handoff_time,
            shift_length=layer.shift_length,
            shift_unit=layer.shift_unit,
            active_from=layer.active_from,
            active_until=layer.active_until,
            participants=tuple(p.person for p in layer.participants.all()),
        )
        for layer in rotation.layers.all()
    )
    overrides = tuple(
        OverridePlan(
            person=o.person,
            replaces=o.replaces,
            starts_at=o.starts_at,
            ends_at=o.ends_at,
            created_order=o.pk,
        )
        for o in rotation.overrides.all()
        if overrides_from is None or o.ends_at > overrides_from
    )
    return RotationPlan(time_zone=rotation.time_zone, layers=layers, overrides=overrides)


def rotations_with_plans(queryset):
    """``queryset`` of rotations with what ``plan_for`` reads prefetched (a fixed 5 queries)."""
    from django.db.models import Prefetch

    from ..models import LayerParticipant, Override

    return queryset.prefetch_related(
        Prefetch(
            "layers__participants",
            queryset=LayerParticipant.objects.select_related("person").order_by("position", "id"),
        ),
        Prefetch("overrides", queryset=Override.objects.select_related("person", "replaces")),
    )
