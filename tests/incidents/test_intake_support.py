"""Builders shared by the alert intake tests (no tests here): integrations, captured
Alertmanager requests, and a poster that speaks to the endpoints like a sender."""

import copy
import json

import pytest

from incidents.intake import ratelimit
from incidents.models import Integration
from tests.incidents.factories import make_service

# Four requests captured from a real Prometheus Alertmanager 0.25.0 with a webhook receiver and
# a PagerDuty receiver (``url:`` pointed at a local server), one alert firing then resolving.
CAPTURED = [
    {
        "path": "/hooks/alertmanager",
        "user_agent": "Alertmanager/0.25.0",
        "body": {
            "receiver": "both",
            "status": "firing",
            "alerts": [
                {
                    "status": "firing",
                    "labels": {"alertname": "DiskFull", "instance": "db1", "severity": "critical"},
                    "annotations": {"summary": "Disk full on db1"},
                    "startsAt": "2026-11-26T21:28:21.894893245Z",
                    "endsAt": "0001-01-01T00:00:00Z",
                    "generatorURL": "http://prom.local/graph",
                    "fingerprint": "e94c744ae3d44df8",
                }
            ],
            "groupLabels": {"alertname": "DiskFull"},
            "commonLabels": {"alertname": "DiskFull", "instance": "db1", "severity": "critical"},
            "commonAnnotations": {"summary": "Disk full on db1"},
            "externalURL": "http://vm:19093",
            "version": "4",
            "groupKey": '{}:{alertname="DiskFull"}',
            "truncatedAlerts": 0,
        },
    },
    {
        "path": "/pd/v2/enqueue",
        "user_agent": "Alertmanager/0.25.0",
        "body": {
            "routing_key": "0123456789abcdef0123456789abcdef",
            "dedup_key": "17c4e445d234645c9e547ff6d32a864af0ebdadcd1902771c24c8d366637ff41",
            "event_action": "trigger",
            "payload": {
                "summary": "[FIRING:1] DiskFull (db1 critical)",
                "source": "Alertmanager",
                "severity": "error",
                "custom_details": {
                    "firing": "Labels:\n"
                    " - alertname = DiskFull\n"
                    " - instance = db1\n"
                    " - severity = critical\n"
                    "Annotations:\n"
                    " - summary = Disk full on db1\n"
                    "Source: http://prom.local/graph\n",
                    "num_firing": "1",
                    "num_resolved": "0",
                    "resolved": "",
                },
            },
            "client": "Alertmanager",
            "client_url": "http://vm:19093/#/alerts?receiver=both",
        },
    },
    {
        "path": "/hooks/alertmanager",
        "user_agent": "Alertmanager/0.25.0",
        "body": {
            "receiver": "both",
            "status": "resolved",
            "alerts": [
                {
                    "status": "resolved",
                    "labels": {"alertname": "DiskFull", "instance": "db1", "severity": "critical"},
                    "annotations": {"summary": "Disk full on db1"},
                    "startsAt": "2026-11-26T21:28:21.894893245Z",
                    "endsAt": "2026-11-26T21:28:25Z",
                    "generatorURL": "",
                    "fingerprint": "e94c744ae3d44df8",
                }
            ],
            "groupLabels": {"alertname": "DiskFull"},
            "commonLabels": {"alertname": "DiskFull", "instance": "db1", "severity": "critical"},
            "commonAnnotations": {"summary": "Disk full on db1"},
            "externalURL": "http://vm:19093",
            "version": "4",
            "groupKey": '{}:{alertname="DiskFull"}',
            "truncatedAlerts": 0,
        },
    },
    {
        "path": "/pd/v2/enqueue",
        "user_agent": "Alertmanager/0.25.0",
        "body": {
            "routing_key": "0123456789abcdef0123456789abcdef",
            "dedup_key": "17c4e445d234645c9e547ff6d32a864af0ebdadcd1902771c24c8d366637ff41",
            "event_action": "resolve",
            "payload": {
                "summary": "[RESOLVED] DiskFull (db1 critical)",
                "source": "Alertmanager",
                "severity": "error",
                "custom_details": {
                    "firing": "",
                    "num_firing": "0",
                    "num_resolved": "1",
                    "resolved": "Labels:\n"
                    " - alertname = DiskFull\n"
                    " - instance = db1\n"
                    " - severity = critical\n"
                    "Annotations:\n"
                    " - summary = Disk full on db1\n"
                    "Source: \n",
                },
            },
            "client": "Alertmanager",
            "client_url": "http://vm:19093/#/alerts?receiver=both",
        },
    },
]

PD_URL = "/integrations/pagerduty/v2/enqueue"
PATHS = {
    "alertmanager": "/integrations/alertmanager/{key}/",
    "grafana": "/integrations/grafana/{key}/",
    "webhook": "/integrations/webhook/{key}/",
}
MAPPING = {"critical": "sev1", "error": "sev2", "warning": "sev3", "info": "sev4"}


@pytest.fixture(autouse=False)
def stored_rate_counts(monkeypatch):
    """Count the rate limit on stored events only, whatever cache or Redis the run has."""
    monkeypatch.setattr(ratelimit, "_counter", lambda: None)


def make_integration(kind: str, service=None, **fields) -> Integration:
    fields.setdefault("name", f"{kind} alerts")
    fields.setdefault("severity_mapping", dict(MAPPING))
    return Integration.objects.create(service=service or make_service(tier=1), kind=kind, **fields)


def endpoint(integration: Integration) -> str:
    if integration.kind == "pagerduty":
        return PD_URL
    return PATHS[integration.kind].format(key=integration.key)


def post(client, url: str, document=None, *, raw: bytes | None = None, **headers):
    body = raw if raw is not None else json.dumps(document).encode()
    return client.post(url, data=body, content_type="application/json", headers=headers)


def captured_body(path_part: str, status: str) -> dict:
    """The captured body sent to ``path_part`` ("alertmanager" or "pd") in ``status``."""
    for request in CAPTURED:
        body = request["body"]
        state = body.get("status") or body.get("event_action")
        if path_part in request["path"] and state in (status, _pd_action(status)):
            return copy.deepcopy(body)
    raise LookupError(f"no captured {status} request to {path_part}")


def _pd_action(status: str) -> str:
    return {"firing": "trigger", "resolved": "resolve"}.get(status, status)


def pd_trigger(key: str, dedup_key: str | None = "disk-full-db1", **payload) -> dict:
    document = {
        "routing_key": key,
        "event_action": "trigger",
        "payload": {
            "summary": "Disk full on db1",
            "source": "db1",
            "severity": "critical",
            **payload,
        },
    }
    if dedup_key is not None:
        document["dedup_key"] = dedup_key
    return document


def am_alert(status: str = "firing", fingerprint: str = "e94c744ae3d44df8", **labels) -> dict:
    labels = {"alertname": "DiskFull", "instance": "db1", "severity": "critical", **labels}
    return {
        "status": status,
        "labels": labels,
        "annotations": {"summary": f"Disk full on {labels['instance']}"},
        "startsAt": "2026-11-26T21:28:21.894893245Z",
        "endsAt": "0001-01-01T00:00:00Z" if status == "firing" else "2026-11-26T21:30:00Z",
        "generatorURL": "http://prom.local/graph",
        "fingerprint": fingerprint,
    }


def am_group(*alerts, status: str | None = None) -> dict:
    alerts = list(alerts) or [am_alert()]
    return {
        "receiver": "portal",
        "status": status
        or ("firing" if any(a["status"] == "firing" for a in alerts) else "resolved"),
        "alerts": alerts,
        "groupLabels": {"alertname": "DiskFull"},
        "commonLabels": {"alertname": "DiskFull"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.local:9093",
        "version": "4",
        "groupKey": '{}:{alertname="DiskFull"}',
        "truncatedAlerts": 0,
    }
