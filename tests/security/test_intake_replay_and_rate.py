"""Finding 14 (intake): a Grafana signature without a timestamp could be replayed for ever,
and the rate limit counted requests, so one request under it could carry 1,000 alerts.

With the integration's timestamp header set, the time Grafana sends is part of the signed
message (``"<unix time>:" + body``, as grafana/alerting's ``http/hmac.go`` signs) and a
request more than 5 minutes off is refused; the limit counts every alert a request carries."""

import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents.intake import ratelimit
from incidents.models import Alert, IntegrationEvent
from tests.incidents.test_intake_support import (
    am_alert,
    am_group,
    endpoint,
    make_integration,
    post,
    stored_rate_counts,  # noqa: F401  (fixture)
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stored_rate_counts", "no_wake")]
NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
SECRET = "s3cret"
STAMP = "X-Grafana-Alerting-Timestamp"
SIGNATURE = "X-Grafana-Alerting-Signature"


@pytest.fixture
def no_wake(monkeypatch):
    monkeypatch.setattr("incidents.intake.receive.enqueue_processing", lambda: None)


def grafana_signed(body: bytes, at: datetime) -> dict:
    """The headers Grafana sends with a timestamp header configured."""
    stamp = str(int(at.timestamp()))
    mac = hmac.new(SECRET.encode(), stamp.encode() + b":" + body, hashlib.sha256)
    return {STAMP: stamp, SIGNATURE: mac.hexdigest()}


@pytest.fixture
def stamped(db):
    return make_integration(
        "grafana", signature_secret=SECRET, signature_timestamp_header=STAMP
    )


def send(client, integration, body: bytes, headers: dict, at: datetime = NOW):
    with time_machine.travel(at, tick=False):
        return post(client, endpoint(integration), raw=body, **headers)


def test_a_request_signed_with_its_time_is_accepted(client, stamped):
    body = json.dumps(am_group()).encode()
    assert send(client, stamped, body, grafana_signed(body, NOW)).status_code == 202


def test_the_same_request_sent_again_six_minutes_later_is_refused(client, stamped):
    body = json.dumps(am_group()).encode()
    headers = grafana_signed(body, NOW)
    assert send(client, stamped, body, headers).status_code == 202
    replay = send(client, stamped, body, headers, at=NOW + timedelta(minutes=6))
    assert replay.status_code == 401
    assert "more than 5 minutes" in replay.json()["errors"][0]
    assert IntegrationEvent.objects.filter(outcome="accepted").count() == 1


def test_a_time_far_ahead_is_refused_and_a_little_skew_is_not(client, stamped):
    body = json.dumps(am_group()).encode()
    ahead = grafana_signed(body, NOW + timedelta(minutes=6))
    assert send(client, stamped, body, ahead).status_code == 401
    skewed = grafana_signed(body, NOW + timedelta(minutes=4))
    assert send(client, stamped, body, skewed).status_code == 202


@pytest.mark.parametrize("stamp", [None, "", "yesterday", "1e9", "-1", "9" * 40])
def test_a_missing_or_malformed_time_is_refused(client, stamped, stamp):
    body = json.dumps(am_group()).encode()
    headers = grafana_signed(body, NOW)
    if stamp is None:
        del headers[STAMP]
    else:
        headers[STAMP] = stamp
    response = send(client, stamped, body, headers)
    assert response.status_code == 401
    assert STAMP in response.json()["errors"][0]


def test_the_time_is_part_of_what_is_signed(client, stamped):
    """A signature of the body alone, or a time changed after signing, does not hold."""
    body = json.dumps(am_group()).encode()
    body_only = {STAMP: str(int(NOW.timestamp())),
                 SIGNATURE: hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()}
    assert send(client, stamped, body, body_only).status_code == 401
    moved = grafana_signed(body, NOW - timedelta(minutes=10))
    moved[STAMP] = str(int(NOW.timestamp()))
    assert send(client, stamped, body, moved).status_code == 401
    assert not Alert.objects.exists()


def test_without_a_timestamp_header_the_body_alone_is_signed_as_before(client, db):
    integration = make_integration("grafana", signature_secret=SECRET)
    body = json.dumps(am_group()).encode()
    signature = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    assert send(client, integration, body, {SIGNATURE: signature}).status_code == 202


def batch(size: int, start: int = 0) -> dict:
    return am_group(*(am_alert(fingerprint=f"{n:016x}", instance=f"db{n}")
                      for n in range(start, start + size)))


@pytest.fixture(params=["stored events", "shared counter"])
def counting(request, monkeypatch):
    """Both ways the limit is counted: the stored events' alerts, or a shared counter."""
    if request.param == "shared counter":
        counts: dict[str, int] = {}

        def shared_counter(items):
            for current, _, add in items:
                counts[current] = counts.get(current, 0) + add
            return [(counts[current], counts.get(previous, 0)) for current, previous, _ in items]

        monkeypatch.setattr(ratelimit, "_counter", lambda: shared_counter)
    return request.param


@pytest.mark.parametrize("kind", ["alertmanager", "grafana"])
def test_a_batch_counts_each_of_its_alerts(client, counting, kind):
    integration = make_integration(kind, rate_limit_per_minute=10)
    with time_machine.travel(NOW, tick=False):
        assert post(client, endpoint(integration), batch(11)).status_code == 429
        assert not IntegrationEvent.objects.filter(outcome="accepted").exists()
    integration = make_integration(kind, rate_limit_per_minute=10)
    with time_machine.travel(NOW, tick=False):
        assert post(client, endpoint(integration), batch(6)).status_code == 202
        assert post(client, endpoint(integration), batch(4, start=6)).status_code == 202
        response = post(client, endpoint(integration), batch(1, start=10))
    assert response.status_code == 429
    assert IntegrationEvent.objects.get(
        integration=integration, outcome="rejected"
    ).reason == "Rate limited: over 10 alerts a minute."


def test_a_thousand_alerts_no_longer_pass_a_limit_of_requests(client, counting):
    integration = make_integration("alertmanager", rate_limit_per_minute=600)
    with time_machine.travel(NOW, tick=False):
        assert post(client, endpoint(integration), batch(1000)).status_code == 429
        assert post(client, endpoint(integration), batch(600)).status_code == 202
    assert IntegrationEvent.objects.get(outcome="accepted").alert_count == 600
