"""Processing accepted events: grouping into alerts and PagerDuty's semantics on incidents."""

import threading
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from incidents.intake import event_receive, intake_backstop, process_batch, process_pending
from incidents.models import Alert, Incident, IntegrationEvent, TimelineEvent, Timer
from incidents.services import incident_declare, incident_set_status
from tests.incidents.test_intake_support import am_alert, am_group, make_integration

T0 = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_broker(monkeypatch):
    woken = []
    monkeypatch.setattr("incidents.intake.receive.enqueue_processing", lambda: woken.append(1))
    monkeypatch.setattr("incidents.intake.processing.enqueue_processing", lambda: woken.append(1))
    return woken


def send(integration, document, at=T0):
    receipt = event_receive(integration=integration, document=document, now=at)
    assert receipt.accepted, receipt.errors
    return receipt


def run():
    return process_pending(linger=False)


def pd(action, key="db1-disk", summary="Disk full on db1", severity="critical", **extra):
    document = {"event_action": action, "dedup_key": key, **extra}
    if action == "trigger":
        document["payload"] = {"summary": summary, "source": "db1", "severity": severity}
    return document


@pytest.fixture
def pagerduty(db):
    return make_integration("pagerduty", name="Disk monitor")


def test_a_first_trigger_opens_an_alert_group_and_declares_an_incident(pagerduty):
    send(pagerduty, pd("trigger"))
    assert run() == 1
    alert = Alert.objects.get()
    assert (alert.dedup_key, alert.status, alert.event_count) == ("db1-disk", "triggered", 1)
    incident = alert.incident
    assert incident.is_open and incident.severity == "sev1"  # critical → sev1 by the mapping
    assert incident.services.get() == pagerduty.service
    assert Timer.objects.filter(incident=incident, state="pending").exists()  # paging planned
    assert IntegrationEvent.objects.get().outcome == "processed"
    pagerduty.refresh_from_db()
    assert pagerduty.last_event_at == T0


def test_repeated_triggers_of_one_key_are_one_group_counting_its_events(pagerduty):
    send(pagerduty, pd("trigger"))
    run()
    for minute in (1, 2, 3):
        send(pagerduty, pd("trigger"), at=T0 + timedelta(minutes=minute))
    run()
    alert = Alert.objects.get()
    assert alert.event_count == 4
    assert alert.last_seen_at == T0 + timedelta(minutes=3)
    assert Incident.objects.count() == 1
    assert not alert.incident.timeline.filter(kind="declared").count() > 1


def test_duplicates_inside_one_batch_group_too(pagerduty):
    for second in range(5):
        send(pagerduty, pd("trigger"), at=T0 + timedelta(seconds=second))
    assert run() == 5
    assert Alert.objects.get().event_count == 5
    assert Incident.objects.count() == 1


def test_a_second_key_joins_the_open_incident_without_paging_again(pagerduty):
    send(pagerduty, pd("trigger"))
    run()
    incident = Incident.objects.get()
    timers = Timer.objects.count()
    send(pagerduty, pd("trigger", key="db2-disk", summary="Disk full on db2"))
    run()
    assert Alert.objects.filter(incident=incident).count() == 2
    assert Incident.objects.count() == 1
    assert Timer.objects.count() == timers  # no new escalation
    assert incident.timeline.filter(kind="alert", text__contains="db2").exists()


def test_acknowledge_acknowledges_the_incident_and_stops_paging(pagerduty):
    send(pagerduty, pd("trigger"))
    send(pagerduty, pd("acknowledge"), at=T0 + timedelta(minutes=2))
    run()
    alert = Alert.objects.get()
    assert alert.status == "acknowledged"
    incident = alert.incident
    assert incident.acknowledged_at == T0 + timedelta(minutes=2)
    assert not Timer.objects.filter(incident=incident, state="pending", kind__contains="step")


def test_acknowledge_waits_for_every_alert_of_the_incident(pagerduty):
    send(pagerduty, pd("trigger"))
    send(pagerduty, pd("trigger", key="db2-disk"))
    send(pagerduty, pd("acknowledge"))
    run()
    assert Incident.objects.get().acknowledged_at is None
    send(pagerduty, pd("acknowledge", key="db2-disk"))
    run()
    assert Incident.objects.get().acknowledged_at is not None


def test_resolve_of_the_last_alert_resolves_the_incident_alerts_declared(pagerduty):
    send(pagerduty, pd("trigger"))
    send(pagerduty, pd("trigger", key="db2-disk"))
    send(pagerduty, pd("resolve"), at=T0 + timedelta(minutes=5))
    run()
    incident = Incident.objects.get()
    assert incident.is_open
    assert incident.timeline.filter(text__contains="1 alert of this incident still open").exists()
    send(pagerduty, pd("resolve", key="db2-disk"), at=T0 + timedelta(minutes=9))
    run()
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert incident.resolved_at == T0 + timedelta(minutes=9)
    change = incident.timeline.get(kind="status_change")
    assert change.actor_name == "Disk monitor" and change.actor is None
    assert not Alert.objects.exclude(status="resolved").exists()


def test_a_trigger_after_resolve_opens_a_new_group_and_a_new_incident(pagerduty):
    send(pagerduty, pd("trigger"))
    send(pagerduty, pd("resolve"), at=T0 + timedelta(minutes=5))
    send(pagerduty, pd("trigger"), at=T0 + timedelta(minutes=6))
    run()
    first, second = Alert.objects.order_by("first_seen_at")
    assert (first.status, second.status) == ("resolved", "triggered")
    assert first.incident != second.incident
    assert first.incident.status == "resolved" and second.incident.is_open


def test_a_trigger_after_a_person_resolved_the_incident_opens_a_new_one(pagerduty, cast):
    send(pagerduty, pd("trigger"))
    run()
    incident = Incident.objects.get()
    incident_set_status(incident=incident, status="resolved", by=cast["commander"])
    send(pagerduty, pd("trigger"), at=T0 + timedelta(minutes=10))
    run()
    old, new = Alert.objects.order_by("first_seen_at")
    assert old.status == "resolved" and old.incident == incident
    assert new.incident != incident and new.incident.is_open
    assert Incident.objects.count() == 2


def test_alerts_resolving_leave_a_persons_incident_open(pagerduty, cast):
    with time_machine.travel(T0 - timedelta(minutes=1), tick=False):
        incident = incident_declare(
            title="Onboarding broken",
            severity="sev2",
            declared_by=cast["commander"],
            services=[pagerduty.service],
        )
    send(pagerduty, pd("trigger"))
    send(pagerduty, pd("resolve"), at=T0 + timedelta(minutes=3))
    run()
    incident.refresh_from_db()
    assert Alert.objects.get().incident == incident
    assert incident.is_open
    assert incident.timeline.filter(text__contains="stays open").exists()


def test_acknowledge_or_resolve_of_an_unknown_key_changes_nothing(pagerduty):
    send(pagerduty, pd("acknowledge", key="never-seen"))
    send(pagerduty, pd("resolve", key="never-seen"))
    assert run() == 2
    assert not Alert.objects.exists() and not Incident.objects.exists()
    assert set(IntegrationEvent.objects.values_list("outcome", flat=True)) == {"processed"}


def test_processing_twice_changes_nothing_the_second_time(pagerduty):
    send(pagerduty, pd("trigger"))
    assert run() == 1
    snapshot = list(Alert.objects.values()), list(TimelineEvent.objects.values("pk"))
    assert run() == 0
    assert process_batch() == 0
    assert (list(Alert.objects.values()), list(TimelineEvent.objects.values("pk"))) == snapshot


def test_an_event_already_claimed_is_not_applied_again(pagerduty):
    receipt = send(pagerduty, pd("trigger"))
    IntegrationEvent.objects.filter(pk=receipt.event_id).update(outcome="processed")
    assert run() == 0
    assert not Alert.objects.exists()


def test_alertmanager_group_goes_to_one_incident_and_resolves_with_it(db):
    integration = make_integration("alertmanager")
    firing = am_group(
        am_alert(fingerprint="aaaa", instance="db1"),
        am_alert(fingerprint="bbbb", instance="db2"),
        am_alert(fingerprint="cccc", instance="db3"),
    )
    send(integration, firing)
    run()
    alerts = Alert.objects.all()
    assert alerts.count() == 3
    assert len({alert.incident_id for alert in alerts}) == 1
    resolved = am_group(*(dict(alert, status="resolved") for alert in firing["alerts"]))
    send(integration, resolved, at=T0 + timedelta(minutes=4))
    run()
    assert Incident.objects.get().status == "resolved"


def test_the_same_fingerprint_in_two_notifications_is_one_group(db):
    integration = make_integration("alertmanager")
    send(integration, am_group(am_alert(fingerprint="aaaa")))
    send(integration, am_group(am_alert(fingerprint="aaaa")), at=T0 + timedelta(minutes=5))
    run()
    assert Alert.objects.get().event_count == 2


def test_webhook_metric_over_the_degradation_threshold_declares_and_raises(db):
    integration = make_integration(
        "webhook", auto_declare="never", degradation_threshold=5.0, default_severity="sev3"
    )
    send(integration, {"summary": "Zap error rate", "dedup_key": "zap", "metric": 2})
    run()
    assert not Incident.objects.exists()
    send(
        integration,
        {"summary": "Zap error rate", "dedup_key": "zap", "metric": 9.5, "severity": "critical"},
        at=T0 + timedelta(minutes=1),
    )
    run()
    incident = Incident.objects.get()
    assert "metric 9.5 above the threshold 5" in incident.summary
    assert Alert.objects.get().incident == incident


def test_a_failing_group_is_recorded_and_does_not_block_the_others(pagerduty, monkeypatch):
    import incidents.intake.processing as processing

    real = processing.alert_trigger

    def flaky(alert, **kwargs):
        if alert.dedup_key == "bad":
            raise ValueError("boom")
        return real(alert, **kwargs)

    monkeypatch.setattr(processing, "alert_trigger", flaky)
    bad = send(pagerduty, pd("trigger", key="bad"))
    send(pagerduty, pd("trigger", key="good"))
    run()
    assert Alert.objects.get().dedup_key == "good"  # the bad group's writes rolled back
    failed = IntegrationEvent.objects.get(pk=bad.event_id)
    assert failed.outcome == "processed"
    assert failed.reason == "Processing failed: ValueError: boom"


def test_backstop_asks_again_for_events_left_over_a_few_seconds(pagerduty, no_broker):
    send(pagerduty, pd("trigger"))
    no_broker.clear()
    intake_backstop(T0 + timedelta(seconds=1))
    assert no_broker == [] and not Alert.objects.exists()
    intake_backstop(T0 + timedelta(seconds=3))
    assert no_broker == [1] and not Alert.objects.exists()


def test_backstop_processes_itself_when_no_worker_took_the_events(pagerduty, no_broker):
    send(pagerduty, pd("trigger"))
    intake_backstop(T0 + timedelta(minutes=1))
    assert Alert.objects.get().incident is not None


def test_the_task_processes_what_was_accepted(pagerduty):
    from incidents.tasks import intake_process

    send(pagerduty, pd("trigger"))
    intake_process.apply()
    assert Alert.objects.exists()


def test_a_rejected_event_is_never_processed(db):
    integration = make_integration("webhook")
    receipt = event_receive(integration=integration, document={"summary": 5}, now=T0)
    assert not receipt.accepted
    assert run() == 0
    assert IntegrationEvent.objects.get().outcome == "rejected"


def test_repeats_counted_in_a_batch_survive_a_later_event_of_the_same_key(pagerduty):
    send(pagerduty, pd("trigger"))
    run()
    for action in ("trigger", "trigger", "acknowledge", "trigger"):
        send(pagerduty, pd(action), at=T0 + timedelta(minutes=1))
    run()
    alert = Alert.objects.get()
    assert alert.status == "acknowledged"
    assert alert.event_count == 4  # the triggers: one, then two repeats, then one more
    assert alert.last_seen_at == T0 + timedelta(minutes=1)


def test_wake_ups_are_spaced_out_per_process(monkeypatch, no_broker):
    from incidents.intake import receive

    monkeypatch.setattr(receive, "_last_wake", 0.0)
    no_broker.clear()
    for _ in range(50):
        receive.wake()
    assert no_broker == [1]


def test_processing_runs_on_the_slow_queue():
    from portal.celery import app

    route = app.amqp.router.route({}, "incidents.tasks.intake_process")
    assert route["queue"].name == "slow"


@contextmanager
def lock_held_elsewhere(statement: str, key: int):
    """Inside, another connection (another processor) holds an advisory lock."""
    from django.db import connection, connections, transaction

    if connection.vendor != "postgresql":
        pytest.skip("the processing locks are PostgreSQL's advisory locks; SQLite serialises")
    held, release = threading.Event(), threading.Event()

    def other_processor():
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(statement, [key])
                held.set()
                release.wait(10)
        finally:
            connections.close_all()  # a session lock goes with its connection

    thread = threading.Thread(target=other_processor)
    thread.start()
    try:
        assert held.wait(10)
        yield
    finally:
        release.set()
        thread.join()


@pytest.mark.django_db(transaction=True)
def test_one_processor_at_a_time_on_postgresql(pagerduty):
    """A second processor finds the lock held and leaves the events to the first."""
    from incidents.intake.processing import LOCK_KEY

    send(pagerduty, pd("trigger"))
    with lock_held_elsewhere("SELECT pg_advisory_xact_lock(%s)", LOCK_KEY):
        assert process_batch() is None
        assert process_pending(linger=False) == 0
        assert IntegrationEvent.objects.get().outcome == "accepted"
    assert process_pending(linger=False) == 1


@pytest.mark.django_db(transaction=True)
def test_a_wake_up_while_a_processor_lingers_leaves_at_once(pagerduty, monkeypatch):
    """Between its batches a lingering processor holds no batch lock, but it still runs:
    another wake-up must not linger beside it, holding a worker process deliveries need."""
    from incidents.intake import processing

    sleeps = []
    with lock_held_elsewhere("SELECT pg_advisory_lock(%s)", processing.RUN_LOCK_KEY):
        monkeypatch.setattr(processing.time, "sleep", sleeps.append)
        send(pagerduty, pd("trigger"))
        assert process_pending() == 0  # lingering allowed, and still no wait at all
        assert sleeps == []
        assert IntegrationEvent.objects.get().outcome == "accepted"
    monkeypatch.undo()
    assert process_pending(linger=False) == 1


def test_the_system_path_of_set_status_has_no_user_and_never_closes(pagerduty, cast):
    from incidents.services import NotAllowed

    send(pagerduty, pd("trigger"))
    run()
    incident = Incident.objects.get()
    with pytest.raises(ValueError):
        incident_set_status(incident=incident, status="resolved", by=cast["commander"], system=True)
    incident_set_status(incident=incident, status="resolved", by=None, system=True, name="Bot")
    with pytest.raises(NotAllowed):
        incident_set_status(incident=incident, status="closed", by=None, system=True)
    incident.refresh_from_db()
    assert incident.status == "resolved"
    assert incident.timeline.get(kind="status_change").actor_name == "Bot"


def test_a_batch_that_breaks_as_a_whole_is_applied_event_by_event(pagerduty, monkeypatch):
    import incidents.intake.processing as processing

    real_load = processing._load

    def breaks_on_more_than_one(items):
        if len(items) > 1:
            raise RuntimeError("a bug that only shows in a batch")
        if items and items[0].event.dedup_key == "poison":
            raise RuntimeError("poison")
        return real_load(items)

    monkeypatch.setattr(processing, "_load", breaks_on_more_than_one)
    send(pagerduty, pd("trigger", key="first"))
    poison = send(pagerduty, pd("trigger", key="poison"))
    send(pagerduty, pd("trigger", key="third"))
    assert run() == 3
    assert set(Alert.objects.values_list("dedup_key", flat=True)) == {"first", "third"}
    assert IntegrationEvent.objects.get(pk=poison.event_id).reason == (
        "Processing failed: RuntimeError: poison"
    )
    assert not IntegrationEvent.objects.filter(outcome="accepted").exists()


def test_events_older_than_the_retention_are_forgotten_but_not_their_alerts(pagerduty):
    from incidents.intake.processing import events_prune

    send(pagerduty, pd("trigger"), at=T0 - timedelta(days=31))
    send(pagerduty, pd("trigger"), at=T0 - timedelta(days=29))
    old_unprocessed = send(pagerduty, pd("trigger", key="late"), at=T0 - timedelta(days=40))
    IntegrationEvent.objects.exclude(pk=old_unprocessed.event_id).update(outcome="processed")
    assert events_prune(T0) == 1
    assert IntegrationEvent.objects.count() == 2
    assert IntegrationEvent.objects.filter(pk=old_unprocessed.event_id).exists()  # not yet done


def test_the_queue_is_walked_in_index_order_and_the_planner_is_put_back(pagerduty):
    """Processed events leave dead entries in the queue's index; a bitmap scan would read
    every one of them on each batch. The claim walks the index in order instead, and only
    the claim: the setting is back to what it was for the rest of the batch."""
    from django.db import connection, transaction

    from incidents.intake.processing import _queue_read_in_order

    if connection.vendor != "postgresql":
        pytest.skip("a PostgreSQL planner setting")
    IntegrationEvent.objects.bulk_create(
        IntegrationEvent(
            integration=pagerduty,
            received_at=T0 + timedelta(milliseconds=n),
            outcome="accepted",
            payload=pd("trigger", key=f"k{n}"),
        )
        for n in range(10_300)
    )
    # Processed as the processor does it: each leaves a dead entry in the queue's index.
    IntegrationEvent.objects.filter(received_at__lt=T0 + timedelta(seconds=10)).update(
        outcome="processed"
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE incidents_integrationevent")

    def claim_plan():
        queue = IntegrationEvent.objects.filter(outcome="accepted").order_by("received_at", "id")
        return queue.values_list("id", "integration_id", "payload", "received_at")[:1000].explain()

    def scans():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT current_setting('enable_bitmapscan'), current_setting('enable_seqscan')"
            )
            return cursor.fetchone()

    with transaction.atomic():
        with _queue_read_in_order():
            plan = claim_plan()
        after = scans()
        rest_of_the_batch = claim_plan()
    assert "Index Scan using event_queue" in plan and "Sort" not in plan
    assert after == ("on", "on")
    # The planner's own choice again (a bitmap here), as for every other query of the batch.
    assert "Bitmap" in rest_of_the_batch or "Seq Scan" in rest_of_the_batch
