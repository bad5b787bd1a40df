"""The demo integrations: one of each kind on a tier-1 service, with keys the README and
`make run` print, answering the command `make run` shows."""

import json
import re
from pathlib import Path

import pytest

from incidents.demo import seed
from incidents.intake import process_pending
from incidents.models import Alert, Integration

DEMO_KEYS = {
    "demo-pagerduty-key": "pagerduty",
    "demo-alertmanager-key": "alertmanager",
    "demo-grafana-key": "grafana",
    "demo-webhook-key": "webhook",
}
MAKEFILE = Path(__file__).resolve().parents[2] / "Makefile"


@pytest.fixture
def demo(db, monkeypatch):
    monkeypatch.setattr("incidents.intake.receive.enqueue_processing", lambda: None)
    seed()


def test_one_integration_of_each_kind_with_the_fixed_keys_on_a_tier_one_service(demo):
    integrations = Integration.objects.filter(key__in=DEMO_KEYS).select_related("service")
    assert {i.key: i.kind for i in integrations} == DEMO_KEYS
    assert {i.service.tier for i in integrations} == {1}
    assert not any(i.signature_secret for i in integrations)
    assert all(i.enabled for i in integrations)


def test_seeding_again_changes_nothing(demo):
    before = list(Integration.objects.order_by("pk").values())
    seed()
    assert list(Integration.objects.order_by("pk").values()) == before


def test_the_command_make_run_prints_raises_a_demo_alert(demo, client):
    line = next(line for line in MAKEFILE.read_text().splitlines() if "curl -X POST" in line)
    url = re.search(r"http://127\.0\.0\.1:\$\(PORT\)(/\S+)", line).group(1)
    body = re.search(r"-d '(.*)'", line).group(1).replace('\\"', '"')
    response = client.post(url, data=json.loads(body), content_type="application/json")
    assert response.status_code == 202
    process_pending(linger=False)
    alert = Alert.objects.get()
    assert alert.incident is not None and alert.incident.severity == "sev1"
    assert alert.service.slug == "onboarding-flow"
