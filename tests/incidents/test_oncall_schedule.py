"""The pure on-call function: plans built by hand, no database.

DST dates used (2026): Europe/London springs forward on Sun 29 March (01:00 GMT → 02:00 BST)
and falls back on Sun 25 October (02:00 BST → 01:00 GMT); America/New_York springs forward
on Sun 8 March (02:00 EST → 03:00 EDT) and falls back on Sun 1 November (02:00 EDT → 01:00 EST).
"""

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from incidents.oncall.schedule import (
    LayerPlan,
    OverridePlan,
    RotationPlan,
    Segment,
    on_call,
    schedule,
)

LONDON = "Europe/London"
NEW_YORK = "America/New_York"
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def utc(*parts) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def local(zone: str, *parts, fold: int = 0) -> datetime:
    return datetime(*parts, tzinfo=ZoneInfo(zone), fold=fold)


def layer(**fields) -> LayerPlan:
    fields.setdefault("level", 1)
    fields.setdefault("starts_on", date(2026, 1, 5))
    fields.setdefault("handoff_time", time(9, 0))
    fields.setdefault("shift_length", 1)
    fields.setdefault("shift_unit", "weeks")
    fields.setdefault("participants", ("ann", "bob", "cat"))
    return LayerPlan(**fields)


def plan(*layers: LayerPlan, zone: str = "UTC", overrides=()) -> RotationPlan:
    return RotationPlan(time_zone=zone, layers=tuple(layers), overrides=tuple(overrides))


def handoffs(segments: list[Segment]) -> list[datetime]:
    return [segment.starts_at for segment in segments[1:]]


def assert_covers(segments: list[Segment], start: datetime, end: datetime) -> None:
    """The segments tile [start, end) exactly and neighbours always differ."""
    assert segments[0].starts_at == start and segments[-1].ends_at == end
    for before, after in itertools.pairwise(segments):
        assert before.ends_at == after.starts_at
        assert (before.person, before.override) != (after.person, after.override)
    assert all(segment.starts_at < segment.ends_at for segment in segments)


# --- Day and week shifts keep their wall-clock handoff across DST ----------------------------

DST_WEEKS = [
    # zone, the Monday before the change, elapsed hours of the shift that spans it
    pytest.param(LONDON, date(2026, 3, 23), 167, id="london-spring-forward"),
    pytest.param(LONDON, date(2026, 10, 19), 169, id="london-fall-back"),
    pytest.param(NEW_YORK, date(2026, 3, 2), 167, id="new-york-spring-forward"),
    pytest.param(NEW_YORK, date(2026, 10, 26), 169, id="new-york-fall-back"),
]


@pytest.mark.parametrize(("zone", "monday", "spanning_hours"), DST_WEEKS)
def test_weekly_handoffs_stay_at_nine_on_monday_across_a_dst_change(zone, monday, spanning_hours):
    rota = plan(layer(starts_on=monday - timedelta(weeks=2)), zone=zone)
    start = local(zone, monday.year, monday.month, monday.day) - timedelta(days=10)
    segments = schedule(rota, start, start + timedelta(weeks=5))

    moments = handoffs(segments)
    assert len(moments) == 5
    for moment in moments:
        wall = moment.astimezone(ZoneInfo(zone))
        assert (wall.weekday(), wall.hour, wall.minute) == (0, 9, 0)
    spanning = segments[2]  # the shift from `monday` to the Monday after the change
    assert spanning.starts_at == local(zone, monday.year, monday.month, monday.day, 9)
    assert spanning.ends_at - spanning.starts_at == timedelta(hours=spanning_hours)
    assert [segment.person for segment in segments] == ["ann", "bob", "cat", "ann", "bob", "cat"]


DST_DAYS = [
    pytest.param(LONDON, date(2026, 3, 29), 23, id="london-spring-forward"),
    pytest.param(LONDON, date(2026, 10, 25), 25, id="london-fall-back"),
    pytest.param(NEW_YORK, date(2026, 3, 8), 23, id="new-york-spring-forward"),
    pytest.param(NEW_YORK, date(2026, 11, 1), 25, id="new-york-fall-back"),
]


@pytest.mark.parametrize(("zone", "change_day", "spanning_hours"), DST_DAYS)
def test_daily_handoffs_stay_at_nine_across_a_dst_change(zone, change_day, spanning_hours):
    rota = plan(layer(starts_on=change_day - 3 * DAY, shift_unit="days"), zone=zone)
    start = local(zone, *change_day.timetuple()[:3]) - 2 * DAY
    segments = schedule(rota, start, start + 5 * DAY)

    for moment in handoffs(segments):
        assert moment.astimezone(ZoneInfo(zone)).time() == time(9, 0)
    by_start = {
        segment.starts_at.astimezone(ZoneInfo(zone)).date(): segment for segment in segments
    }
    # The shift from 09:00 the day before the change to 09:00 on the change day.
    spanning = by_start[change_day - DAY]
    assert spanning.ends_at - spanning.starts_at == timedelta(hours=spanning_hours)
    assert spanning.ends_at == local(zone, *change_day.timetuple()[:3], 9)


@pytest.mark.parametrize(
    ("zone", "day", "skipped", "handoff_utc"),
    [
        # 01:30 does not exist in London on 29 March: the handoff is at 02:30 BST.
        pytest.param(LONDON, date(2026, 3, 29), time(1, 30), utc(2026, 3, 29, 1, 30), id="london"),
        # 02:30 does not exist in New York on 8 March: the handoff is at 03:30 EDT.
        pytest.param(NEW_YORK, date(2026, 3, 8), time(2, 30), utc(2026, 3, 8, 7, 30), id="ny"),
    ],
)
def test_a_handoff_in_the_skipped_hour_happens_once_the_clocks_have_jumped(
    zone, day, skipped, handoff_utc
):
    rota = plan(layer(starts_on=day - 2 * DAY, handoff_time=skipped, shift_unit="days"), zone=zone)
    # Twenty minutes before the handoff, already after the jump on the wall clock.
    before = on_call(rota, handoff_utc - timedelta(minutes=20))
    after = on_call(rota, handoff_utc)

    assert before.person == "bob" and after.person == "cat"
    assert before.starts_at < handoff_utc - timedelta(minutes=20) < before.ends_at == handoff_utc
    assert after.starts_at == handoff_utc
    # The next day's handoff is back at the usual wall-clock time.
    assert after.ends_at == local(zone, *(day + DAY).timetuple()[:3], skipped.hour, 30)


@pytest.mark.parametrize(
    ("zone", "day", "repeated"),
    [
        pytest.param(LONDON, date(2026, 10, 25), time(1, 30), id="london"),
        pytest.param(NEW_YORK, date(2026, 11, 1), time(1, 30), id="new-york"),
    ],
)
def test_a_handoff_in_the_repeated_hour_happens_once_and_does_not_flip_back(zone, day, repeated):
    rota = plan(layer(starts_on=day - 2 * DAY, handoff_time=repeated, shift_unit="days"), zone=zone)
    # In UTC: Python never finds an ambiguous local time equal to an instant in another zone.
    first = local(zone, day.year, day.month, day.day, 1, 30, fold=0).astimezone(UTC)
    # 01:15 comes round a second time an hour later: the handoff must not be undone.
    second_quarter_past = local(zone, day.year, day.month, day.day, 1, 15, fold=1)

    assert on_call(rota, first - timedelta(minutes=1)).person == "bob"
    assert on_call(rota, first).person == "cat"
    assert on_call(rota, second_quarter_past).person == "cat"
    assert on_call(rota, second_quarter_past).starts_at == first
    # Asked with the same instant written in UTC, the answer is the same.
    assert on_call(rota, second_quarter_past.astimezone(UTC)).person == "cat"


# --- Hour shifts count elapsed hours ---------------------------------------------------------


@pytest.mark.parametrize(
    ("zone", "change_day"),
    [
        pytest.param(LONDON, date(2026, 3, 29), id="london-spring-forward"),
        pytest.param(LONDON, date(2026, 10, 25), id="london-fall-back"),
        pytest.param(NEW_YORK, date(2026, 3, 8), id="new-york-spring-forward"),
        pytest.param(NEW_YORK, date(2026, 11, 1), id="new-york-fall-back"),
    ],
)
def test_hour_shifts_last_exactly_their_elapsed_hours_across_dst(zone, change_day):
    rota = plan(
        layer(
            starts_on=change_day - 2 * DAY,
            handoff_time=time(22, 0),
            shift_length=8,
            shift_unit="hours",
        ),
        zone=zone,
    )
    # Elapsed time is added in UTC: adding to a local time adds to the wall clock.
    first = local(zone, *(change_day - 2 * DAY).timetuple()[:3], 22).astimezone(UTC)
    segments = schedule(rota, first, first + 96 * HOUR)

    assert len(segments) == 12
    assert all(segment.ends_at - segment.starts_at == 8 * HOUR for segment in segments)
    assert [segment.person for segment in segments] == ["ann", "bob", "cat"] * 4
    # The wall-clock handoff moves by the hour the clocks moved.
    walls = {segment.starts_at.astimezone(ZoneInfo(zone)).hour for segment in segments}
    assert walls == {22, 6, 14} | ({23, 7, 15} if change_day.month < 6 else {21, 5, 13})


# --- Before the first shift, empty layers, no layers -----------------------------------------


def test_before_the_first_shift_is_a_gap_ending_at_the_first_handoff():
    rota = plan(layer(starts_on=date(2026, 2, 2)), zone=LONDON)
    shift = on_call(rota, utc(2026, 1, 20, 12))

    assert shift.is_gap and shift.person is None
    assert shift.starts_at is None
    assert shift.ends_at == local(LONDON, 2026, 2, 2, 9)
    assert on_call(rota, shift.ends_at).person == "ann"
    assert on_call(rota, shift.ends_at - timedelta(microseconds=1)).is_gap


def test_a_gap_longer_than_the_horizon_has_no_known_end():
    rota = plan(layer(starts_on=date(2027, 6, 1)))
    shift = on_call(rota, utc(2026, 1, 1))
    assert shift.is_gap and shift.ends_at is None


def test_a_layer_without_participants_is_a_gap_not_somebody():
    shift = on_call(plan(layer(participants=())), utc(2026, 3, 1, 12))
    assert shift.is_gap and shift.ends_at is None


def test_a_rotation_without_layers_is_a_gap_with_no_end():
    rota = plan()
    shift = on_call(rota, utc(2026, 3, 1, 12))
    assert shift.is_gap and shift.starts_at is None and shift.ends_at is None
    [segment] = schedule(rota, utc(2026, 3, 1), utc(2026, 3, 8))
    assert segment.is_gap and segment.starts_at == utc(2026, 3, 1)


def test_an_empty_higher_layer_does_not_hide_a_staffed_lower_one():
    rota = plan(layer(level=1), layer(level=5, participants=()))
    assert on_call(rota, utc(2026, 3, 4, 12)).person == "cat"  # week 8 of ann, bob, cat


# --- Several layers and daily windows --------------------------------------------------------


def business_hours_rota(zone: str = LONDON) -> RotationPlan:
    weekly = layer(level=1, participants=("night-nia",))
    office = layer(
        level=2,
        shift_unit="days",
        handoff_time=time(0, 0),
        participants=("dev-dan", "dev-eve"),
        active_from=time(9, 0),
        active_until=time(17, 0),
    )
    return plan(office, weekly, zone=zone)  # order in the tuple does not matter


def test_the_higher_layer_wins_inside_its_window_and_the_lower_fills_the_rest():
    rota = business_hours_rota()
    monday = local(LONDON, 2026, 3, 2, 10)  # day 56 since 5 January: dev-dan
    assert on_call(rota, monday).person == "dev-dan"
    assert on_call(rota, monday + DAY).person == "dev-eve"
    evening = on_call(rota, local(LONDON, 2026, 3, 2, 18))
    assert evening.person == "night-nia"
    assert evening.starts_at == local(LONDON, 2026, 3, 2, 17)
    assert evening.ends_at == local(LONDON, 2026, 3, 3, 9)
    assert on_call(rota, monday).ends_at == local(LONDON, 2026, 3, 2, 17)


def test_a_business_hours_window_keeps_its_wall_clock_across_dst():
    rota = business_hours_rota()
    segments = schedule(rota, local(LONDON, 2026, 3, 27), local(LONDON, 2026, 3, 31))
    office = [segment for segment in segments if segment.person != "night-nia"]
    assert len(office) == 4
    for segment in office:
        assert segment.starts_at.astimezone(ZoneInfo(LONDON)).time() == time(9, 0)
        assert segment.ends_at.astimezone(ZoneInfo(LONDON)).time() == time(17, 0)


def test_a_window_that_wraps_midnight_covers_the_night_on_both_sides_of_it():
    night = layer(
        level=2,
        shift_unit="weeks",
        participants=("owl",),
        active_from=time(18, 0),
        active_until=time(8, 0),
    )
    rota = plan(layer(level=1, participants=("lark",)), night, zone=NEW_YORK)
    assert on_call(rota, local(NEW_YORK, 2026, 3, 3, 23)).person == "owl"
    assert on_call(rota, local(NEW_YORK, 2026, 3, 4, 7, 59)).person == "owl"
    assert on_call(rota, local(NEW_YORK, 2026, 3, 4, 8)).person == "lark"
    assert on_call(rota, local(NEW_YORK, 2026, 3, 4, 17, 59)).person == "lark"
    shift = on_call(rota, local(NEW_YORK, 2026, 3, 7, 23))  # the night the clocks jump
    assert shift.person == "owl"
    assert shift.starts_at == local(NEW_YORK, 2026, 3, 7, 18)
    assert shift.ends_at == local(NEW_YORK, 2026, 3, 8, 8)
    assert shift.ends_at - shift.starts_at == 13 * HOUR


def test_outside_its_only_layers_window_the_rotation_is_a_gap_until_the_window_opens():
    office = layer(participants=("dev-dan",), active_from=time(9), active_until=time(17))
    shift = on_call(plan(office, zone=LONDON), local(LONDON, 2026, 3, 2, 20))
    assert shift.is_gap
    assert shift.starts_at == local(LONDON, 2026, 3, 2, 17)
    assert shift.ends_at == local(LONDON, 2026, 3, 3, 9)


# --- Overrides -------------------------------------------------------------------------------

WEEK_OF_ANN = utc(2026, 1, 5, 9)  # ann 5–12 Jan, bob 12–19 Jan, cat 19–26 Jan


def test_an_override_covers_whoever_is_on_call():
    cover = OverridePlan(person="zed", starts_at=utc(2026, 1, 7, 12), ends_at=utc(2026, 1, 8))
    rota = plan(layer(), overrides=[cover])

    shift = on_call(rota, utc(2026, 1, 7, 18))
    assert shift.person == "zed" and shift.override == cover
    assert (shift.starts_at, shift.ends_at) == (cover.starts_at, cover.ends_at)
    assert on_call(rota, cover.ends_at).person == "ann"
    assert on_call(rota, cover.starts_at - timedelta(microseconds=1)).person == "ann"


def test_an_override_fills_a_gap():
    cover = OverridePlan(person="zed", starts_at=utc(2026, 1, 1), ends_at=utc(2026, 1, 2))
    rota = plan(overrides=[cover])
    assert on_call(rota, utc(2026, 1, 1, 6)).person == "zed"
    gap_after = on_call(rota, utc(2026, 1, 2, 6))
    assert gap_after.is_gap and gap_after.starts_at == cover.ends_at and gap_after.ends_at is None


def test_an_override_that_replaces_one_person_covers_only_their_shifts():
    # zed replaces ann from Saturday to the Wednesday after: bob's shift starts on Monday.
    cover = OverridePlan(
        person="zed", replaces="ann", starts_at=utc(2026, 1, 10), ends_at=utc(2026, 1, 14)
    )
    rota = plan(layer(), overrides=[cover])

    covering = on_call(rota, utc(2026, 1, 11))
    assert covering.person == "zed" and covering.override == cover
    assert covering.ends_at == utc(2026, 1, 12, 9)  # ann's handoff, not the override's end
    assert on_call(rota, utc(2026, 1, 13)).person == "bob"
    assert on_call(rota, utc(2026, 1, 13)).override is None


def test_an_override_replacing_someone_off_call_changes_nothing():
    cover = OverridePlan(
        person="zed", replaces="cat", starts_at=utc(2026, 1, 6), ends_at=utc(2026, 1, 9)
    )
    assert on_call(plan(layer(), overrides=[cover]), utc(2026, 1, 7)).person == "ann"


def test_of_overlapping_overrides_the_one_that_started_last_wins():
    long = OverridePlan(
        person="long", starts_at=utc(2026, 1, 6, 10), ends_at=utc(2026, 1, 6, 14), created_order=9
    )
    short = OverridePlan(
        person="short", starts_at=utc(2026, 1, 6, 12), ends_at=utc(2026, 1, 6, 13), created_order=1
    )
    rota = plan(layer(), overrides=[short, long])
    segments = schedule(rota, utc(2026, 1, 6, 9), utc(2026, 1, 6, 15))
    assert [(s.person, s.starts_at.hour, s.ends_at.hour) for s in segments] == [
        ("ann", 9, 10),
        ("long", 10, 12),
        ("short", 12, 13),
        ("long", 13, 14),
        ("ann", 14, 15),
    ]


def test_overrides_starting_together_are_settled_by_the_newest():
    older = OverridePlan(
        person="older", starts_at=utc(2026, 1, 6), ends_at=utc(2026, 1, 7), created_order=1
    )
    newer = OverridePlan(
        person="newer", starts_at=utc(2026, 1, 6), ends_at=utc(2026, 1, 7), created_order=2
    )
    assert on_call(plan(layer(), overrides=[newer, older]), utc(2026, 1, 6, 5)).person == "newer"


def test_a_later_override_that_does_not_apply_leaves_the_earlier_one_in_force():
    general = OverridePlan(
        person="zed", starts_at=utc(2026, 1, 6), ends_at=utc(2026, 1, 8), created_order=1
    )
    unrelated = OverridePlan(
        person="yan",
        replaces="bob",
        starts_at=utc(2026, 1, 7),
        ends_at=utc(2026, 1, 8),
        created_order=2,
    )
    assert (
        on_call(plan(layer(), overrides=[general, unrelated]), utc(2026, 1, 7, 5)).person == "zed"
    )


def test_an_override_given_in_local_time_means_the_same_instants():
    start = local(LONDON, 2026, 10, 25, 1, 30, fold=1)  # the second 01:30: 01:30 UTC
    cover = OverridePlan(person="zed", starts_at=start, ends_at=start + HOUR)
    rota = plan(layer(), zone=LONDON, overrides=[cover])
    assert on_call(rota, utc(2026, 10, 25, 1, 20)).person != "zed"
    assert on_call(rota, utc(2026, 10, 25, 1, 40)).person == "zed"


# --- schedule() ------------------------------------------------------------------------------


def test_schedule_merges_consecutive_shifts_of_the_same_person():
    rota = plan(layer(participants=("solo",)), zone=LONDON)
    start, end = utc(2026, 3, 1), utc(2026, 5, 1)
    assert schedule(rota, start, end) == [Segment("solo", start, end)]
    shift = on_call(rota, utc(2026, 3, 20))
    assert shift.person == "solo" and shift.starts_at == local(LONDON, 2026, 1, 5, 9)
    assert shift.ends_at is None  # nobody else is ever scheduled


def test_schedule_splits_where_an_override_starts_and_ends_even_for_the_same_person():
    cover = OverridePlan(person="ann", starts_at=utc(2026, 1, 6), ends_at=utc(2026, 1, 7))
    segments = schedule(plan(layer(), overrides=[cover]), utc(2026, 1, 5, 12), utc(2026, 1, 8))
    assert [(s.person, s.override) for s in segments] == [
        ("ann", None),
        ("ann", cover),
        ("ann", None),
    ]
    # on_call follows the person, so the stretch runs to ann's handoff.
    assert on_call(plan(layer(), overrides=[cover]), utc(2026, 1, 6, 5)).ends_at == utc(
        2026, 1, 12, 9
    )


def test_schedule_of_an_empty_or_reversed_range_is_empty():
    assert schedule(plan(layer()), utc(2026, 1, 9), utc(2026, 1, 9)) == []
    assert schedule(plan(layer()), utc(2026, 1, 9), utc(2026, 1, 8)) == []


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="aware"):
        on_call(plan(layer()), datetime(2026, 1, 9, 12))
    with pytest.raises(ValueError, match="aware"):
        schedule(plan(layer()), datetime(2026, 1, 9), utc(2026, 1, 10))


@pytest.mark.parametrize(
    "fields",
    [
        {"shift_unit": "months"},
        {"shift_length": 0},
        {"active_from": time(9)},
        {"active_from": time(9), "active_until": time(9)},
    ],
)
def test_a_layer_plan_that_makes_no_sense_is_refused(fields):
    with pytest.raises(ValueError):
        layer(**fields)


def test_schedule_covers_a_busy_range_with_no_holes():
    cover = OverridePlan(
        person="zed", replaces="bob", starts_at=utc(2026, 3, 14), ends_at=utc(2026, 3, 30)
    )
    rota = plan(
        layer(level=1, starts_on=date(2026, 3, 3), shift_unit="days", shift_length=2),
        layer(
            level=2, participants=("dev-dan", "dev-eve"), active_from=time(9), active_until=time(17)
        ),
        layer(level=3, participants=(), shift_unit="hours"),
        zone=LONDON,
        overrides=[cover],
    )
    start, end = utc(2026, 3, 1), utc(2026, 4, 15)
    segments = schedule(rota, start, end)
    assert_covers(segments, start, end)
    # The business-hours layer opens first, on Sunday morning.
    assert segments[0].is_gap and segments[0].ends_at == local(LONDON, 2026, 3, 1, 9)
    assert any(segment.person == "zed" for segment in segments)
    for segment in segments:
        middle = segment.starts_at + (segment.ends_at - segment.starts_at) / 2
        assert on_call(rota, middle).person == segment.person
        assert on_call(rota, segment.starts_at).person == segment.person


# --- Whatever the plan: on_call and schedule agree -------------------------------------------

ZONES = ["UTC", LONDON, NEW_YORK, "Australia/Lord_Howe", "Asia/Kolkata"]
PEOPLE = ["ann", "bob", "cat", "dan"]
CLOCKS = st.times().map(lambda t: t.replace(second=0, microsecond=0))


@st.composite
def layer_plans(draw, level):
    window = draw(st.booleans())
    start = draw(CLOCKS)
    end = draw(CLOCKS.filter(lambda t: t != start))
    return LayerPlan(
        level=level,
        starts_on=draw(st.dates(date(2025, 11, 1), date(2026, 4, 1))),
        handoff_time=draw(CLOCKS),
        shift_length=draw(st.integers(1, 30)),
        shift_unit=draw(st.sampled_from(["hours", "days", "weeks"])),
        participants=tuple(draw(st.lists(st.sampled_from(PEOPLE), max_size=4))),
        active_from=start if window else None,
        active_until=end if window else None,
    )


INSTANTS = st.datetimes(datetime(2025, 12, 1), datetime(2026, 12, 1)).map(
    lambda moment: moment.replace(tzinfo=UTC)
)


@st.composite
def override_plans(draw, order):
    starts_at = draw(INSTANTS)
    return OverridePlan(
        person=draw(st.sampled_from(["zed", *PEOPLE])),
        replaces=draw(st.sampled_from([None, *PEOPLE])),
        starts_at=starts_at,
        ends_at=starts_at + timedelta(minutes=draw(st.integers(1, 60 * 24 * 20))),
        created_order=order,
    )


@st.composite
def rotation_plans(draw):
    levels = draw(st.lists(st.integers(1, 5), unique=True, max_size=3))
    count = draw(st.integers(0, 3))
    return RotationPlan(
        time_zone=draw(st.sampled_from(ZONES)),
        layers=tuple(draw(layer_plans(level)) for level in levels),
        overrides=tuple(draw(override_plans(order)) for order in range(count)),
    )


@settings(max_examples=200, deadline=None)
@given(rota=rotation_plans(), at=INSTANTS)
def test_on_call_agrees_with_the_schedule_around_any_instant(rota, at):
    start, end = at - timedelta(days=30), at + timedelta(days=30)
    segments = schedule(rota, start, end)
    assert_covers(segments, start, end)

    # The stretch around `at` during which the same person answers, from the segments.
    [index] = [i for i, s in enumerate(segments) if s.starts_at <= at < s.ends_at]
    first = last = index
    while first > 0 and segments[first - 1].person == segments[index].person:
        first -= 1
    while last < len(segments) - 1 and segments[last + 1].person == segments[index].person:
        last += 1

    shift = on_call(rota, at)
    assert shift.person == segments[index].person
    assert shift.override == segments[index].override
    if first > 0:
        assert shift.starts_at == segments[first].starts_at
    if last < len(segments) - 1:
        assert shift.ends_at == segments[last].ends_at
    # The same instant written in the rotation's zone gets the same answer.
    assert on_call(rota, at.astimezone(rota.zone)) == shift
