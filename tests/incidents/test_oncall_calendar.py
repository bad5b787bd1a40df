"""/oncall/<rotation>.ics?token=…: a rotation's next eight weeks as an iCalendar feed."""

import itertools
from datetime import UTC, date, datetime, time, timedelta

import icalendar
import pytest
import time_machine

from incidents.models import LayerParticipant, Override, Rotation, RotationLayer
from incidents.oncall.schedule import on_call, plan_for, rotations_with_plans, schedule
from tests.incidents.factories import make_person, make_rotation, make_team

# A Wednesday in Ana's week, eleven days before London's clocks go forward (29 March).
WEDNESDAY = datetime(2026, 3, 18, 12, tzinfo=UTC)
EIGHT_WEEKS = timedelta(weeks=8)


@pytest.fixture
def payments(db, django_user_model):
    # A token works only while its owner's login is active: everyone here has one.
    def person(name, **fields):
        user = django_user_model.objects.create_user(username=name.split()[0].lower())
        return make_person(name, user=user, **fields)

    team = make_team("Payments")
    ana = person("Ana Alvarez", team=team)
    ben = person("Ben Brook", team=team)
    rotation = make_rotation(
        "Payments primary", people=[ana, ben], team=team, time_zone="Europe/London"
    )
    reader = person("Rita Reader")
    return {"team": team, "ana": ana, "ben": ben, "rotation": rotation, "reader": reader}


def _fetch(client, slug, token, at=WEDNESDAY, **params):
    with time_machine.travel(at, tick=False):
        return client.get(f"/oncall/{slug}.ics", {"token": token, **params})


def _events(response) -> list:
    assert response.status_code == 200, response.content
    calendar = icalendar.Calendar.from_ical(response.content)
    return sorted(calendar.walk("VEVENT"), key=lambda event: event.decoded("dtstart"))


def _plan(rotation):
    return plan_for(rotations_with_plans(Rotation.objects.filter(pk=rotation.pk)).get())


def test_the_feed_is_an_icalendar_file_with_its_headers(client, payments):
    response = _fetch(client, "payments-primary", payments["reader"].calendar_token)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    assert "private" in response["Cache-Control"]
    calendar = icalendar.Calendar.from_ical(response.content)
    assert calendar["VERSION"] == "2.0"
    assert "Incident Portal" in calendar["PRODID"]
    assert calendar["X-WR-CALNAME"] == "On call: Payments primary"
    assert calendar["METHOD"] == "PUBLISH"
    # How often calendar apps should fetch again, in the two spellings they read.
    assert "REFRESH-INTERVAL;VALUE=DURATION:PT1H" in response.content.decode()
    assert calendar["X-PUBLISHED-TTL"] == "PT1H"


def test_no_login_is_needed_to_fetch_it(client, payments):
    response = _fetch(client, "payments-primary", payments["ana"].calendar_token)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_events_are_the_schedule_of_the_next_eight_weeks(client, payments):
    events = _events(_fetch(client, "payments-primary", payments["reader"].calendar_token))
    first, last = events[0], events[-1]
    assert first.decoded("dtstart") <= WEDNESDAY < first.decoded("dtend")
    assert last.decoded("dtend") >= WEDNESDAY + EIGHT_WEEKS

    plan = _plan(payments["rotation"])
    segments = schedule(plan, first.decoded("dtstart"), last.decoded("dtend"))
    assert [(e.decoded("dtstart"), e.decoded("dtend"), str(e["SUMMARY"])) for e in events] == [
        (s.starts_at, s.ends_at, f"On call: {s.person.name} (Payments primary)") for s in segments
    ]
    # The first event is Ana's whole week, not the part of it left at fetch time.
    assert first.decoded("dtstart") == datetime(2026, 3, 16, 9, tzinfo=UTC)
    assert str(first["SUMMARY"]) == "On call: Ana Alvarez (Payments primary)"
    for before, after in itertools.pairwise(events):
        assert before.decoded("dtend") == after.decoded("dtstart")


def test_times_are_in_utc_and_handoffs_follow_london_summer_time(client, payments):
    response = _fetch(client, "payments-primary", payments["reader"].calendar_token)
    text = response.content.decode()
    assert "DTSTART:20260323T090000Z" in text  # Monday 09:00 GMT
    assert "DTSTART:20260330T080000Z" in text  # Monday 09:00 BST, the day after the change
    for line in text.splitlines():
        if line.startswith(("DTSTART", "DTEND")):
            assert line.endswith("Z") and ";TZID" not in line


def test_each_event_has_a_uid_that_stays_the_same_on_later_fetches(client, payments):
    token = payments["reader"].calendar_token
    early = _events(_fetch(client, "payments-primary", token))
    later = _events(
        _fetch(client, "payments-primary", token, at=WEDNESDAY + timedelta(days=1, hours=3))
    )
    early_by_uid = {str(e["UID"]): e for e in early}
    later_by_uid = {str(e["UID"]): e for e in later}
    assert len(early_by_uid) == len(early)  # unique within the feed
    shared = early_by_uid.keys() & later_by_uid.keys()
    assert len(shared) >= len(early) - 1  # at most the last one grew past the window
    for uid in shared:
        assert early_by_uid[uid].decoded("dtstart") == later_by_uid[uid].decoded("dtstart")
    # A week on, Ana's week has gone from the feed and Ben's is first, under the same UID.
    week_on = _events(_fetch(client, "payments-primary", token, at=WEDNESDAY + timedelta(days=7)))
    assert str(week_on[0]["UID"]) == str(early[1]["UID"])


def test_an_override_appears_as_its_own_event(client, payments):
    Override.objects.create(
        rotation=payments["rotation"],
        person=payments["reader"],
        replaces=payments["ben"],
        starts_at=datetime(2026, 3, 24, 8, tzinfo=UTC),
        ends_at=datetime(2026, 3, 25, 8, tzinfo=UTC),
        reason="Ben at a conference",
    )
    events = _events(_fetch(client, "payments-primary", payments["ben"].calendar_token))
    [cover] = [e for e in events if "Rita Reader" in str(e["SUMMARY"])]
    assert cover.decoded("dtstart") == datetime(2026, 3, 24, 8, tzinfo=UTC)
    assert cover.decoded("dtend") == datetime(2026, 3, 25, 8, tzinfo=UTC)
    assert "Covering for Ben Brook by override." in str(cover["DESCRIPTION"])
    assert "Ben at a conference" in str(cover["DESCRIPTION"])


def test_gaps_are_events_too_so_that_they_show(client, payments):
    office = make_rotation(
        "Office hours", people=[payments["ana"]], shift_unit="days", starts_on=date(2026, 3, 25)
    )
    RotationLayer.objects.filter(rotation=office).update(active_from=time(9), active_until=time(17))
    events = _events(_fetch(client, "office-hours", payments["reader"].calendar_token))
    gaps = [e for e in events if str(e["SUMMARY"]) == "No one on call (Office hours)"]
    shifts = [e for e in events if str(e["SUMMARY"]) == "On call: Ana Alvarez (Office hours)"]
    # Before the first shift on 25 March, then every night until the window's last day.
    assert gaps[0].decoded("dtend") == datetime(2026, 3, 25, 9, tzinfo=UTC)
    assert len(shifts) == 50  # 25 March to 13 May, eight weeks after the fetch
    assert len(gaps) == 50
    assert all(e.decoded("dtend") - e.decoded("dtstart") == timedelta(hours=8) for e in shifts)


def test_a_gap_with_no_known_start_keeps_its_uid_from_day_to_day(client, payments):
    make_rotation("Later rota", people=[payments["ana"]], starts_on=date(2026, 4, 20))
    token = payments["reader"].calendar_token
    today = _events(_fetch(client, "later-rota", token))
    tomorrow = _events(_fetch(client, "later-rota", token, at=WEDNESDAY + timedelta(days=1)))
    assert str(today[0]["SUMMARY"]) == "No one on call (Later rota)"
    assert today[0].decoded("dtend") == datetime(2026, 4, 20, 9, tzinfo=UTC)
    assert str(today[0]["UID"]) == str(tomorrow[0]["UID"])


def test_mine_keeps_only_the_token_owners_shifts(client, payments):
    response = _fetch(client, "payments-primary", payments["ben"].calendar_token, mine="1")
    events = _events(response)
    assert events and all(str(e["SUMMARY"]).startswith("On call: Ben Brook") for e in events)
    everything = _events(_fetch(client, "payments-primary", payments["ben"].calendar_token))
    assert len(everything) > len(events)
    calendar = icalendar.Calendar.from_ical(response.content)
    assert calendar["X-WR-CALNAME"] == "My on-call shifts: Payments primary"


def test_mine_for_someone_not_on_the_rotation_is_an_empty_calendar(client, payments):
    response = _fetch(client, "payments-primary", payments["reader"].calendar_token, mine="1")
    assert _events(response) == []


@pytest.mark.parametrize(
    "token",
    [
        "",
        "not-a-token-of-anyone-at-all-0123",
        "x" * 65,
        "short",
        "../../etc/passwd",
        "token with spaces and 🙂 in it",
        "%00%00",
    ],
)
def test_a_missing_or_unknown_token_is_a_bare_404(client, payments, token):
    response = _fetch(client, "payments-primary", token)
    assert response.status_code == 404
    assert response.content == b"Not found."


def test_a_token_in_the_wrong_case_is_refused(client, payments):
    token = payments["reader"].calendar_token
    assert _fetch(client, "payments-primary", token.swapcase()).status_code == 404


def test_an_unknown_rotation_looks_the_same_as_an_unknown_token(client, payments):
    good_token_bad_rotation = _fetch(client, "no-such-rota", payments["reader"].calendar_token)
    bad_token_good_rotation = _fetch(client, "payments-primary", "a" * 32)
    assert good_token_bad_rotation.status_code == bad_token_good_rotation.status_code == 404
    assert good_token_bad_rotation.content == bad_token_good_rotation.content


def test_a_post_is_refused(client, payments):
    token = payments["reader"].calendar_token
    response = client.post(f"/oncall/payments-primary.ics?token={token}")
    assert response.status_code == 405


def test_a_head_request_is_answered(client, payments):
    token = payments["reader"].calendar_token
    with time_machine.travel(WEDNESDAY, tick=False):
        response = client.head(f"/oncall/payments-primary.ics?token={token}")
    assert response.status_code == 200


def test_a_rotation_with_a_broken_time_zone_is_a_clear_error_not_a_crash(client, payments):
    Rotation.objects.filter(pk=payments["rotation"].pk).update(time_zone="Mars/Olympus")
    response = _fetch(client, "payments-primary", payments["reader"].calendar_token)
    assert response.status_code == 409
    assert b"a roster admin must fix them" in response.content


def test_the_feed_agrees_with_on_call_at_every_event(client, payments):
    Override.objects.create(
        rotation=payments["rotation"],
        person=payments["reader"],
        starts_at=datetime(2026, 4, 1, 20, tzinfo=UTC),
        ends_at=datetime(2026, 4, 3, 6, tzinfo=UTC),
    )
    plan = _plan(payments["rotation"])
    for event in _events(_fetch(client, "payments-primary", payments["reader"].calendar_token)):
        start, end = event.decoded("dtstart"), event.decoded("dtend")
        for moment in (start, start + (end - start) / 2, end - timedelta(seconds=1)):
            name = on_call(plan, moment).person.name
            assert str(event["SUMMARY"]) == f"On call: {name} (Payments primary)"


def _big_rotation(size: int) -> Rotation:
    team = make_team(f"Team of {size}")
    people = [make_person(f"Member {i}") for i in range(size)]
    rotation = Rotation.objects.create(name=f"Big {size}", slug=f"big-{size}", team=team)
    layer = RotationLayer.objects.create(
        rotation=rotation, starts_on=date(2026, 3, 1), handoff_time=time(9), shift_unit="hours"
    )
    LayerParticipant.objects.bulk_create(
        LayerParticipant(layer=layer, person=person, position=i) for i, person in enumerate(people)
    )
    Override.objects.bulk_create(
        Override(
            rotation=rotation,
            person=people[i],
            starts_at=WEDNESDAY + timedelta(hours=3 * i),
            ends_at=WEDNESDAY + timedelta(hours=3 * i + 2),
        )
        for i in range(size)
    )
    return rotation


@pytest.mark.parametrize("size", [10, 200])
def test_queries_do_not_grow_with_people_or_overrides(
    client, payments, size, django_assert_max_num_queries
):
    rotation = _big_rotation(size)
    # The same budget on SQLite and PostgreSQL: no query here differs between them.
    with django_assert_max_num_queries(5):
        events = _events(_fetch(client, rotation.slug, payments["reader"].calendar_token))
    assert len(events) > 1000  # hourly shifts for eight weeks, a few merged by overrides
