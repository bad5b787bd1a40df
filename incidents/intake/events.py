"""What every parser produces: alert events in one shape, or the list of what was wrong.

A parser never raises on bad input and never touches the database: it turns a decoded JSON
document into ``Parsed(events, errors)``. Exactly one of the two is non-empty.
"""

import math
from dataclasses import dataclass, field
from datetime import datetime

from portal.text import strip_bidi_controls

TRIGGER, ACKNOWLEDGE, RESOLVE = "trigger", "acknowledge", "resolve"
ACTIONS = (TRIGGER, ACKNOWLEDGE, RESOLVE)

# The sizes of the Alert columns these land in.
DEDUP_KEY_MAX = 255
SUMMARY_MAX = 1024
SOURCE_MAX = 255
SEVERITY_MAX = 20
# A longer summary is cut to SUMMARY_MAX with this at its end, and kept whole in the
# alert's details under SUMMARY_FULL: an alert is never refused for its length.
CUT_MARKER = "…[cut]"
SUMMARY_FULL = "summary_full"


@dataclass(frozen=True)
class AlertEvent:
    """One thing a source says about one alert: it fires, someone has it, or it is over."""

    action: str
    # None only for a trigger that came without a key: intake assigns one before storing.
    dedup_key: str | None
    summary: str = ""
    source: str = ""
    severity: str = ""
    details: dict = field(default_factory=dict)
    links: tuple = ()
    metric: float | None = None


@dataclass(frozen=True)
class Parsed:
    events: list[AlertEvent]
    errors: list[str]

    @property
    def ok(self) -> bool:
        return not self.errors


def invalid(*errors: str) -> Parsed:
    return Parsed([], list(errors))


class Fields:
    """Reads typed fields out of one JSON object, collecting an error for each bad one."""

    def __init__(self, document: dict, prefix: str, errors: list[str]):
        self.document = document
        self.prefix = prefix
        self.errors = errors

    def name(self, key: str) -> str:
        return f"'{self.prefix}{key}'"

    def text(
        self,
        key: str,
        *,
        required: bool = False,
        limit: int | None = None,
        truncate: int | None = None,
    ) -> str:
        """A string field; "" when absent or null. ``limit``: longer is an error;
        ``truncate``: longer is cut (senders do not expect a rejection for a long title)."""
        value = self.document.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                self.errors.append(f"{self.name(key)} is missing or blank")
            return ""
        if not isinstance(value, str):
            self.errors.append(f"{self.name(key)} must be a string")
            return ""
        if limit is not None and len(value) > limit:
            self.errors.append(f"{self.name(key)} is longer than {limit} characters")
            return ""
        return value[:truncate] if truncate else value

    def choice(self, key: str, choices, *, required: bool = False, default: str = "") -> str:
        value = self.text(key, required=required)
        if not value:
            return default
        if value not in choices:
            allowed = ", ".join(choices)
            self.errors.append(f"{self.name(key)} is invalid (must be one of: {allowed})")
            return default
        return value

    def mapping(self, key: str, *, strings: bool = False) -> dict:
        """An object field ({} when absent); ``strings``: every value must be a string."""
        value = self.document.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.errors.append(f"{self.name(key)} must be an object")
            return {}
        if strings:
            for inner, item in value.items():
                if not isinstance(item, str):
                    self.errors.append(f"'{self.prefix}{key}.{inner}' must be a string")
                    return {}
        return value

    def timestamp(self, key: str) -> str:
        value = self.text(key)
        if value and parse_timestamp(value) is None:
            self.errors.append(f"{self.name(key)} is not an ISO 8601 timestamp")
            return ""
        return value

    def number(self, key: str) -> float | None:
        """A finite number; no-code tools often send numbers as strings, so "12.5" counts."""
        value = self.document.get(key)
        if value is None or value == "":
            return None
        if isinstance(value, bool):
            self.errors.append(f"{self.name(key)} must be a number")
            return None
        if isinstance(value, str):
            try:
                value = float(value.strip())
            except ValueError:
                self.errors.append(f"{self.name(key)} must be a number")
                return None
        if not isinstance(value, int | float):
            self.errors.append(f"{self.name(key)} must be a number")
            return None
        try:
            number = float(value)
        except OverflowError:
            number = math.inf
        if not math.isfinite(number):
            self.errors.append(f"{self.name(key)} must be a finite number")
            return None
        return number


def parse_timestamp(value: str) -> datetime | None:
    """ISO 8601 / RFC 3339 as senders write it: "Z", "+0000", nanoseconds (Go)."""
    text = value.strip()
    if len(text) > 64:
        return None
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def capped_summary(text: str, details: dict) -> tuple[str, dict]:
    """The summary to store and the details to store with it: bidirectional control
    characters taken out, and a summary over :data:`SUMMARY_MAX` cut with a visible
    marker, the whole text going into the details."""
    text = strip_bidi_controls(text)
    if len(text) <= SUMMARY_MAX:
        return text, details
    cut = text[: SUMMARY_MAX - len(CUT_MARKER)] + CUT_MARKER
    return cut, {**details, SUMMARY_FULL: text}


def severity_word(value: str) -> str:
    return value.strip().lower()[:SEVERITY_MAX]


def clean_links(links) -> tuple:
    """Keep only well-formed ``{"href", "text"}`` links with an http(s) address."""
    kept = []
    for link in links:
        href = link.get("href", "")
        if isinstance(href, str) and href.startswith(("http://", "https://")):
            kept.append({"href": href[:2000], "text": str(link.get("text") or href)[:200]})
    return tuple(kept)
