"""A test alert in each integration's own format, for the "send test alert" button.

It goes through exactly what a real sender's event goes through (parsing, the event log,
processing), so it proves the integration end to end: it opens or joins an incident on the
integration's service like any alert.
"""

import uuid
from datetime import datetime

from ..models import Integration

Kind = Integration.Kind
GO_ZERO_TIME = "0001-01-01T00:00:00Z"  # what Alertmanager sends as endsAt of a firing alert


def test_alert(integration: Integration, *, by: str, now: datetime) -> dict:
    """A firing test alert for ``integration``, sent by the person named ``by``."""
    token = uuid.uuid4().hex
    summary = f"Test alert for {integration.service.name}, sent from the portal by {by}"
    if integration.kind == Kind.PAGERDUTY:
        return {
            "event_action": "trigger",
            "dedup_key": f"portal-test-{token}",
            "payload": {
                "summary": summary,
                "source": "incident-portal",
                "severity": "info",
                "timestamp": now.isoformat(),
                "custom_details": {"sent_by": by, "test": True},
            },
            "client": "Incident Portal",
        }
    if integration.kind in (Kind.ALERTMANAGER, Kind.GRAFANA):
        labels = {"alertname": "PortalTestAlert", "severity": "info", "test": token[:8]}
        alert = {
            "status": "firing",
            "labels": labels,
            "annotations": {"summary": summary},
            "startsAt": now.isoformat(),
            "endsAt": GO_ZERO_TIME,
            "generatorURL": "",
            "fingerprint": token[:16],
        }
        document = {
            "receiver": "incident-portal",
            "status": "firing",
            "alerts": [alert],
            "groupLabels": {"alertname": "PortalTestAlert"},
            "commonLabels": labels,
            "commonAnnotations": {"summary": summary},
            "externalURL": "",
            "version": "4",
            "groupKey": f'{{}}:{{alertname="PortalTestAlert",test="{token[:8]}"}}',
            "truncatedAlerts": 0,
        }
        if integration.kind == Kind.GRAFANA:
            document.update(version="1", orgId=1, state="alerting", title=f"[FIRING:1] {summary}")
        return document
    return {
        "summary": summary,
        "severity": "info",
        "dedup_key": f"portal-test-{token}",
        "status": "trigger",
        "source": "incident-portal",
        "details": {"sent_by": by, "test": True},
    }
