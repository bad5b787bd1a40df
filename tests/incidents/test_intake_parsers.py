"""The intake parsers: pure functions from a decoded JSON document to alert events or errors."""

import pytest

from incidents.intake.alertmanager import label_fingerprint, parse_alertmanager, parse_grafana
from incidents.intake.body import BodyRejected, check_storable, decode
from incidents.intake.pagerduty import parse_pagerduty
from incidents.intake.webhook import parse_webhook
from tests.incidents.test_intake_support import am_alert, am_group, captured_body, pd_trigger


# --- PagerDuty Events API v2 -----------------------------------------------------------------
def test_captured_alertmanager_pagerduty_trigger_becomes_one_trigger():
    parsed = parse_pagerduty(captured_body("/pd/", "firing"))
    assert parsed.ok
    (event,) = parsed.events
    assert event.action == "trigger"
    assert event.dedup_key == "17c4e445d234645c9e547ff6d32a864af0ebdadcd1902771c24c8d366637ff41"
    assert event.summary == "[FIRING:1] DiskFull (db1 critical)"
    assert event.source == "Alertmanager"
    assert event.severity == "error"
    assert event.details["custom_details"]["num_firing"] == "1"
    assert event.details["client"] == "Alertmanager"
    assert event.links == (
        {"href": "http://vm:19093/#/alerts?receiver=both", "text": "Alertmanager"},
    )


def test_captured_resolve_that_still_carries_a_full_payload_is_accepted():
    parsed = parse_pagerduty(captured_body("/pd/", "resolved"))
    assert parsed.ok
    assert parsed.events[0].action == "resolve"


def test_trigger_without_a_dedup_key_is_valid_and_left_for_intake_to_key():
    parsed = parse_pagerduty(pd_trigger("k", dedup_key=None))
    assert parsed.ok and parsed.events[0].dedup_key is None


def test_bare_acknowledge_and_resolve_need_only_the_dedup_key():
    for action in ("acknowledge", "resolve"):
        parsed = parse_pagerduty({"event_action": action, "dedup_key": "abc"})
        assert parsed.ok and parsed.events[0].action == action


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"event_action": None}, "'event_action' is missing or blank"),
        ({"event_action": "escalate"}, "'event_action' is invalid"),
        ({"event_action": 3}, "'event_action' must be a string"),
        ({"dedup_key": 17}, "'dedup_key' must be a string"),
        ({"dedup_key": "x" * 256}, "'dedup_key' is longer than 255 characters"),
        ({"payload": None}, "'payload' is missing"),
        ({"payload": "disk full"}, "'payload' must be an object"),
        (
            {"payload": {"source": "db1", "severity": "critical"}},
            "'payload.summary' is missing or blank",
        ),
        (
            {"payload": {"summary": "x", "severity": "critical"}},
            "'payload.source' is missing or blank",
        ),
        (
            {"payload": {"summary": "x", "source": "db1", "severity": "fatal"}},
            "'payload.severity' is invalid",
        ),
        (
            {"payload": {"summary": ["x"], "source": "db1", "severity": "info"}},
            "'payload.summary' must be a string",
        ),
        (
            {
                "payload": {
                    "summary": "x",
                    "source": "db1",
                    "severity": "info",
                    "timestamp": "yesterday",
                }
            },
            "'payload.timestamp' is not an ISO 8601",
        ),
        (
            {
                "payload": {
                    "summary": "x",
                    "source": "db1",
                    "severity": "info",
                    "custom_details": [1, 2],
                }
            },
            "'payload.custom_details' must be an object",
        ),
        ({"links": {"href": "https://x"}}, "'links' must be a list of objects"),
        ({"links": [{"text": "no href"}]}, "'links[0].href' is missing or blank"),
        ({"images": [{"alt": "no src"}]}, "'images[0].src' is missing or blank"),
    ],
)
def test_each_invalid_trigger_field_is_named_in_the_errors(change, error):
    document = pd_trigger("key")
    document.update(change)
    parsed = parse_pagerduty(document)
    assert not parsed.ok and not parsed.events
    assert any(message.startswith(error) for message in parsed.errors), parsed.errors


def test_acknowledge_without_a_dedup_key_is_refused():
    parsed = parse_pagerduty({"event_action": "acknowledge"})
    assert parsed.errors == ["'dedup_key' is missing or blank (needed to acknowledge an alert)"]


def test_a_document_that_is_not_an_object_is_refused():
    for document in ([], "trigger", 3, None):
        assert not parse_pagerduty(document).ok


def test_pagerduty_timestamps_as_senders_write_them_are_accepted():
    for stamp in (
        "2015-07-17T08:42:58.315+0000",
        "2026-11-26T21:28:21.894893245Z",
        "2026-05-04T09:00:00+02:00",
    ):
        assert parse_pagerduty(pd_trigger("k", timestamp=stamp)).ok, stamp


def test_links_and_images_become_links_and_unsafe_schemes_are_dropped():
    document = pd_trigger("k")
    document["links"] = [
        {"href": "https://runbook.example/disk", "text": "Runbook"},
        {"href": "javascript:alert(1)", "text": "x"},
    ]
    document["images"] = [{"src": "https://img.example/graph.png", "alt": "Graph"}]
    (event,) = parse_pagerduty(document).events
    assert event.links == (
        {"href": "https://runbook.example/disk", "text": "Runbook"},
        {"href": "https://img.example/graph.png", "text": "Graph"},
    )


def test_a_long_summary_is_cut_to_the_column_not_refused():
    (event,) = parse_pagerduty(pd_trigger("k", summary="s" * 5000)).events
    assert len(event.summary) == 1024


# --- Alertmanager ------------------------------------------------------------------------------
def test_captured_alertmanager_firing_notification():
    parsed = parse_alertmanager(captured_body("/hooks/alertmanager", "firing"))
    assert parsed.ok
    (event,) = parsed.events
    assert event.action == "trigger"
    assert event.dedup_key == "e94c744ae3d44df8"
    assert event.summary == "Disk full on db1"
    assert event.source == "db1"
    assert event.severity == "critical"
    assert event.details["endsAt"] == "0001-01-01T00:00:00Z"
    assert {"href": "http://prom.local/graph", "text": "Source"} in event.links


def test_captured_alertmanager_resolved_notification_resolves_the_same_fingerprint():
    (event,) = parse_alertmanager(captured_body("/hooks/alertmanager", "resolved")).events
    assert event.action == "resolve"
    assert event.dedup_key == "e94c744ae3d44df8"


def test_several_alerts_in_one_notification_each_become_an_event():
    group = am_group(
        am_alert(fingerprint="aaaa", instance="db1"),
        am_alert("resolved", fingerprint="bbbb", instance="db2"),
    )
    events = parse_alertmanager(group).events
    assert [(e.action, e.dedup_key) for e in events] == [("trigger", "aaaa"), ("resolve", "bbbb")]


def test_an_alert_without_a_fingerprint_is_keyed_by_its_labels():
    first, second = am_alert(), am_alert()
    del first["fingerprint"], second["fingerprint"]
    second["labels"] = dict(reversed(list(second["labels"].items())))
    key = parse_alertmanager(am_group(first)).events[0].dedup_key
    assert key == parse_alertmanager(am_group(second)).events[0].dedup_key
    assert key == label_fingerprint(first["labels"])


def test_summary_falls_back_to_alertname_and_instance():
    alert = am_alert()
    alert["annotations"] = {}
    assert parse_alertmanager(am_group(alert)).events[0].summary == "DiskFull on db1"


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"alerts": []}, "'alerts' must be a non-empty list"),
        ({"alerts": "firing"}, "'alerts' must be a non-empty list"),
        ({"alerts": [3]}, "'alerts[0]' must be an object"),
        ({"alerts": [{**am_alert(), "status": "pending"}]}, "'alerts[0].status' is invalid"),
        (
            {"alerts": [{**am_alert(), "labels": {"severity": 5}}]},
            "'alerts[0].labels.severity' must be a string",
        ),
        ({"alerts": [{**am_alert(), "labels": ["x"]}]}, "'alerts[0].labels' must be an object"),
        ({"alerts": [{**am_alert(), "startsAt": "soon"}]}, "'alerts[0].startsAt' is not an ISO"),
        (
            {"alerts": [{**am_alert(), "fingerprint": "f" * 300}]},
            "'alerts[0].fingerprint' is longer than 255",
        ),
        ({"alerts": [{"status": "firing", "labels": {}}]}, "'alerts[0].labels' is empty"),
        ({"commonLabels": {"a": None}}, "'commonLabels.a' must be a string"),
        ({"status": "on fire"}, "'status' is invalid"),
    ],
)
def test_each_invalid_alertmanager_field_is_named_in_the_errors(change, error):
    document = am_group()
    document.update(change)
    parsed = parse_alertmanager(document)
    assert not parsed.ok and not parsed.events
    assert any(message.startswith(error) for message in parsed.errors), parsed.errors


# --- Grafana -----------------------------------------------------------------------------------
def grafana_notification(status="firing"):
    alert = am_alert(status, fingerprint="57c6d9296de2ad39", grafana_folder="Onboarding")
    alert.update(
        silenceURL="https://grafana.example/alerting/silence/new",
        dashboardURL="https://grafana.example/d/abc",
        panelURL="https://grafana.example/d/abc?viewPanel=2",
        values={"B": 97.5, "C": 1},
        valueString="[ var='B' labels={instance=db1} value=97.5 ]",
    )
    document = am_group(alert)
    document.update(
        version="1", orgId=1, state="alerting", title="[FIRING:1] DiskFull", message="**Firing**"
    )
    return document


def test_grafana_notification_keeps_its_values_and_links():
    (event,) = parse_grafana(grafana_notification()).events
    assert event.dedup_key == "57c6d9296de2ad39"
    assert event.details["values"] == {"B": 97.5, "C": 1}
    assert {"href": "https://grafana.example/d/abc", "text": "Dashboard"} in event.links


def test_grafana_resolved_notification_resolves():
    (event,) = parse_grafana(grafana_notification("resolved")).events
    assert event.action == "resolve"


# --- generic webhook ---------------------------------------------------------------------------
def test_minimal_webhook_alert_is_a_trigger_without_a_key():
    (event,) = parse_webhook({"summary": "Sign-up Zap failing"}).events
    assert (event.action, event.dedup_key) == ("trigger", None)
    assert event.summary == "Sign-up Zap failing"


def test_full_webhook_alert():
    (event,) = parse_webhook(
        {
            "summary": "Sign-ups failing",
            "severity": "Critical",
            "dedup_key": "signup-zap",
            "status": "trigger",
            "source": "zapier",
            "details": {"zap": "Sign-up"},
            "link": "https://zapier.com/app/history",
            "metric": "42.5",
        }
    ).events
    assert event.severity == "critical"
    assert event.metric == 42.5
    assert event.details == {"zap": "Sign-up", "metric": 42.5}
    assert event.links == ({"href": "https://zapier.com/app/history", "text": "Link"},)


def test_webhook_resolve_needs_only_the_dedup_key():
    (event,) = parse_webhook({"status": "resolve", "dedup_key": "signup-zap"}).events
    assert event.action == "resolve"


@pytest.mark.parametrize(
    ("document", "error"),
    [
        ({}, "'summary' is missing or blank"),
        ({"summary": "  "}, "'summary' is missing or blank"),
        ({"summary": 5}, "'summary' must be a string"),
        ({"summary": "x", "status": "firing"}, "'status' is invalid"),
        ({"status": "resolve"}, "'dedup_key' is missing or blank"),
        ({"summary": "x", "metric": "high"}, "'metric' must be a number"),
        ({"summary": "x", "metric": True}, "'metric' must be a number"),
        ({"summary": "x", "metric": "inf"}, "'metric' must be a finite number"),
        ({"summary": "x", "details": [1]}, "'details' must be an object"),
        ({"summary": "x", "severity": "s" * 30}, "'severity' is longer than 20"),
        ({"summary": "x", "dedup_key": {"a": 1}}, "'dedup_key' must be a string"),
    ],
)
def test_each_invalid_webhook_field_is_named_in_the_errors(document, error):
    parsed = parse_webhook(document)
    assert not parsed.ok
    assert any(message.startswith(error) for message in parsed.errors), parsed.errors


# --- reading bodies ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "raw",
    [
        b"{not json",
        b'{"a": NaN}',
        b'{"a": Infinity}',
        b'{"a": 1e999}',
        b'{"a": "nul \\u0000 inside"}',
        b'{"a": "\\ud800 lone surrogate"}',
        b'{"\\u0000": 1}',
        b"\xff\xfe not utf-8",
        b"[" * 5000 + b"]" * 5000,
        b'{"a": ' + b"1" * 5000 + b"}",
    ],
)
def test_bodies_no_database_could_store_are_refused(raw):
    with pytest.raises(BodyRejected):
        decode(raw)


def test_deep_but_reasonable_nesting_is_stored():
    document = {"a": {"b": {"c": [1, 2, {"d": "é ✓ 🚨"}]}}}
    check_storable(document)
    assert decode(b'\xef\xbb\xbf{"summary": "with a byte order mark"}') == {
        "summary": "with a byte order mark"
    }
