"""A rotation's next weeks as an iCalendar feed, for calendar apps to subscribe to.

Calendar apps (Google Calendar, Outlook, Apple Calendar) fetch the feed again every few
hours and match events by UID, so a shift must keep its UID from one fetch to the next even
though the feed's window slides forward: the window starts where the current stretch of
on-call started, not at the moment of the request, and UIDs are made of what the shift is
(rotation, start, person, override), never of when it was fetched.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import icalendar

from .schedule import RotationPlan, Segment, on_call, schedule

FEED_LENGTH = timedelta(weeks=8)
PRODID = "-//Incident Portal//On-call rotations//EN"
# How often we ask subscribers to fetch again (RFC 7986 and Outlook's older name for it).
REFRESH = timedelta(hours=1)


@dataclass(frozen=True)
class FeedWindow:
    """The stretch a feed covers; a bound that is not ``real`` is where the feed was cut."""

    start: datetime
    end: datetime
    start_is_real: bool
    end_is_real: bool


def feed_window(plan: RotationPlan, now: datetime) -> FeedWindow:
    """From the start of whoever's stretch is on now to the end of the one running
    ``FEED_LENGTH`` from now, so that the first and last events keep their true times.

    Where a bound is unknown (nothing scheduled, or farther than the schedule looks), the
    start falls back to midnight UTC today and the end to ``FEED_LENGTH`` from now.
    """
    now = now.astimezone(UTC)
    current = on_call(plan, now)
    last = on_call(plan, now + FEED_LENGTH)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return FeedWindow(
        start=current.starts_at or midnight,
        end=last.ends_at or now + FEED_LENGTH,
        start_is_real=current.starts_at is not None,
        end_is_real=last.ends_at is not None,
    )


def _person_key(person) -> str:
    return str(getattr(person, "pk", person))


def _stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def shift_uid(slug: str, segment: Segment, window: FeedWindow, domain: str) -> str:
    """A UID that names the shift itself, the same in every fetch of the feed."""
    who = "nobody" if segment.is_gap else f"person-{_person_key(segment.person)}"
    if segment.override is not None:
        who += f"-override-{segment.override.created_order}"
    if window.start_is_real or segment.starts_at != window.start:
        when = _stamp(segment.starts_at)
    elif window.end_is_real or segment.ends_at != window.end:
        # Its start is only where the feed began; its end is a real handoff.
        when = f"until-{_stamp(segment.ends_at)}"
    else:
        when = "ongoing"  # one answer for the whole feed, bounded by nothing known
    return f"oncall-{slug}-{when}-{who}@{domain}"


def _summary(segment: Segment, rotation_name: str) -> str:
    if segment.is_gap:
        return f"No one on call ({rotation_name})"
    return f"On call: {segment.person} ({rotation_name})"


def _description(segment: Segment, rotation_name: str, page_url: str) -> str:
    lines = []
    if segment.is_gap:
        lines.append(
            f"Nobody is scheduled on {rotation_name}: pages go to the escalation fallback."
        )
    override = segment.override
    if override is not None:
        covering = f" for {override.replaces}" if override.replaces is not None else ""
        lines.append(f"Covering{covering} by override.")
        if override.reason:
            lines.append(f"Reason: {override.reason}")
    lines.append(f"Who is on call now: {page_url}")
    return "\n".join(lines)


def rotation_feed(
    rotation,
    plan: RotationPlan,
    *,
    now: datetime,
    base_url: str,
    only_person=None,
) -> bytes:
    """The iCalendar text of ``rotation``'s shifts over the next ``FEED_LENGTH``.

    One event per segment of ``schedule()``; gaps are events too ("No one on call") so that
    they show. With ``only_person``, only that person's shifts are kept. Times are in UTC.
    """
    now = now.astimezone(UTC)
    window = feed_window(plan, now)
    segments = schedule(plan, window.start, window.end)
    if only_person is not None:
        mine = _person_key(only_person)
        segments_kept = [s for s in segments if not s.is_gap and _person_key(s.person) == mine]
    else:
        segments_kept = segments

    domain = urlsplit(base_url).hostname or "localhost"
    page_url = f"{base_url}{rotation.get_absolute_url()}"
    title = f"On call: {rotation.name}"
    if only_person is not None:
        title = f"My on-call shifts: {rotation.name}"

    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("name", title)
    calendar.add("x-wr-calname", title)
    calendar.add("x-wr-caldesc", f"Who is on call for {rotation.name} ({rotation.team.name}).")
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", icalendar.vDuration(REFRESH))  # else written as 1:00:00

    for segment in segments_kept:
        event = icalendar.Event()
        event.add("uid", shift_uid(rotation.slug, segment, window, domain))
        event.add("dtstamp", now)
        event.add("dtstart", segment.starts_at.astimezone(UTC))
        event.add("dtend", segment.ends_at.astimezone(UTC))
        event.add("summary", _summary(segment, rotation.name))
        event.add("description", _description(segment, rotation.name, page_url))
        event.add("url", page_url)
        # On call is not a meeting: it should not mark the person busy all week.
        event.add("transp", "TRANSPARENT")
        if segment.is_gap:
            event.add("categories", ["Gap"])
        calendar.add_component(event)
    return calendar.to_ical()
