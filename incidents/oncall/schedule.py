"""Who is on call for a rotation at any instant: one pure function and what it stands on.

The ORM rows are turned into plain, frozen plans first (``plan_for``) so that ``on_call``
and ``schedule`` never touch the database and can be tested exhaustively.

Rules:
1. A layer's shifts start at ``starts_on`` + ``handoff_time`` (wall clock in the rotation's
   zone). Day and week shifts hand off at that wall-clock time every time, across DST;
   hour shifts are counted in elapsed hours.
2. A wall-clock time that a spring-forward change skips is read with the offset in force
   before the change (a 01:30 handoff on the night London skips 01:00–02:00 happens at 02:30
   BST); a time that a fall-back change repeats means its first occurrence.
3. A layer with a daily window only covers the window; outside it the layer has nobody.
4. Higher levels win where they have somebody; lower levels fill the rest.
5. An override covers whoever is on call (or only the person it ``replaces``); where
   overrides overlap, the one that started last wins (then the newest).
6. Where nobody is on call the answer is a gap, with when it ends if that is known.

Every instant is handled in UTC inside this module: Python compares and subtracts two
datetimes that share a tzinfo by their wall clocks, which is wrong across a DST change.
"""

import bisect
import heapq
from collections.abc import Hashable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

UNIT_DAYS = {"days": 1, "weeks": 7}
SHIFT_UNITS = ("hours", "days", "weeks")

# How far ``on_call`` looks, each way, for the start and the end of the current answer.
# Beyond it the bound is reported as unknown (None) rather than searched for ever.
HORIZON = timedelta(days=92)
GAP_HORIZON = HORIZON  # the name earlier callers used
# The smallest step datetimes take: the answer "just before" an instant is the one a tick
# earlier, since no two boundaries are closer than that.
TICK = timedelta(microseconds=1)


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

    def __post_init__(self):
        if self.shift_unit not in SHIFT_UNITS:
            raise ValueError(f"Unknown shift unit {self.shift_unit!r}.")
        if self.shift_length < 1:
            raise ValueError("A shift lasts at least one unit.")
        if (self.active_from is None) != (self.active_until is None):
            raise ValueError("A daily window needs both ends, or neither.")
        if self.active_from is not None and self.active_from == self.active_until:
            raise ValueError("A daily window must not start and end at the same time.")

    @property
    def has_window(self) -> bool:
        return self.active_from is not None

    @property
    def window_wraps(self) -> bool:
        """True for a window that crosses midnight, e.g. 18:00–08:00."""
        return self.has_window and self.active_until < self.active_from


@dataclass(frozen=True)
class OverridePlan:
    person: Hashable
    starts_at: datetime
    ends_at: datetime
    replaces: Hashable | None = None
    created_order: int = 0
    reason: str = ""


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
    """Who answers at an instant, and the stretch during which that same person answers.

    ``person`` None is a gap. ``starts_at``/``ends_at`` None mean that bound is not known
    (nothing scheduled, or farther than ``HORIZON``). ``layer`` and ``override`` say what
    puts them there at the instant asked about; the stretch may go on past that override
    when the same person is next on call anyway.
    """

    person: Hashable | None
    starts_at: datetime | None
    ends_at: datetime | None
    layer: LayerPlan | None = None
    override: OverridePlan | None = None

    @property
    def is_gap(self) -> bool:
        return self.person is None


@dataclass(frozen=True)
class Segment:
    """An uninterrupted stretch with one answer: a person, or a gap (``person`` None).

    A new segment starts wherever the person or the override in force changes.
    """

    person: Hashable | None
    starts_at: datetime
    ends_at: datetime
    override: OverridePlan | None = None

    @property
    def is_gap(self) -> bool:
        return self.person is None


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("On-call questions need an aware datetime (with a time zone).")
    return moment.astimezone(UTC)


def _instant(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The UTC instant at which the wall clock in ``zone`` shows ``clock`` on ``day`` (rule 2:
    ``fold=0`` gives exactly that reading of skipped and repeated times)."""
    return datetime.combine(day, clock, tzinfo=zone).astimezone(UTC)


class _Layer:
    """A layer's shifts as UTC instants: handoff ``k`` starts shift ``k``."""

    def __init__(self, plan: LayerPlan, zone: ZoneInfo):
        self.plan = plan
        self.zone = zone
        self.people = plan.participants
        self.anchor = _instant(plan.starts_on, plan.handoff_time, zone)
        self.anchor_wall = datetime.combine(plan.starts_on, plan.handoff_time)
        if plan.shift_unit == "hours":
            self.length = timedelta(hours=plan.shift_length)
        else:
            self.length = timedelta(days=plan.shift_length * UNIT_DAYS[plan.shift_unit])
        # With one person only, no handoff but the first changes who answers.
        self.one_person = len(set(self.people)) == 1

    def handoff(self, k: int) -> datetime:
        if self.plan.shift_unit == "hours":
            return self.anchor + k * self.length  # elapsed time: UTC arithmetic
        return _instant(self.plan.starts_on + k * self.length, self.plan.handoff_time, self.zone)

    def index(self, at: datetime) -> int | None:
        """``k`` with handoff(k) <= at < handoff(k + 1), or None before the first shift."""
        if at < self.anchor:
            return None
        if self.plan.shift_unit == "hours":
            return (at - self.anchor) // self.length
        # Estimate on the wall clock, then settle against the real instants: near a handoff
        # that DST moved, or in a repeated hour, the wall clock alone is one shift off.
        wall = at.astimezone(self.zone).replace(tzinfo=None)
        k = max(0, (wall - self.anchor_wall) // self.length)
        while k > 0 and self.handoff(k) > at:
            k -= 1
        while self.handoff(k + 1) <= at:
            k += 1
        return k

    def person_at_index(self, k: int) -> Hashable:
        return self.people[k % len(self.people)]

    def changes_hands(self, k: int) -> bool:
        return k == 0 or self.person_at_index(k) != self.person_at_index(k - 1)

    def window_edges(self, day: date) -> tuple[datetime, datetime]:
        end_day = day + timedelta(days=1) if self.plan.window_wraps else day
        return (
            _instant(day, self.plan.active_from, self.zone),
            _instant(end_day, self.plan.active_until, self.zone),
        )

    def in_window(self, at: datetime) -> bool:
        if not self.plan.has_window:
            return True
        today = at.astimezone(self.zone).date()
        for day in (today - timedelta(days=1), today):
            start, end = self.window_edges(day)
            if start <= at < end:
                return True
        return False

    def person(self, at: datetime) -> Hashable | None:
        """Who this layer alone has on call at ``at``, or None."""
        if not self.people or not self.in_window(at):
            return None
        k = self.index(at)
        return None if k is None else self.person_at_index(k)

    def cuts_after(self, start: datetime, end: datetime) -> Iterator[datetime]:
        """Handoffs in (start, end) that change who answers, ascending."""
        if not self.people:
            return
        k = self.index(start)
        k = 0 if k is None else k + 1
        while (moment := self.handoff(k)) < end:
            if self.changes_hands(k):
                yield moment
            if self.one_person:
                return
            k += 1

    def cuts_before(self, start: datetime, end: datetime) -> Iterator[datetime]:
        """Handoffs in (start, end] that change who answers, descending."""
        if not self.people:
            return
        k = self.index(end)
        if k is None:
            return
        if self.one_person:
            k = 0
        while k >= 0 and (moment := self.handoff(k)) > start:
            if self.changes_hands(k):
                yield moment
            k -= 1

    def window_cuts(self, start: datetime, end: datetime, descending: bool) -> Iterator[datetime]:
        """Window edges strictly inside the range, in the order asked for."""
        if not self.plan.has_window or not self.people:
            return
        first = start.astimezone(self.zone).date() - timedelta(days=1)
        last = end.astimezone(self.zone).date() + timedelta(days=1)
        days = (last - first).days + 1
        offsets = range(days - 1, -1, -1) if descending else range(days)
        for offset in offsets:
            edges = sorted(self.window_edges(first + timedelta(days=offset)))
            for moment in reversed(edges) if descending else edges:
                if start < moment < end or (descending and moment == end):
                    yield moment


@dataclass(frozen=True)
class _Answer:
    person: Hashable | None
    layer: LayerPlan | None
    override: OverridePlan | None


class _Rotation:
    """A plan made ready to answer many questions: UTC instants, layers highest first."""

    def __init__(self, plan: RotationPlan):
        zone = plan.zone
        self.layers = [
            _Layer(layer, zone) for layer in sorted(plan.layers, key=lambda la: -la.level)
        ]
        self.overrides = [
            (_utc(o.starts_at), _utc(o.ends_at), o)
            for o in plan.overrides
            if o.ends_at > o.starts_at
        ]
        self.override_edges = sorted({edge for o in self.overrides for edge in o[:2]})

    def answer(self, at: datetime) -> _Answer:
        base_person, base_layer = None, None
        for layer in self.layers:
            base_person = layer.person(at)
            if base_person is not None:
                base_layer = layer.plan
                break
        live = [
            (starts_at, o.created_order, o)
            for starts_at, ends_at, o in self.overrides
            if starts_at <= at < ends_at and (o.replaces is None or o.replaces == base_person)
        ]
        if live:
            override = max(live, key=lambda item: item[:2])[2]
            return _Answer(override.person, base_layer, override)
        return _Answer(base_person, base_layer, None)

    def cuts_after(self, start: datetime, end: datetime) -> Iterator[datetime]:
        """Every instant in (start, end) at which the answer may change, ascending, once."""
        low = bisect.bisect_right(self.override_edges, start)
        high = bisect.bisect_left(self.override_edges, end)
        sources = [iter(self.override_edges[low:high])]
        for layer in self.layers:
            sources.append(layer.cuts_after(start, end))
            sources.append(layer.window_cuts(start, end, descending=False))
        return _unique(heapq.merge(*sources))

    def cuts_before(self, start: datetime, end: datetime) -> Iterator[datetime]:
        """Every instant in (start, end] at which the answer may change, descending, once."""
        low = bisect.bisect_right(self.override_edges, start)
        high = bisect.bisect_right(self.override_edges, end)
        sources = [reversed(self.override_edges[low:high])]
        for layer in self.layers:
            sources.append(layer.cuts_before(start, end))
            sources.append(layer.window_cuts(start, end, descending=True))
        return _unique(heapq.merge(*sources, reverse=True))


def _unique(moments: Iterator[datetime]) -> Iterator[datetime]:
    previous = None
    for moment in moments:
        if moment != previous:
            yield moment
            previous = moment


def on_call(plan: RotationPlan, at: datetime) -> Shift:
    """Who is on call for ``plan`` at the aware instant ``at``, and from when until when.

    A gap (``person`` None) says when it ends if somebody is scheduled within ``HORIZON``;
    a rotation without layers or participants is a gap with ``ends_at`` None.
    """
    at = _utc(at)
    rotation = _Rotation(plan)
    now = rotation.answer(at)
    ends_at = next(
        (
            cut
            for cut in rotation.cuts_after(at, at + HORIZON)
            if rotation.answer(cut).person != now.person
        ),
        None,
    )
    starts_at = next(
        (
            cut
            for cut in rotation.cuts_before(at - HORIZON, at)
            if rotation.answer(cut - TICK).person != now.person
        ),
        None,
    )
    return Shift(
        person=now.person,
        starts_at=starts_at,
        ends_at=ends_at,
        layer=now.layer,
        override=now.override,
    )


def schedule(plan: RotationPlan, start: datetime, end: datetime) -> list[Segment]:
    """Who is on call from ``start`` to ``end``, as consecutive segments (gaps included).

    The segments cover the range exactly, with no holes, and two neighbours always differ
    in person or override. Their instants are in UTC.
    """
    start, end = _utc(start), _utc(end)
    if end <= start:
        return []
    rotation = _Rotation(plan)
    segments: list[Segment] = []
    current, current_start = rotation.answer(start), start
    for cut in rotation.cuts_after(start, end):
        answer = rotation.answer(cut)
        if (answer.person, answer.override) != (current.person, current.override):
            segments.append(Segment(current.person, current_start, cut, current.override))
            current, current_start = answer, cut
    segments.append(Segment(current.person, current_start, end, current.override))
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
            reason=o.reason,
        )
        for o in rotation.overrides.all()
        if overrides_from is None or o.ends_at > overrides_from
    )
    return RotationPlan(time_zone=rotation.time_zone, layers=layers, overrides=overrides)


def rotations_with_plans(queryset, overrides_from: datetime | None = None):
    """``queryset`` of rotations with what ``plan_for`` reads prefetched (a fixed 4 queries
    with the rotations). ``overrides_from`` leaves out overrides that ended before it."""
    from django.db.models import Prefetch

    from ..models import LayerParticipant, Override

    overrides = Override.objects.select_related("person", "replaces")
    if overrides_from is not None:
        overrides = overrides.filter(ends_at__gt=overrides_from)
    return queryset.prefetch_related(
        Prefetch(
            "layers__participants",
            queryset=LayerParticipant.objects.select_related("person").order_by("position", "id"),
        ),
        Prefetch("overrides", queryset=overrides),
    )
