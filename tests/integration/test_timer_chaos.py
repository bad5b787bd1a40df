"""Durable timers under real processes: several sweepers at once, and a whole escalation
delivered exactly once while the worker, Redis and beat are killed, flushed and restarted."""

import os
import threading
import time
from collections import Counter
from datetime import timedelta

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from incidents.escalation.engine import STEP
from incidents.models import (
    ContactMethod,
    EscalationPolicy,
    EscalationStep,
    Incident,
    Notification,
    NotificationRule,
    StepTarget,
    TimelineEvent,
    Timer,
)
from incidents.notifications.ack import read_token
from incidents.services import incident_declare
from incidents.timers import sweep_due
from portal.health import SWEEP
from portal.models import Heartbeat
from tests.incidents.factories import make_person, make_service, make_team
from tests.incidents.sinks import HttpSink

from .conftest import wait_until
from .kinds import PROBE

pytestmark = [pytest.mark.services]


def make_incidents(count: int) -> list[Incident]:
    now = timezone.now()
    return [
        Incident.objects.create(
            title=f"Probe incident {n}", severity="sev3", declared_at=now, updated_at=now
        )
        for n in range(count)
    ]


def test_several_sweepers_at_once_never_fire_a_timer_twice(stack_factory):
    """Two workers on the sweep queue, beat asking five times a second, and three threads
    of this process calling ``sweep_due`` in a loop, all on the same due rows."""
    stack = stack_factory(sweep_interval=0.2)
    workers = [
        stack.start_worker(f"sweeper{n}", queues="sweep", concurrency=2, wait=False)
        for n in (1, 2)
    ]
    for worker in workers:
        stack.wait_ready(worker, " ready.")
    stack.start_beat()

    incidents = make_incidents(12)
    start = timezone.now()
    total = 1800
    # A third already overdue (a burst for every sweeper at once), the rest due over 6 s.
    Timer.objects.bulk_create(
        Timer(
            kind=PROBE,
            incident=incidents[n % len(incidents)],
            due_at=start + timedelta(seconds=max(0.0, (n - total / 3) * 6 / total)),
            reference={"n": n},
        )
        for n in range(total)
    )

    stop = threading.Event()
    errors: list[BaseException] = []

    def sweep_in_a_loop():
        try:
            while not stop.is_set():
                sweep_due()
                time.sleep(0.05)
        except BaseException as error:  # reported by the test, not lost in the thread
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep_in_a_loop, name=f"sweep-{n}") for n in range(3)]
    for thread in threads:
        thread.start()
    try:
        wait_until(
            lambda: not Timer.objects.filter(kind=PROBE, state=Timer.State.PENDING).exists(),
            timeout=60,
            what="every probe timer fired",
            interval=0.25,
            details=stack.tails,
        )
    finally:
        stop.set()
        deadline = time.monotonic() + 15
        for thread in threads:
            thread.join(timeout=max(0.1, deadline - time.monotonic()))
    close_old_connections()
    assert not errors, errors
    stack.check_alive(*workers)

    timers = {t.pk: t for t in Timer.objects.filter(kind=PROBE)}
    assert len(timers) == total
    assert [t.pk for t in timers.values() if t.state != Timer.State.FIRED] == []
    assert {t.pk: t.error for t in timers.values() if t.error} == {}

    probes = list(
        TimelineEvent.objects.filter(kind=TimelineEvent.Kind.NOTE, text__startswith="probe ")
        .values_list("details", flat=True)
    )
    fired = Counter(p["timer"] for p in probes)
    assert {pk: n for pk, n in fired.items() if n != 1} == {}, "a timer fired more than once"
    assert set(fired) == set(timers), "a timer was marked fired but its handler never ran"

    # The point is that they raced: more than one process, and this one's threads, fired some.
    sweepers = Counter((p["pid"], p["thread"]) for p in probes)
    processes = {pid for pid, _ in sweepers}
    assert len(processes) >= 2, sweepers
    assert len(sweepers) >= 3, sweepers
    assert os.getpid() in processes or len(processes) >= 3, sweepers


# --- a whole escalation through crashes ------------------------------------------------------

STEPS, PER_STEP, ROUNDS = 3, 2, 3


def chaos_org(sink: HttpSink) -> dict:
    """A tier-1 service and its SEV1 policy: three steps a minute apart, each paging two
    people by webhook, the whole policy three times, a minute between rounds. The workers
    run a minute of policy in a second (``seconds_per_minute``), so each incident pages for
    about nine seconds."""
    team = make_team("Chaos team")
    service = make_service("Chaos payments", tier=1, owner_team=team)
    policy, _ = EscalationPolicy.objects.update_or_create(
        tier=1,
        severity="sev1",
        defaults={
            "name": "Chaos SEV1",
            "repeat_rounds": ROUNDS,
            "repeat_after_minutes": 1,
            "fallback_rotation": None,
            "fallback_person": None,
        },
    )
    policy.steps.all().delete()
    people = {}
    for position in range(STEPS):
        step = EscalationStep.objects.create(
            policy=policy, position=position, delay_minutes=min(position, 1), urgency="urgent"
        )
        people[position] = []
        for n in range(PER_STEP):
            person = make_person(f"Step {position + 1} responder {n + 1}", team=team)
            method = ContactMethod.objects.create(
                person=person, kind="webhook", address=f"{sink.url}/hook/{person.pk}"
            )
            NotificationRule.objects.create(
                person=person, urgency="urgent", contact_method=method, delay_minutes=0
            )
            StepTarget.objects.create(step=step, kind="person", person=person)
            people[position].append(person.pk)
    return {"service": service, "people": people}


class Ledger:
    """What arrived at the sink, read from the messages themselves: each message carries
    the ack link of every page it stands for (a bundle carries several), and each link
    names its incident, its person and its cause, the step timer that fired."""

    def __init__(self, sink: HttpSink):
        self.sink = sink
        self._steps: dict[int, tuple[int, int]] = {}

    def pages(self) -> list[tuple]:
        keys = []
        for request in self.sink.delivered():
            payload = request.json
            hook_person = int(request.path.rstrip("/").rsplit("/", 1)[1])
            for link in payload.get("ack_url", "").split():
                token = read_token(link.rstrip("/").rsplit("/", 1)[1])
                assert token["p"] == hook_person, (token, request.path)
                round_, step = self._step_of_cause(token["c"])
                keys.append((token["i"], round_, step, token["p"], "webhook"))
        return keys

    def notification_ids(self) -> list[int]:
        ids = []
        for request in self.sink.delivered():
            ids += [int(n) for n in request.json.get("notification", "").split(",") if n]
        return ids

    def _step_of_cause(self, cause: str) -> tuple[int, int]:
        kind, _, pk = cause.partition(":")
        assert kind == "timer" and pk.isdigit(), f"not a step page: {cause}"
        return self.step_of(int(pk))

    def step_of(self, timer_id: int) -> tuple[int, int]:
        if timer_id not in self._steps:
            reference = Timer.objects.get(pk=timer_id).reference
            self._steps[timer_id] = (reference["round"], reference["step"])
        return self._steps[timer_id]


def expected_keys(incidents, people) -> set[tuple]:
    return {
        (incident.pk, round_, step, person, "webhook")
        for incident in incidents
        for round_ in range(ROUNDS)
        for step in range(STEPS)
        for person in people[step]
    }


def declare(org, title: str) -> Incident:
    return incident_declare(
        title=title, severity="sev1", declared_by=None, services=[org["service"]]
    )


def swept_since(moment) -> bool:
    return Heartbeat.objects.filter(name=SWEEP, beat_at__gt=moment).exists()


def test_an_escalation_survives_worker_kill_redis_restart_flush_and_beat_restart(
    stack_factory,
):
    """supervisord.conf's shape: a sweeper on the sweep queue, a worker on deliver and slow,
    beat. Each blow lands mid-escalation, and the ones aimed at the broker land while
    delivery requests are waiting in it, so that something is really lost there."""
    with HttpSink() as sink:
        org = chaos_org(sink)
        ledger = Ledger(sink)
        stack = stack_factory(sweep_interval=1.0, seconds_per_minute=1.0)
        sweeper = stack.start_worker("sweeper", queues="sweep", concurrency=1, wait=False)
        worker = stack.start_worker("worker", queues="deliver,slow", concurrency=2)
        stack.wait_ready(sweeper, " ready.")
        beat = stack.start_beat()
        incidents: list[Incident] = []
        in_flight: set[int] = set()

        def paged(incident: Incident) -> None:
            wait_until(lambda: any(key[0] == incident.pk for key in ledger.pages()),
                       timeout=30, what=f"the first page of {incident.title}", interval=0.1,
                       details=stack.tails)

        def start_escalation(title: str) -> None:
            # Each blow lands mid-escalation: a fresh incident has paged, more steps to go.
            incidents.append(declare(org, title))
            paged(incidents[-1])

        def mid_escalation() -> bool:
            steps = Timer.objects.filter(incident__in=incidents, kind=STEP, state="pending")
            return steps.exists()

        def kill_worker_between_sends():
            # A message that reached its receiver before its row was marked sent is the
            # one thing no outbox can take back: kill at a moment with no send under way,
            # and note what was under way anyway (see the duplicate check below).
            wait_until(
                lambda: not Notification.objects.filter(state="sending").exists(),
                timeout=10, what="a moment with no send in flight", interval=0.01,
            )
            worker.kill()
            in_flight.update(
                Notification.objects.filter(state="sending").values_list("pk", flat=True)
            )

        def requests_waiting_in_redis():
            wait_until(lambda: stack.redis().llen("deliver") >= 2, timeout=20,
                       what="delivery requests waiting in Redis", details=stack.tails)

        def swept_again():
            back = timezone.now()
            wait_until(lambda: swept_since(back), timeout=30, what="a sweep after the restart",
                       interval=0.2, details=stack.tails)

        # 1. SIGKILL the delivery worker; the steps go on firing and their delivery
        # requests pile up in Redis; FLUSHALL wipes them; the worker comes back.
        start_escalation("Checkout down")
        start_escalation("Refunds stuck")
        kill_worker_between_sends()
        requests_waiting_in_redis()
        assert mid_escalation()
        stack.flushall()
        worker = stack.start_worker("worker", queues="deliver,slow", concurrency=2)

        # 2. SIGKILL the sweeper; a new incident's first step falls due while nobody
        # sweeps, and fires on the first sweep after the restart.
        start_escalation("Payouts failing")
        assert mid_escalation()
        sweeper.kill()
        incidents.append(declare(org, "Payout report empty"))
        overdue = Timer.objects.get(incident=incidents[-1], kind=STEP, state="pending")
        time.sleep(2)
        sweeper = stack.start_worker("sweeper", queues="sweep", concurrency=1)
        back = timezone.now()
        wait_until(
            lambda: Timer.objects.filter(pk=overdue.pk, state="fired").exists(),
            timeout=10, what="the overdue step firing after the restart", details=stack.tails,
        )
        overdue.refresh_from_db()
        assert overdue.fired_at - back < timedelta(seconds=4), (overdue.fired_at, back)

        # 3. Restart Redis (nothing persisted) with delivery requests waiting in it.
        start_escalation("Invoices duplicated")
        kill_worker_between_sends()
        requests_waiting_in_redis()
        assert mid_escalation()
        stack.restart_redis(down_for=1.0)
        worker = stack.start_worker("worker", queues="deliver,slow", concurrency=2)
        swept_again()

        # 4. Restart beat (SIGKILL: no goodbye).
        start_escalation("Signup emails missing")
        assert mid_escalation()
        beat.kill()
        time.sleep(1)
        beat = stack.start_beat()
        swept_again()

        # Everything arrives: every step of every round of every incident, to each person.
        expected = expected_keys(incidents, org["people"])
        wait_until(
            lambda: set(ledger.pages()) >= expected,
            timeout=60, what="every page at the sink", interval=0.25,
            details=lambda: f"missing: {sorted(expected - set(ledger.pages()))}\n{stack.tails()}",
        )
        time.sleep(3)  # room for a late duplicate to show up
        stack.check_alive(sweeper, worker, beat)

    received = Counter(ledger.pages())
    assert set(received) == expected, sorted(set(received) ^ expected)
    # A page the killed worker had handed to the receiver but not yet recorded as sent is
    # sent again (a receiver can tell by its ``notification`` id): at least once beats
    # never. Only such a page may arrive twice; any other duplicate is a bug.
    allowed = {
        (row.incident_id, *ledger.step_of(row.timer_id), row.recipient_id, "webhook")
        for row in Notification.objects.filter(pk__in=in_flight)
    }
    duplicated = {key: n for key, n in received.items() if n > 1}
    assert set(duplicated) <= allowed and max(duplicated.values(), default=1) <= 2, duplicated
    copies = Counter(ledger.notification_ids())
    assert {pk for pk, n in copies.items() if n > 1} <= in_flight, copies.most_common(5)
    assert sum(received.values()) - len(duplicated) == len(incidents) * ROUNDS * STEPS * PER_STEP

    # The timers behind them: each step of each round fired once, none left, none failed.
    steps = Timer.objects.filter(incident__in=incidents, kind=STEP)
    assert steps.filter(state="pending").count() == 0
    assert steps.filter(state="fired").count() == len(incidents) * ROUNDS * STEPS
    assert list(steps.exclude(error="").values_list("pk", "error")) == []
    rows = Notification.objects.filter(incident__in=incidents)
    states = Counter(rows.values_list("state", flat=True))
    assert states == {"sent": len(received)}, states
    messages = sink.delivered()
    print(
        f"{len(incidents)} incidents: {len(received)} pages in {len(messages)} messages "
        f"({sum(1 for m in messages if m.json.get('bundled'))} bundles); "
        f"{rows.filter(attempts__gt=1).count()} rows claimed again after the crash; "
        f"{len(in_flight)} in flight at the kill"
    )
