"""Prometheus Alertmanager (webhook version 4) and Grafana-managed alerting webhooks.

Both send one notification per alert group: ``alerts`` is a list, each with ``status``
firing/resolved, ``labels``, ``annotations``, ``startsAt``/``endsAt`` and a ``fingerprint``
that identifies the alert across notifications. A firing alert carries
``endsAt: "0001-01-01T00:00:00Z"`` (Go's zero time). Grafana adds ``values``, dashboard and
panel links, and ``orgId``/``title``/``state``/``message`` at the top.
https://prometheus.io/docs/alerting/latest/configuration/#webhook_config
"""

import hashlib

from .events import (
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

MAX_ALERTS = 1000
STATUS_ACTION = {"firing": TRIGGER, "resolved": RESOLVE}
SUMMARY_ANNOTATIONS = ("summary", "title", "description", "message")
GRAFANA_LINKS = (
    ("dashboardURL", "Dashboard"),
    ("panelURL", "Panel"),
    ("silenceURL", "Silence"),
    ("imageURL", "Image"),
)


def parse_alertmanager(document) -> Parsed:
    return _parse_group(document, grafana=False)


def parse_grafana(document) -> Parsed:
    return _parse_group(document, grafana=True)


def label_fingerprint(labels: dict) -> str:
    """A stable key for an alert that came without a fingerprint: its sorted label set."""
    canonical = "\x1f".join(f"{name}\x1e{labels[name]}" for name in sorted(labels))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def _parse_group(document, *, grafana: bool) -> Parsed:
    if not isinstance(document, dict):
        return invalid("The notification must be a JSON object.")
    errors: list[str] = []
    top = Fields(document, "", errors)
    top.choice("status", tuple(STATUS_ACTION))
    top.text("version")
    group_key = top.text("groupKey", truncate=500)
    external_url = top.text("externalURL", truncate=2000)
    common_labels = top.mapping("commonLabels", strings=True)
    top.mapping("groupLabels", strings=True)
    top.mapping("commonAnnotations", strings=True)
    alerts = document.get("alerts")
    if not isinstance(alerts, list) or not alerts:
        errors.append("'alerts' must be a non-empty list")
        return Parsed([], errors)
    if len(alerts) > MAX_ALERTS:
        errors.append(f"'alerts' holds more than {MAX_ALERTS} alerts")
        return Parsed([], errors)
    events = []
    for index, alert in enumerate(alerts):
        if not isinstance(alert, dict):
            errors.append(f"'alerts[{index}]' must be an object")
            continue
        event = _alert_event(
            Fields(alert, f"alerts[{index}].", errors),
            grafana=grafana,
            group_key=group_key,
            external_url=external_url,
            common_labels=common_labels,
        )
        if event is not None:
            events.append(event)
    if errors:
        return Parsed([], errors)
    return Parsed(events, [])


def _alert_event(fields: Fields, *, grafana, group_key, external_url, common_labels):
    before = len(fields.errors)
    status = fields.choice("status", tuple(STATUS_ACTION), required=True)
    labels = fields.mapping("labels", strings=True)
    annotations = fields.mapping("annotations", strings=True)
    starts_at = fields.timestamp("startsAt")
    ends_at = fields.timestamp("endsAt")
    generator_url = fields.text("generatorURL", truncate=2000)
    fingerprint = fields.text("fingerprint", limit=DEDUP_KEY_MAX)
    details = {"labels": labels, "annotations": annotations}
    links = [{"href": generator_url, "text": "Source"}] if generator_url else []
    if grafana:
        for name, text in GRAFANA_LINKS:
            if url := fields.text(name, truncate=2000):
                links.append({"href": url, "text": text})
        values = fields.mapping("values")
        if values:
            details["values"] = values
        if value_string := fields.text("valueString", truncate=2000):
            details["valueString"] = value_string
    if len(fields.errors) > before:
        return None
    if not labels and not fingerprint:
        fields.errors.append(f"{fields.name('labels')} is empty and there is no fingerprint")
        return None
    details.update(
        {
            name: value
            for name, value in (
                ("startsAt", starts_at),
                ("endsAt", ends_at),
                ("groupKey", group_key),
            )
            if value
        }
    )
    if external_url and not grafana:
        links.append({"href": external_url, "text": "Alertmanager"})
    severity = labels.get("severity") or common_labels.get("severity", "")
    summary, details = capped_summary(_summary(labels, annotations), details)
    return AlertEvent(
        action=STATUS_ACTION[status],
        dedup_key=fingerprint or label_fingerprint(labels),
        summary=summary,
        source=_source(labels, external_url)[:SOURCE_MAX],
        severity=severity_word(severity),
        details=details,
        links=clean_links(links),
    )


def _summary(labels: dict, annotations: dict) -> str:
    for name in SUMMARY_ANNOTATIONS:
        if annotations.get(name, "").strip():
            return annotations[name].strip()
    name = labels.get("alertname") or "Alert"
    where = labels.get("instance") or labels.get("job") or labels.get("service")
    return f"{name} on {where}" if where else name


def _source(labels: dict, external_url: str) -> str:
    for name in ("instance", "job", "service", "grafana_folder"):
        if labels.get(name):
            return labels[name]
    return external_url
