"""PagerDuty Events API v2 (``/v2/enqueue``): one event per request.

https://developer.pagerduty.com/docs/events-api-v2/trigger-events/ — ``routing_key`` is read
by the view (it picks the integration) and never stored; everything else is checked here.
An acknowledge or resolve may still carry a full ``payload`` (Alertmanager sends one): it is
accepted and not required.
"""

from .events import (
    ACKNOWLEDGE,
    ACTIONS,
    DEDUP_KEY_MAX,
    RESOLVE,
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

SEVERITIES = ("critical", "error", "warning", "info")
MAX_LINKS = 50


def parse_pagerduty(document) -> Parsed:
    if not isinstance(document, dict):
        return invalid("The event must be a JSON object.")
    errors: list[str] = []
    top = Fields(document, "", errors)
    action = top.choice("event_action", ACTIONS, required=True)
    dedup_key = top.text("dedup_key", limit=DEDUP_KEY_MAX) or None
    if action in (ACKNOWLEDGE, RESOLVE) and dedup_key is None and not _bad("dedup_key", errors):
        errors.append(f"'dedup_key' is missing or blank (needed to {action} an alert)")
    client = top.text("client", truncate=200)
    client_url = top.text("client_url", truncate=2000)
    links = _links(document, errors) + _images(document, errors)
    if client_url:
        links.append({"href": client_url, "text": client or "Sender"})

    payload = document.get("payload")
    summary = source = severity = ""
    details: dict = {}
    if payload is None:
        if action == TRIGGER:
            errors.append("'payload' is missing (a trigger needs summary, source and severity)")
    elif not isinstance(payload, dict):
        errors.append("'payload' must be an object")
    else:
        body = Fields(payload, "payload.", errors)
        required = action == TRIGGER
        summary = body.text("summary", required=required)
        source = body.text("source", required=required, truncate=SOURCE_MAX)
        severity = body.choice("severity", SEVERITIES, required=required)
        details = {
            name: value
            for name in ("timestamp", "component", "group", "class")
            if (value := body.timestamp(name) if name == "timestamp" else body.text(name))
        }
        custom = payload.get("custom_details")
        if isinstance(custom, dict | str):
            if custom:
                details["custom_details"] = custom
        elif custom is not None:
            errors.append("'payload.custom_details' must be an object")
    if client:
        details["client"] = client
    if errors:
        return Parsed([], errors)
    summary, details = capped_summary(summary, details)
    event = AlertEvent(
        action=action,
        dedup_key=dedup_key,
        summary=summary,
        source=source,
        severity=severity_word(severity),
        details=details,
        links=clean_links(links),
    )
    return Parsed([event], [])


def _bad(name: str, errors: list[str]) -> bool:
    return any(error.startswith(f"'{name}'") for error in errors)


def _objects(document: dict, key: str, errors: list[str]) -> list[dict]:
    value = document.get(key)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        errors.append(f"'{key}' must be a list of objects")
        return []
    return value[:MAX_LINKS]


def _links(document: dict, errors: list[str]) -> list[dict]:
    links = []
    for index, link in enumerate(_objects(document, "links", errors)):
        fields = Fields(link, f"links[{index}].", errors)
        href = fields.text("href", required=True)
        text = fields.text("text")
        if href:
            links.append({"href": href, "text": text})
    return links


def _images(document: dict, errors: list[str]) -> list[dict]:
    images = []
    for index, image in enumerate(_objects(document, "images", errors)):
        fields = Fields(image, f"images[{index}].", errors)
        src = fields.text("src", required=True)
        href = fields.text("href")
        alt = fields.text("alt")
        if src:
            images.append({"href": href or src, "text": alt or "Image"})
    return images
