"""Figures as a reader takes them in: durations in the largest units that matter, shares in
whole percent."""

NONE = "—"


def duration_label(seconds: float | None) -> str:
    """45 s · 4 min 30 s · 3 h 05 min · 2 d 4 h; an em dash when there is nothing to show."""
    if seconds is None:
        return NONE
    seconds = max(round(seconds), 0)
    if seconds < 60:
        return f"{seconds} s"
    minutes, rest = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {rest:02d} s" if rest else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes:02d} min"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h"


def age_label(seconds: float) -> str:
    """How long something has been going on, to the minute past the first one: 45 s,
    12 min, 3 h 05 min, 2 d 4 h."""
    seconds = max(seconds, 0)
    return duration_label(seconds if seconds < 60 else seconds // 60 * 60)


def share_label(share: float | None) -> str:
    """0.4166 → 42 %; an em dash when there is no denominator."""
    return NONE if share is None else f"{round(share * 100)} %"


def minutes(seconds: float | None) -> float | None:
    """Seconds as minutes with one decimal, for exports and charts."""
    return None if seconds is None else round(seconds / 60, 1)


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def percent(share: float | None) -> float | None:
    return None if share is None else round(share * 100, 1)
