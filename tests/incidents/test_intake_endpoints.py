"""The intake endpoints as a sender sees them: answers, what is stored, and what is refused."""

import hashlib
import hmac
import json
import math
import os

import pytest
from django.test import Client
from django.utils import timezone

from incidents.intake import ratelimit
from incidents.intake.body import MAX_BODY_BYTES
from incidents.models import Alert, Incident, IntegrationEvent
from tests.conftest import need
from tests.incidents.test_intake_support import (
    PATHS,
    PD_URL,
    am_group,
    captured_body,
    endpoint,
    make_integration,
    pd_trigger,
    post,
    stored_rate_counts,  # noqa: F401  (fixture)
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stored_rate_counts")]


def nothing_stored():
    return not IntegrationEvent.objects.exclude(outcome="rejected").exists() and not (
        Alert.objects.exists() or Incident.objects.exists()
    )


# --- PagerDuty -----------------------------------------------------------------------------
def test_pagerduty_trigger_is_answered_like_pagerduty_and_stored_before_the_answer(
    client, no_wake, django_capture_on_commit_callbacks
):
    integration = make_integration("pagerduty")
    with django_capture_on_commit_callbacks(execute=True):
        response = post(client, PD_URL, pd_trigger(integration.key))
    assert response.status_code == 202
    assert response.json() == {
        "status": "success",
        "message": "Event processed",
        "dedup_key": "disk-full-db1",
    }
    event = IntegrationEvent.objects.get()
    assert (event.integration, event.outcome) == (integration, "accepted")
    assert event.payload["dedup_key"] == "disk-full-db1"
    assert "routing_key" not in event.payload  # the key is a secret: never in the event log
    assert no_wake == [1]
    assert not Alert.objects.exists()  # processing is the worker's job


def test_a_trigger_without_dedup_key_gets_one_and_it_is_the_one_stored(client, no_wake):
    integration = make_integration("pagerduty")
    response = post(client, PD_URL, pd_trigger(integration.key, dedup_key=None))
    key = response.json()["dedup_key"]
    assert response.status_code == 202 and len(key) == 32
    assert IntegrationEvent.objects.get().payload["dedup_key"] == key


def test_captured_alertmanager_pagerduty_events_are_accepted(client, no_wake):
    integration = make_integration("pagerduty")
    for status in ("firing", "resolved"):
        document = captured_body("/pd/", status)
        document["routing_key"] = integration.key
        response = post(client, PD_URL, document)
        assert response.status_code == 202, response.content
        assert response.json()["dedup_key"] == document["dedup_key"]


@pytest.mark.parametrize("key", ["0123456789abcdef0123456789abcdef", "", None, 42])
def test_unknown_or_missing_routing_key_is_a_pagerduty_shaped_400(client, key):
    make_integration("pagerduty")
    response = post(client, PD_URL, pd_trigger(key))
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "invalid event" and body["message"] == "Event object is invalid"
    assert body["errors"] and "routing_key" in body["errors"][0]
    assert not IntegrationEvent.objects.exists()


def test_disabled_and_other_kind_keys_get_the_same_answer_as_unknown_ones(client):
    disabled = make_integration("pagerduty", enabled=False)
    webhook = make_integration("webhook")
    answers = {
        post(client, PD_URL, pd_trigger(key)).content
        for key in (disabled.key, webhook.key, "f" * 32)
    }
    assert len(answers) == 1
    assert not IntegrationEvent.objects.exists()


@pytest.mark.parametrize(
    ("raw", "error"),
    [
        (b"{not json", "not valid JSON"),
        (b"", "empty"),
        (b"[1, 2]", "routing_key"),
        (
            b'{"routing_key": "K", "event_action": "trigger", "payload": {"summary": NaN}}',
            "not valid JSON",
        ),
    ],
)
def test_malformed_pagerduty_bodies_are_400_with_errors_and_store_nothing(client, raw, error):
    integration = make_integration("pagerduty")
    response = post(client, PD_URL, raw=raw.replace(b'"K"', json.dumps(integration.key).encode()))
    assert response.status_code == 400
    assert error in " ".join(response.json()["errors"])
    assert nothing_stored()


@pytest.mark.parametrize(
    "change",
    [
        {"event_action": "escalate"},
        {"event_action": "trigger", "payload": {"summary": "x"}},
        {"payload": {"summary": 5, "source": "db1", "severity": "critical"}},
        {"dedup_key": ["a"]},
        {"event_action": "resolve", "dedup_key": None},
    ],
)
def test_invalid_events_are_400_logged_as_rejected_and_open_nothing(client, change):
    integration = make_integration("pagerduty")
    document = pd_trigger(integration.key)
    document.update(change)
    response = post(client, PD_URL, document)
    assert response.status_code == 400
    assert response.json()["errors"]
    rejected = IntegrationEvent.objects.get()
    assert rejected.outcome == "rejected" and rejected.reason
    assert "routing_key" not in (rejected.payload or {})
    assert nothing_stored()


def test_oversize_body_is_refused_before_it_is_read(client):
    integration = make_integration("pagerduty")
    document = pd_trigger(integration.key, custom_details={"blob": "x" * MAX_BODY_BYTES})
    response = post(client, PD_URL, document)
    assert response.status_code == 400
    assert "larger than 512 KB" in response.json()["errors"][0]
    assert nothing_stored()


def test_only_post_is_allowed(client):
    assert client.get(PD_URL).status_code == 405


def test_endpoints_need_no_login_and_no_csrf_token(no_wake):
    integration = make_integration("pagerduty")
    strict = Client(enforce_csrf_checks=True)
    assert post(strict, PD_URL, pd_trigger(integration.key)).status_code == 202


def test_no_answer_of_an_endpoint_may_be_cached(client, no_wake):
    integration = make_integration("webhook", rate_limit_per_minute=1)
    answers = [
        post(client, endpoint(integration), {"summary": "one"}),  # 202
        post(client, endpoint(integration), {"summary": "two"}),  # 429
        post(client, PD_URL, {"routing_key": "nobody"}),  # 400
        post(client, "/integrations/webhook/nobody/", {"summary": "x"}),  # 404
        client.get(endpoint(integration)),  # 405
    ]
    assert [answer.status_code for answer in answers] == [202, 429, 400, 404, 405]
    assert all(answer["Cache-Control"] == "no-store" for answer in answers)


# --- rate limit ------------------------------------------------------------------------------
def test_over_the_rate_limit_pagerduty_answers_429_and_stores_no_event(client, no_wake):
    integration = make_integration("pagerduty", rate_limit_per_minute=3)
    answers = [post(client, PD_URL, pd_trigger(integration.key)).status_code for _ in range(5)]
    assert answers == [202, 202, 202, 429, 429]
    assert IntegrationEvent.objects.filter(outcome="accepted").count() == 3
    # One log row says it happened; the refused events themselves are not stored.
    logged = IntegrationEvent.objects.filter(outcome="rejected", reason__startswith="Rate")
    assert logged.count() == 1


def test_rate_limited_answer_carries_retry_after(client, no_wake):
    integration = make_integration("webhook", rate_limit_per_minute=1)
    post(client, endpoint(integration), {"summary": "one"})
    response = post(client, endpoint(integration), {"summary": "two"})
    assert response.status_code == 429
    assert response["Retry-After"].isdigit()
    assert response.json()["status"] == "throttle event"


def test_the_limit_is_per_integration(client, no_wake):
    busy = make_integration("webhook", rate_limit_per_minute=1)
    quiet = make_integration("webhook", service=busy.service)
    post(client, endpoint(busy), {"summary": "one"})
    assert post(client, endpoint(busy), {"summary": "two"}).status_code == 429
    assert post(client, endpoint(quiet), {"summary": "three"}).status_code == 202


def test_the_window_slides_a_minute(client, no_wake):
    import time_machine

    integration = make_integration("webhook", rate_limit_per_minute=2)
    with time_machine.travel("2026-05-04 09:00:00Z", tick=False) as traveller:
        for _ in range(2):
            assert post(client, endpoint(integration), {"summary": "x"}).status_code == 202
        assert post(client, endpoint(integration), {"summary": "x"}).status_code == 429
        traveller.shift(61)
        assert post(client, endpoint(integration), {"summary": "x"}).status_code == 202


def test_a_shared_counter_counts_across_processes(client, no_wake, monkeypatch):
    """With a shared counter (Redis, a shared cache), the count is not per process: the
    weighted sliding window over two minutes refuses the request over the limit."""
    counts: dict[str, int] = {}

    def shared_counter(items):
        for current, _, add in items:
            counts[current] = counts.get(current, 0) + add
        return [(counts[current], counts.get(previous, 0)) for current, previous, _ in items]

    monkeypatch.setattr(ratelimit, "_counter", lambda: shared_counter)
    integration = make_integration("webhook", rate_limit_per_minute=2)
    answers = [post(client, endpoint(integration), {"summary": "x"}).status_code for _ in range(3)]
    assert answers == [202, 202, 429]


REDIS_COUNTER = ratelimit._counter  # before the module's fixture counts stored events instead


@pytest.fixture
def redis_trips(monkeypatch, settings):
    """Count in the real Redis, even where the cache is Redis too; the list of round trips
    to it (a pipeline is one)."""
    import redis

    need(bool(os.environ.get("REDIS_URL")), "REDIS_URL is not set: no Redis to count in")
    settings.REDIS_URL = os.environ["REDIS_URL"]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": settings.REDIS_URL,
            "KEY_PREFIX": "test-intake",
        }
    }
    monkeypatch.setattr(ratelimit, "_counter", REDIS_COUNTER)
    monkeypatch.setattr(ratelimit, "_redis_client", None)
    monkeypatch.setattr(ratelimit, "_settled_at", -math.inf)
    trips = []
    pipelined, single = redis.client.Pipeline.execute, redis.Redis.execute_command

    def pipeline_trip(pipeline, *args, **kwargs):
        trips.append("pipeline")
        return pipelined(pipeline, *args, **kwargs)

    def single_trip(client, *args, **kwargs):
        trips.append(args[0])
        return single(client, *args, **kwargs)

    monkeypatch.setattr(redis.client.Pipeline, "execute", pipeline_trip)
    monkeypatch.setattr(redis.Redis, "execute_command", single_trip)
    return trips


@pytest.fixture
def process_clock(monkeypatch):
    """The rate limit's monotonic clock, held still: ``process_clock[0]`` is the moment."""
    moment = [1000.0]
    monkeypatch.setattr(ratelimit, "_monotonic", lambda: moment[0])
    return moment


def _settled(integrations, now) -> list[int]:
    minute = int(now.timestamp() // 60)
    names = [f"{ratelimit._counter_name(i)}:{minute}" for i in integrations]
    return [int(ratelimit._redis().get(name)) for name in names]


def test_near_its_limit_redis_counts_every_event_in_one_round_trip(redis_trips):
    """Near the limit each event is counted in Redis as it comes, in one pipelined round
    trip (Django's cache API needs four: add, exists, incr, get)."""
    integration = make_integration("webhook", rate_limit_per_minute=2)
    now = timezone.now()
    assert [ratelimit.allow(integration, now) for _ in range(3)] == [True, True, False]
    assert redis_trips == ["pipeline"] * 3


def test_far_below_its_limit_a_process_settles_its_tally_with_redis_in_batches(
    redis_trips, process_clock
):
    moment = process_clock
    integration = make_integration("webhook", rate_limit_per_minute=100)
    now = timezone.now().replace(second=10)
    name = f"{ratelimit._counter_name(integration)}:{int(now.timestamp() // 60)}"
    assert all(ratelimit.allow(integration, now) for _ in range(30))
    assert redis_trips == ["pipeline"]  # the first event; 29 tallied here
    assert int(ratelimit._redis().get(name)) == 1
    moment[0] += ratelimit.SETTLE_SECONDS
    assert ratelimit.allow(integration, now)
    assert int(ratelimit._redis().get(name)) == 31  # settled: the tally and this event
    # Tallied up to half the limit, then every event goes to Redis: exactly 100 pass.
    redis_trips.clear()
    answers = [ratelimit.allow(integration, now) for _ in range(100)]
    assert answers == [True] * (100 - 31) + [False] * 31
    assert redis_trips == ["pipeline"] * (100 - 19)  # 19 tallied: 31 + 19 is half of 100
    assert int(ratelimit._redis().get(name)) == 131


def test_a_process_settles_the_tallies_of_all_its_integrations_in_one_round_trip(
    redis_trips, process_clock
):
    moment = process_clock
    busy = [make_integration("webhook", rate_limit_per_minute=1000) for _ in range(5)]
    now = timezone.now().replace(second=10)
    for integration in busy:
        for _ in range(10):
            assert ratelimit.allow(integration, now)
    assert redis_trips == ["pipeline"] * 5  # each one's first event: nothing known yet
    redis_trips.clear()
    moment[0] += ratelimit.SETTLE_SECONDS
    assert ratelimit.allow(busy[0], now)
    assert redis_trips == ["pipeline"]
    assert _settled(busy, now) == [11, 10, 10, 10, 10]


def test_an_integration_with_nothing_pending_at_a_settling_waits_for_the_next_one(
    redis_trips, process_clock
):
    """One settling clock for the process: an integration whose events fell between two
    settlings does not cost a round trip of its own (with a clock per integration, busy
    integrations drifted apart and each started settlings of its own)."""
    first, second, now = _two_counted_once()
    process_clock[0] += ratelimit.SETTLE_SECONDS
    assert ratelimit.allow(first, now)  # settles; the second has nothing pending
    redis_trips.clear()
    process_clock[0] += ratelimit.SETTLE_SECONDS / 2
    assert ratelimit.allow(second, now) and ratelimit.allow(first, now)
    assert redis_trips == []
    process_clock[0] += ratelimit.SETTLE_SECONDS
    assert ratelimit.allow(second, now)
    assert redis_trips == ["pipeline"]
    assert _settled([first, second], now) == [3, 3]


def test_a_settled_count_older_than_its_freshness_is_read_again(redis_trips, process_clock):
    quiet, busy, now = _two_counted_once()
    process_clock[0] += ratelimit.FRESH_SECONDS
    assert ratelimit.allow(busy, now)  # the process settles: the quiet one had nothing
    redis_trips.clear()
    assert ratelimit.allow(quiet, now)
    assert redis_trips == ["pipeline"]


def _two_counted_once():
    """Two integrations far below their limit, one event of each counted."""
    pair = [make_integration("webhook", rate_limit_per_minute=1000) for _ in range(2)]
    now = timezone.now().replace(second=10)
    assert all(ratelimit.allow(integration, now) for integration in pair)
    return (*pair, now)


# --- Alertmanager ----------------------------------------------------------------------------
def test_captured_alertmanager_notifications_are_accepted(client, no_wake):
    integration = make_integration("alertmanager")
    for status in ("firing", "resolved"):
        response = post(client, endpoint(integration), captured_body("/hooks/", status))
        assert response.status_code == 202
        assert response.json()["dedup_keys"] == ["e94c744ae3d44df8"]
    assert IntegrationEvent.objects.filter(outcome="accepted").count() == 2


@pytest.mark.parametrize("path", PATHS.values())
def test_a_path_key_with_a_nul_character_is_404_not_500(client, path):
    integration = make_integration("webhook")
    key = integration.key[:10] + "%00" + integration.key[10:]
    response = client.post(path.format(key=key), data="{}", content_type="application/json")
    assert response.status_code == 404
    assert not IntegrationEvent.objects.exists()


@pytest.mark.parametrize("kind", ["alertmanager", "grafana", "webhook"])
def test_unknown_disabled_or_other_kind_path_keys_are_404_and_alike(client, kind):
    disabled = make_integration(kind, enabled=False)
    other = make_integration("pagerduty")
    url = endpoint(disabled)
    answers = {
        (response.status_code, response.content)
        for response in (
            post(client, url, am_group()),
            post(client, url.replace(disabled.key, other.key), am_group()),
            post(client, url.replace(disabled.key, "no-such-key"), am_group()),
        )
    }
    assert len(answers) == 1
    assert next(iter(answers))[0] == 404
    assert not IntegrationEvent.objects.exists()


def test_invalid_alertmanager_notification_is_400_logged_and_opens_nothing(client):
    integration = make_integration("alertmanager")
    response = post(client, endpoint(integration), {"alerts": [{"status": "firing"}]})
    assert response.status_code == 400
    assert response.json()["errors"]
    assert IntegrationEvent.objects.get().outcome == "rejected"
    assert nothing_stored()


def test_malformed_json_on_a_path_keyed_endpoint_is_logged_without_payload(client):
    integration = make_integration("webhook")
    response = post(client, endpoint(integration), raw=b'{"summary": ')
    assert response.status_code == 400
    event = IntegrationEvent.objects.get()
    assert event.outcome == "rejected" and event.payload is None
    assert "not valid JSON" in event.reason


# --- Grafana signature -----------------------------------------------------------------------
def signed(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def test_grafana_without_a_secret_accepts_unsigned_notifications(client, no_wake):
    integration = make_integration("grafana")
    assert post(client, endpoint(integration), am_group()).status_code == 202


def test_grafana_signature_is_checked_in_the_default_header(client, no_wake):
    integration = make_integration("grafana", signature_secret="s3cret")
    body = json.dumps(am_group()).encode()
    ok = post(
        client,
        endpoint(integration),
        raw=body,
        **{"X-Grafana-Alerting-Signature": signed("s3cret", body)},
    )
    assert ok.status_code == 202


@pytest.mark.parametrize("signature", [None, "", "00" * 32, "not hex at all ✓"])
def test_grafana_missing_or_wrong_signature_is_refused(client, signature):
    integration = make_integration("grafana", signature_secret="s3cret")
    headers = {} if signature is None else {"X-Grafana-Alerting-Signature": signature}
    response = post(client, endpoint(integration), am_group(), **headers)
    assert response.status_code == 401
    assert "signature" in response.json()["errors"][0]
    assert IntegrationEvent.objects.get().outcome == "rejected"
    assert nothing_stored()


def test_grafana_signature_header_is_configurable(client, no_wake):
    integration = make_integration(
        "grafana", signature_secret="s3cret", signature_header="X-Portal-Signature"
    )
    body = json.dumps(am_group()).encode()
    default_header = post(
        client,
        endpoint(integration),
        raw=body,
        **{"X-Grafana-Alerting-Signature": signed("s3cret", body)},
    )
    assert default_header.status_code == 401
    configured = post(
        client, endpoint(integration), raw=body, **{"X-Portal-Signature": signed("s3cret", body)}
    )
    assert configured.status_code == 202


def test_a_signature_over_another_body_is_refused(client):
    integration = make_integration("grafana", signature_secret="s3cret")
    body = json.dumps(am_group()).encode()
    other = json.dumps(am_group(status="resolved")).encode()
    response = post(
        client,
        endpoint(integration),
        raw=body,
        **{"X-Grafana-Alerting-Signature": signed("s3cret", other)},
    )
    assert response.status_code == 401


# --- generic webhook -------------------------------------------------------------------------
def test_webhook_minimal_alert_is_accepted_with_a_generated_key(client, no_wake):
    integration = make_integration("webhook")
    response = post(client, endpoint(integration), {"summary": "Sign-up Zap failing"})
    assert response.status_code == 202
    key = response.json()["dedup_key"]
    assert IntegrationEvent.objects.get().payload == {
        "summary": "Sign-up Zap failing",
        "dedup_key": key,
    }


def test_webhook_invalid_alert_lists_every_error(client):
    integration = make_integration("webhook")
    response = post(client, endpoint(integration), {"summary": 3, "metric": "lots"})
    assert response.status_code == 400
    assert response.json()["errors"] == ["'summary' must be a string", "'metric' must be a number"]
    assert nothing_stored()
