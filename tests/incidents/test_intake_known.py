"""Integrations remembered between requests: no lookup per event, yet every change made in
the admin (disabled, key rotated, signature secret) holds from the next event on.
The statements compared hold on SQLite and PostgreSQL alike (the intake's own SQL, logged
as written on both); the tests about PostgreSQL's connections say so and skip elsewhere."""

import hashlib
import hmac
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from incidents.intake import known
from incidents.models import IntegrationEvent
from tests.incidents.test_intake_support import (
    PD_URL,
    am_group,
    endpoint,
    make_integration,
    pd_trigger,
    post,
    stored_rate_counts,  # noqa: F401  (fixture)
)

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("stored_rate_counts", "no_wake")]


def statements_of(client, url, document) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert post(client, url, document).status_code == 202
    return [query["sql"] for query in queries.captured_queries]


def test_a_remembered_integration_is_not_read_again(client):
    integration = make_integration("webhook")
    first = statements_of(client, endpoint(integration), {"summary": "one"})
    again = statements_of(client, endpoint(integration), {"summary": "two"})
    assert any("FROM incidents_integration WHERE key" in sql for sql in first)
    assert not any("FROM incidents_integration WHERE key" in sql for sql in again)
    # What is left: the rate limit's count (stored events in this test) and the one write.
    assert len(again) == len(first) - 1
    assert IntegrationEvent.objects.filter(outcome="accepted").count() == 2


def test_a_disabled_integration_is_refused_from_the_next_event(client):
    integration = make_integration("pagerduty")
    assert post(client, PD_URL, pd_trigger(integration.key)).status_code == 202
    integration.enabled = False
    integration.save()
    refused = post(client, PD_URL, pd_trigger(integration.key))
    assert refused.status_code == 400
    assert refused.json()["errors"] == ["'routing_key' is not a valid integration key"]
    assert IntegrationEvent.objects.count() == 1


def test_a_rotated_key_is_refused_and_the_new_one_works_at_once(client):
    integration = make_integration("webhook")
    old_url = endpoint(integration)
    assert post(client, old_url, {"summary": "one"}).status_code == 202
    integration.key = "rotated-" + integration.key[:20]
    integration.save()
    assert post(client, old_url, {"summary": "two"}).status_code == 404
    assert post(client, endpoint(integration), {"summary": "three"}).status_code == 202
    assert IntegrationEvent.objects.count() == 2


def test_a_new_signature_secret_holds_from_the_next_event(client):
    integration = make_integration("grafana", signature_secret="old-secret")
    body = json.dumps(am_group()).encode()

    def send(secret):
        signature = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
        headers = {"X-Grafana-Alerting-Signature": signature}
        return post(client, endpoint(integration), raw=body, **headers).status_code

    assert send("old-secret") == 202
    integration.signature_secret = "new-secret"
    integration.save()
    assert send("new-secret") == 202  # not refused with the remembered secret
    assert send("old-secret") == 401
    outcomes = list(IntegrationEvent.objects.order_by("id").values_list("outcome", flat=True))
    assert outcomes == ["accepted", "accepted", "rejected"]


def test_a_parse_error_is_logged_only_while_the_integration_is_enabled(client):
    integration = make_integration("webhook")
    assert post(client, endpoint(integration), {"summary": "one"}).status_code == 202
    integration.enabled = False
    integration.save()
    assert post(client, endpoint(integration), {"summary": 5}).status_code == 404
    assert list(IntegrationEvent.objects.values_list("outcome", flat=True)) == ["accepted"]


def test_an_unknown_key_is_never_remembered(client):
    assert post(client, "/integrations/webhook/no-such-key/", {"summary": "x"}).status_code == 404
    assert not any(key == "no-such-key" for key, _ in known._remembered)


@pytest.mark.django_db(transaction=True)
def test_an_event_on_a_connection_the_database_dropped_is_stored_after_reconnecting(client):
    """The health check's SELECT 1 is spared; a dropped connection (a database restart) is
    then found by the write itself, which reconnects and writes once."""
    from django.db import connections

    if connection.vendor != "postgresql" or not connection.settings_dict["CONN_HEALTH_CHECKS"]:
        pytest.skip("persistent PostgreSQL connections with health checks")
    # No limit: nothing else (the rate limit's count) touches the database first.
    integration = make_integration("webhook", rate_limit_per_minute=0)
    assert post(client, endpoint(integration), {"summary": "one"}).status_code == 202
    backend = connection.connection.info.backend_pid
    # A kept connection, as at the start of the next request: due for its health check.
    connection.health_check_done = False
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [backend])
    finally:
        other.close()
    with CaptureQueriesContext(connection) as queries:
        assert post(client, endpoint(integration), {"summary": "two"}).status_code == 202
    assert connection.connection.info.backend_pid != backend
    assert not any(query["sql"] == "SELECT 1" for query in queries.captured_queries)
    assert IntegrationEvent.objects.filter(outcome="accepted").count() == 2


def test_each_connection_prepares_the_intake_insert_once(client):
    """PostgreSQL parses and plans the guarded insert once per connection, not per event."""
    if connection.vendor != "postgresql" or connection.settings_dict["OPTIONS"].get(
        "prepare_threshold"
    ) is None:
        pytest.skip("prepared statements on PostgreSQL")
    integration = make_integration("webhook")
    for summary in ("one", "two", "three"):
        assert post(client, endpoint(integration), {"summary": summary}).status_code == 202
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%INSERT INTO incidents_integrationevent%"],
        )
        assert cursor.fetchone()[0] == 1
    assert IntegrationEvent.objects.filter(outcome="accepted").count() == 3
