"""The portal's own simple JSON for no-code tools (Zapier, Make, n8n, Power Automate).

    {"summary": "Sign-up Zap failing", "severity": "critical", "dedup_key": "signup-zap",
     "status": "trigger", "source": "zapier", "details": {...}, "link": "https://…",
     "metric": 42.5}

Only ``summary`` is required (and only to trigger). ``status`` is trigger (the default),
acknowledge or resolve; acknowledge and resolve need the ``dedup_key`` of the trigger. A
trigger without a ``dedup_key`` gets one, returned in the answer. ``metric`` (a number, or a
number in a string, as no-code tools often send) is compared with the integration's
degradation threshold. The README documents this schema.
"""

from .events import (
    ACKNOWLEDGE,
    ACTIONS,
    DEDUP_KEY_MAX,
    RESOLVE,
    SEVERITY_MAX,
    SOURCE_MAX,
    TRIGGER,
    AlertEvent,
    Fields,
    Parsed,
    capped_summary,
    clean_links,
    invalid,
    severity_word,
)


def parse_webhook(document) -> Parsed:
    if not isinstance(document, dict):
        return invalid("The alert must be a JSON object.")
    errors: list[str] = []
    fields = Fields(document, "", errors)
    action = fields.choice("status", ACTIONS, default=TRIGGER)
    summary = fields.text("summary", required=action == TRIGGER)
    dedup_key = fields.text("dedup_key", limit=DEDUP_KEY_MAX) or None
    key_refused = any(error.startswith("'dedup_key'") for error in errors)
    if action in (ACKNOWLEDGE, RESOLVE) and dedup_key is None and not key_refused:
        errors.append(f"'dedup_key' is missing or blank (needed to {action} an alert)")
    severity = fields.text("severity", limit=SEVERITY_MAX)
    source = fields.text("source", truncate=SOURCE_MAX)
    link = fields.text("link", truncate=2000)
    metric = fields.number("metric")
    details = document.get("details")
    if details is None:
        details = {}
    elif isinstance(details, str):
        details = {"details": details} if details else {}
    elif not isinstance(details, dict):
        errors.append("'details' must be an object")
    if errors:
        return Parsed([], errors)
    if metric is not None:
        details = {**details, "metric": metric}
    summary, details = capped_summary(summary, details)
    event = AlertEvent(
        action=action,
        dedup_key=dedup_key,
        summary=summary,
        source=source,
        severity=severity_word(severity),
        details=details,
        links=clean_links([{"href": link, "text": "Link"}] if link else []),
        metric=metric,
    )
    return Parsed([event], [])
