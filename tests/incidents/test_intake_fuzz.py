"""Thousands of malformed and random bodies to every intake endpoint: never a 500, and
either the event is accepted whole or nothing but a log row is stored."""

import copy
import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from incidents.intake import process_pending
from incidents.models import Alert, Incident, IntegrationEvent
from tests.incidents.test_intake_support import (
    am_alert,
    am_group,
    endpoint,
    make_integration,
    pd_trigger,
    stored_rate_counts,  # noqa: F401  (fixture)
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stored_rate_counts")]
EXAMPLES = 400  # per endpoint: 2,000 bodies in all
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
ANSWERS = {202, 400, 401, 404, 429}

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(
        [
            "trigger",
            "resolve",
            "acknowledge",
            "firing",
            "resolved",
            "critical",
            "0001-01-01T00:00:00Z",
            "",
            " ",
            "x" * 300,
        ]
    )
)
json_values = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)
# Byte strings a JSON parser may take but a database may not, or that are not JSON at all.
nasty = st.sampled_from(
    [
        b'"\\u0000"',
        b'"\\ud800"',
        b'"\\udfff\\ud800"',
        b"NaN",
        b"-Infinity",
        b"1e999",
        b"9" * 5000,
        b"[" * 3000,
        b"\xff",
        b"\xef\xbb\xbf",
        b"{",
        b"}",
        b'"',
        b",",
        b"null",
    ]
)


@st.composite
def raw_bodies(draw):
    parts = draw(st.lists(nasty | st.binary(max_size=20), min_size=1, max_size=6))
    return b"".join(parts)


def _paths(document, prefix=()):
    yield prefix
    if isinstance(document, dict):
        for key, value in document.items():
            yield from _paths(value, (*prefix, key))
    elif isinstance(document, list):
        for index, value in enumerate(document):
            yield from _paths(value, (*prefix, index))


@st.composite
def mutated(draw, base: dict):
    """A valid document with one to three fields replaced, removed or added."""
    document = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from([p for p in _paths(document) if p]))
        parent = document
        for step in path[:-1]:
            parent = parent[step]
        operation = draw(st.sampled_from(["replace", "remove", "add"]))
        if operation == "replace":
            parent[path[-1]] = draw(json_values)
        elif operation == "remove" and isinstance(parent, dict):
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.text(max_size=12))] = draw(json_values)
    return document


def bodies(base: dict):
    as_json = st.builds(lambda value: json.dumps(value).encode(), json_values | mutated(base))
    return st.one_of(as_json, as_json, as_json, raw_bodies())


class Ledger:
    """What the database holds that a sender could cause: it may only grow by an accepted
    event on a 202, and never by an alert or incident before processing."""

    def __init__(self):
        self.accepted = 0
        self.statuses: dict[int, int] = {}

    def check(self, response):
        assert response.status_code in ANSWERS, response.content[:300]
        self.statuses[response.status_code] = self.statuses.get(response.status_code, 0) + 1
        if response.status_code == 202:
            self.accepted += 1
        assert IntegrationEvent.objects.filter(outcome="accepted").count() == self.accepted
        assert not Alert.objects.exists() and not Incident.objects.exists()


def fuzz(client, integration, base: dict):
    ledger = Ledger()

    @FUZZ
    @given(body=bodies(base))
    def post_one(body):
        response = client.post(endpoint(integration), data=body, content_type="application/json")
        ledger.check(response)

    post_one()
    assert sum(ledger.statuses.values()) >= EXAMPLES  # thousands in all, not a handful
    # Whatever was accepted must process cleanly.
    process_pending(linger=False)
    assert not IntegrationEvent.objects.filter(outcome="accepted").exists()
    assert not IntegrationEvent.objects.filter(reason__startswith="Processing failed").exists()
    print(f"{integration.kind}: answers {sorted(ledger.statuses.items())}")
    return ledger


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    monkeypatch.setattr("incidents.intake.receive.enqueue_processing", lambda: None)


def test_pagerduty_endpoint_never_fails_on_any_body(client):
    integration = make_integration("pagerduty", rate_limit_per_minute=10**6)
    document = pd_trigger(integration.key, custom_details={"disk": "97%"})
    document["links"] = [{"href": "https://runbook.example/disk", "text": "Runbook"}]
    ledger = fuzz(client, integration, document)
    # The mutations leave some events valid and break others: both paths were exercised.
    assert ledger.statuses.get(202) and ledger.statuses.get(400)


def test_alertmanager_endpoint_never_fails_on_any_body(client):
    integration = make_integration("alertmanager", rate_limit_per_minute=10**6)
    ledger = fuzz(
        client, integration, am_group(am_alert(), am_alert("resolved", fingerprint="ffff"))
    )
    assert ledger.statuses.get(202) and ledger.statuses.get(400)


def test_grafana_endpoint_never_fails_on_any_body(client):
    integration = make_integration("grafana", rate_limit_per_minute=10**6)
    document = am_group(am_alert())
    document["alerts"][0].update(values={"B": 1.5}, dashboardURL="https://grafana.example/d/1")
    document.update(version="1", orgId=1, state="alerting")
    ledger = fuzz(client, integration, document)
    assert ledger.statuses.get(202) and ledger.statuses.get(400)


def test_webhook_endpoint_never_fails_on_any_body(client):
    integration = make_integration("webhook", rate_limit_per_minute=10**6)
    ledger = fuzz(
        client,
        integration,
        {
            "summary": "Zap failing",
            "severity": "critical",
            "dedup_key": "zap",
            "status": "trigger",
            "source": "zapier",
            "details": {"zap": "Sign-up"},
            "link": "https://zapier.com",
            "metric": 3.5,
        },
    )
    assert ledger.statuses.get(202) and ledger.statuses.get(400)


def test_signed_grafana_endpoint_never_fails_on_any_body(client):
    integration = make_integration(
        "grafana", rate_limit_per_minute=10**6, signature_secret="s3cret"
    )
    ledger = fuzz(client, integration, am_group(am_alert()))
    assert ledger.accepted == 0 and ledger.statuses[401]  # nothing unsigned gets in
