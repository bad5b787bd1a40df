"""A real Prometheus Alertmanager (the Debian package) notifying the live portal: once through
a webhook receiver, once through a PagerDuty receiver pointed at the portal's Events API.
For each, an alert fired and resolved through Alertmanager's own API opens and resolves
exactly one incident."""

import json
import os
import socket
import subprocess
import time
import urllib.error
import urllib.request
from datetime import UTC, datetime

import pytest

from incidents.intake import process_pending
from incidents.models import Alert, Incident, IntegrationEvent
from tests.conftest import need
from tests.incidents.test_intake_support import make_integration

ALERTMANAGER = "/usr/bin/prometheus-alertmanager"
pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class RunningAlertmanager:
    def __init__(self, process: subprocess.Popen, url: str, log_path):
        self.process, self.url, self.log_path = process, url, log_path

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-3000:]
        except OSError:
            return ""

    def post_alert(self, labels: dict, *, resolved: bool = False) -> None:
        now = datetime.now(UTC).isoformat().replace("+00:00", "Z")
        alert = {
            "labels": labels,
            "annotations": {"summary": f"{labels['alertname']} on {labels['instance']}"},
            "startsAt": now,
            "generatorURL": "http://prometheus.local/graph",
        }
        if resolved:
            alert["endsAt"] = now
        request = urllib.request.Request(
            f"{self.url}/api/v2/alerts",
            data=json.dumps([alert]).encode(),
            method="POST",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200


@pytest.fixture
def alertmanager_for(tmp_path, live_server, monkeypatch):
    """``alertmanager_for(receiver)`` → an Alertmanager on 127.0.0.1, clustering off, whose
    only route sends to ``receiver`` (a webhook_configs or pagerduty_configs entry)."""
    need(os.path.exists(ALERTMANAGER), f"no Prometheus Alertmanager at {ALERTMANAGER}")
    monkeypatch.setattr("incidents.intake.receive.enqueue_processing", lambda: None)
    started = []

    def start(receiver: dict) -> RunningAlertmanager:
        port = _free_port()
        config = {
            "global": {"resolve_timeout": "5m"},
            "route": {
                "receiver": "portal",
                "group_by": ["alertname"],
                "group_wait": "1s",
                "group_interval": "1s",
                "repeat_interval": "1h",
            },
            "receivers": [{"name": "portal", **receiver}],
        }
        folder = tmp_path / f"alertmanager-{port}"
        (folder / "data").mkdir(parents=True)
        config_file = folder / "alertmanager.yml"
        config_file.write_text(json.dumps(config))  # YAML is a superset of JSON
        log_path = folder / "alertmanager.log"
        with open(log_path, "wb") as log:
            process = subprocess.Popen(
                [
                    ALERTMANAGER,
                    f"--config.file={config_file}",
                    f"--storage.path={folder / 'data'}",
                    f"--web.listen-address=127.0.0.1:{port}",
                    "--cluster.listen-address=",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        running = RunningAlertmanager(process, f"http://127.0.0.1:{port}", log_path)
        started.append(running)
        _wait(lambda: _ready(running), 30, "Alertmanager ready", running)
        return running

    yield start
    for running in started:
        running.process.terminate()
        try:
            running.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            running.process.kill()
            running.process.wait()


def _ready(running: RunningAlertmanager) -> bool:
    if running.process.poll() is not None:
        pytest.fail(f"Alertmanager exited:\n{running.log()}")
    try:
        with urllib.request.urlopen(f"{running.url}/-/ready", timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _wait(check, timeout: float, what: str, running: RunningAlertmanager):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    pytest.fail(f"{what} did not happen within {timeout:g} s\n{running.log()}")


def _portal(live_server) -> str:
    return live_server.url.replace("localhost", "127.0.0.1")


def _fire_and_resolve(running: RunningAlertmanager, integration) -> None:
    labels = {"alertname": "SignupZapFailing", "instance": "zap-7", "severity": "critical"}
    running.post_alert(labels)

    def opened():
        process_pending(linger=False)
        return Incident.objects.filter(status="triage").exists()

    _wait(opened, 30, "the firing alert opening an incident", running)
    incident = Incident.objects.get()
    assert incident.services.get() == integration.service
    assert Alert.objects.get().incident == incident

    running.post_alert(labels, resolved=True)

    def resolved():
        process_pending(linger=False)
        incident.refresh_from_db()
        return incident.status == "resolved"

    _wait(resolved, 30, "the resolved alert resolving the incident", running)
    assert Incident.objects.count() == 1
    assert not IntegrationEvent.objects.filter(outcome="rejected").exists()


def test_webhook_receiver_fires_and_resolves_one_incident(alertmanager_for, live_server):
    integration = make_integration("alertmanager", name="Prometheus")
    url = f"{_portal(live_server)}/integrations/alertmanager/{integration.key}/"
    running = alertmanager_for({"webhook_configs": [{"url": url, "send_resolved": True}]})
    _fire_and_resolve(running, integration)
    assert Alert.objects.get().status == "resolved"


def test_pagerduty_receiver_fires_and_resolves_one_incident(alertmanager_for, live_server):
    integration = make_integration("pagerduty", name="Prometheus via PagerDuty format")
    url = f"{_portal(live_server)}/integrations/pagerduty/v2/enqueue"
    running = alertmanager_for(
        {
            "pagerduty_configs": [
                {"routing_key": integration.key, "url": url, "send_resolved": True},
            ]
        }
    )
    _fire_and_resolve(running, integration)
    alert = Alert.objects.get()
    assert alert.status == "resolved"
    assert len(alert.dedup_key) == 64  # Alertmanager's hashed group key
