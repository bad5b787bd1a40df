"""Timers: 10,000 due over 60 s on 1,000 incidents, each paging one webhook; lag and losses.

Keys: ``fire_lag_p50_s``, ``fire_lag_p99_s``, ``fire_lag_max_s`` (when the timer's handler
ran, minus its due time; ``fire_lag_recorded_p99_s`` is the same from the ``fired_at`` the
sweep records, the start of its batch), ``delivery_lag_p50_s``, ``delivery_lag_p99_s``,
``delivery_lag_max_s`` (arrival at the local HTTP sink minus the due time), ``delivered``,
``lost`` (fired but never arrived, and no longer on its way), ``still_pending`` (on its way
when the wait ended: a timer not fired, a row not sent), ``duplicates`` (arrivals beyond the
first per timer). ``BENCH_TIMERS``, ``BENCH_TIMER_INCIDENTS``, ``BENCH_TIMER_SPREAD`` and
``BENCH_TIMER_SWEEPERS`` (extra copies of supervisord.conf's sweeper) change the load.
"""

import os
import re
import time
from collections import defaultdict
from pathlib import Path

from bench.load import percentile

NAME = "timers"
ORDER = 60

TIMERS = int(os.environ.get("BENCH_TIMERS") or 10_000)
INCIDENTS = int(os.environ.get("BENCH_TIMER_INCIDENTS") or 1_000)
SPREAD_SECONDS = float(os.environ.get("BENCH_TIMER_SPREAD") or 60)
SWEEPERS = int(os.environ.get("BENCH_TIMER_SWEEPERS") or 1)
LEAD_SECONDS = 6.0  # between writing the timers and the first one falling due
SETTLE_SECONDS = 3.0  # after the last arrival, room for a late duplicate
GRACE_SECONDS = 30.0  # after the last due time, how long a page may take before it counts
STALL_SECONDS = 10.0  # ... as lost, once nothing has arrived for this long
MAX_WAIT_SECONDS = 180.0  # and never waiting longer than this after the last due time
PREFIX = "Timers bench "  # every person and incident this scenario writes starts with it
KIND = "bench_timer_page"
# Set for the processes this scenario starts: the sweeper imports this module (Celery's
# ``--include``, read from the environment) and the flag makes it register the kind.
HANDLER_FLAG = "BENCH_TIMERS_HANDLER"
WORKER_ENV = {
    HANDLER_FLAG: "1",
    "CELERY_WORKER_INCLUDE": __name__,
    "PYTHONPATH": str(Path(__file__).resolve().parents[2]),
}
TAG = re.compile(rb"bench-timer-(\d+)@(\d+\.\d+)")


def _register_handler() -> None:
    """The bench's timer kind: page one person, and say in the page when the handler ran.
    Like a real kind, it reads its people and incidents once per sweep batch (``load``)."""
    from django.db.models import Prefetch

    from incidents.models import Incident, Notification, NotificationRule, Person
    from incidents.notifications.outbox import Message, notify_person
    from incidents.timers import register

    rules = Prefetch(
        "notification_rules", queryset=NotificationRule.objects.select_related("contact_method")
    )

    def load(timers):
        people = Person.objects.prefetch_related(rules).in_bulk(
            {timer.reference["person"] for timer in timers}
        )
        incidents = Incident.objects.in_bulk({timer.incident_id for timer in timers})
        for timer in timers:
            timer.page = people.get(timer.reference["person"]), incidents.get(timer.incident_id)

    @register(KIND, load=load)
    def page_one(timer, now):
        ran = time.time()
        person, incident = getattr(timer, "page", (None, None))
        notify_person(
            person=person or Person.objects.prefetch_related(rules).get(
                pk=timer.reference["person"]
            ),
            urgency="urgent",
            reason=Notification.Reason.ESCALATION,
            cause=f"timer:{timer.pk}",
            message=Message(
                subject=f"{PREFIX}page {timer.pk}", body=f"bench-timer-{timer.pk}@{ran:.6f}"
            ),
            now=now,
            incident=incident or Incident.objects.get(pk=timer.incident_id),
            timer=timer,
        )


if os.environ.get(HANDLER_FLAG) == "1":
    _register_handler()


def run(ctx) -> dict:
    """1. a local HTTP sink; 2. the portal (web, beat, sweeper) and supervisord.conf's delivery
    worker, the sweeper knowing the bench's timer kind; 3. 10,000 people with one urgent
    webhook method each, 1,000 incidents, and 10,000 pending timers due evenly over 60 s
    (an incident's ten 6 s apart), each paging one person; 4. wait until every page has
    arrived (or the deadline), then compare due, fired, handled and arrived times."""
    from tests.incidents.sinks import HttpSink

    env = ctx.processes.env
    saved = {name: env.get(name) for name in WORKER_ENV}
    _clear()
    try:
        with HttpSink() as sink:
            env.update(WORKER_ENV)
            ctx.portal()
            # More sweepers (supervisord.conf's line again): SKIP LOCKED shares the rows out.
            ctx.start(*["sweeper"] * (SWEEPERS - 1), "worker")
            _wait_for_ready(ctx, ctx.processes.started[-1])
            people = _roster(sink.url)
            timers = _schedule(people)
            first_due = min(due for due, _ in timers.values())
            last_due = max(due for due, _ in timers.values())
            ctx.say(
                f"{len(timers)} timers written, {first_due - time.time():.1f} s before the "
                f"first falls due; waiting for the last ({last_due - time.time():.0f} s away)"
            )
            _wait_for_arrivals(ctx, sink, set(timers), last_due=last_due)
            ctx.processes.check_alive()
            figures, lost = _figures(timers, sink)
            ctx.say(", ".join(f"{key} {value}" for key, value in figures.items()))
            for line in _explain(lost[:5]):
                ctx.say(line)
            return figures
    finally:
        for name, value in saved.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        _clear()


def _roster(hook_url: str) -> list[int]:
    """One person per timer, each with one urgent webhook method, kept between runs; the
    methods point at this run's sink. Returns the people's ids."""
    from django.db import transaction

    from incidents.models import ContactMethod, NotificationRule, Person

    names = [f"{PREFIX}{n:05d}" for n in range(TIMERS)]
    with transaction.atomic():
        existing = set(
            Person.objects.filter(name__startswith=PREFIX).values_list("name", flat=True)
        )
        Person.objects.bulk_create(
            (Person(name=name) for name in names if name not in existing), batch_size=2000
        )
        people = list(
            Person.objects.filter(name__in=names).order_by("name").values_list("pk", flat=True)
        )
        ContactMethod.objects.filter(person__name__startswith=PREFIX).delete()
        methods = ContactMethod.objects.bulk_create(
            (
                ContactMethod(person_id=pk, kind="webhook", address=f"{hook_url}/t/{n}")
                for n, pk in enumerate(people)
            ),
            batch_size=2000,
        )
        NotificationRule.objects.bulk_create(
            (
                NotificationRule(person_id=m.person_id, urgency="urgent", contact_method=m)
                for m in methods
            ),
            batch_size=2000,
        )
    return people


def _schedule(people: list[int]) -> dict[int, tuple[float, int]]:
    """The incidents and their timers, in one transaction. Returns {timer id: (due as a
    Unix time, person id)}."""
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from incidents.models import Incident, Timer

    with transaction.atomic():
        now = timezone.now()
        incidents = Incident.objects.bulk_create(
            (
                Incident(
                    title=f"{PREFIX}incident {n:04d}", severity="sev2", declared_at=now,
                    updated_at=now,
                )
                for n in range(INCIDENTS)
            ),
            batch_size=1000,
        )
        start = now + timedelta(seconds=LEAD_SECONDS)
        step = SPREAD_SECONDS / TIMERS
        rows = Timer.objects.bulk_create(
            (
                Timer(
                    kind=KIND,
                    due_at=start + timedelta(seconds=n * step),
                    incident=incidents[n % INCIDENTS],
                    reference={"person": people[n]},
                )
                for n in range(TIMERS)
            ),
            batch_size=2000,
        )
    return {row.pk: (row.due_at.timestamp(), row.reference["person"]) for row in rows}


def _arrivals(sink) -> dict[int, list[tuple[float, float]]]:
    """{timer id: [(arrived, handled), …]} from every page the sink has received."""
    arrivals: dict[int, list[tuple[float, float]]] = defaultdict(list)
    for request in sink.delivered():
        for timer, handled in TAG.findall(request.body):
            arrivals[int(timer)].append((request.arrived, float(handled)))
    return arrivals


def _wait_for_arrivals(ctx, sink, expected: set[int], *, last_due: float) -> None:
    """Poll the sink until every timer's page has arrived, or until ``GRACE_SECONDS`` after
    the last due time with no arrival for ``STALL_SECONDS`` (never beyond
    ``MAX_WAIT_SECONDS`` after it), then wait a little for late duplicates."""
    seen: set[int] = set()
    read = 0
    last_report = last_arrival = time.monotonic()
    settle_until = None
    while True:
        requests = sink.delivered()
        for request in requests[read:]:
            seen.update(int(timer) for timer, _ in TAG.findall(request.body))
        if len(requests) > read:
            last_arrival = time.monotonic()
        read = len(requests)
        now = time.time()
        stalled = time.monotonic() - last_arrival > STALL_SECONDS
        if settle_until is None and (
            expected <= seen
            or (now > last_due + GRACE_SECONDS and stalled)
            or now > last_due + MAX_WAIT_SECONDS
        ):
            settle_until = now + SETTLE_SECONDS
        if settle_until is not None and now > settle_until:
            return
        if time.monotonic() - last_report > 10:
            ctx.processes.check_alive()
            ctx.say(f"{len(expected & seen)} of {len(expected)} pages arrived")
            last_report = time.monotonic()
        time.sleep(0.25)


def _figures(timers: dict[int, tuple[float, int]], sink) -> tuple[dict, list[int]]:
    """The scenario's figures, and the ids of the timers whose page was lost."""
    from incidents.models import Notification, Timer
    from incidents.timers.sweep import BATCH

    timer_rows = dict(
        Timer.objects.filter(pk__in=list(timers)).values_list("pk", "fired_at")
    )
    row_states = dict(
        Notification.objects.filter(timer_id__in=list(timers)).values_list("timer_id", "state")
    )
    # Read the sink after the rows: a row marked sent by then has arrived by then.
    arrivals = _arrivals(sink)
    fire_lags, recorded_lags, delivery_lags = [], [], []
    pending, lost = 0, []
    for pk, (due, _) in timers.items():
        fired_at = timer_rows.get(pk)
        if fired_at is not None:
            recorded_lags.append(fired_at.timestamp() - due)
        if arrivals.get(pk):
            arrived, handled = min(arrivals[pk])
            # When the handler really ran: the sweep's own clock is the start of its batch.
            fire_lags.append(handled - due)
            delivery_lags.append(arrived - due)
            continue
        if fired_at is not None:
            fire_lags.append(fired_at.timestamp() - due)
        # Not arrived: still on its way (a timer not yet fired, a row not yet sent), or
        # lost (fired without a row, a row sent that never arrived, failed, cancelled).
        on_its_way = (pk in timer_rows and fired_at is None) or row_states.get(pk) in (
            "queued", "sending"
        )
        if on_its_way:
            pending += 1
        else:
            lost.append(pk)
    unexpected = set(arrivals) - set(timers)
    rows = Notification.objects.filter(timer_id__in=list(timers))

    def p(values, q):
        return round(percentile(values, q), 3) if values else -1

    return {
        "timers": len(timers),
        "incidents": INCIDENTS,
        "spread_s": SPREAD_SECONDS,
        "sweepers": SWEEPERS,
        "fired": len(recorded_lags),
        "fire_lag_p50_s": p(fire_lags, 50),
        "fire_lag_p99_s": p(fire_lags, 99),
        "fire_lag_max_s": round(max(fire_lags), 3) if fire_lags else -1,
        "fire_lag_recorded_p99_s": p(recorded_lags, 99),
        "delivery_lag_p50_s": p(delivery_lags, 50),
        "delivery_lag_p99_s": p(delivery_lags, 99),
        "delivery_lag_max_s": round(max(delivery_lags), 3) if delivery_lags else -1,
        "delivered": len(set(arrivals) & set(timers)),
        "lost": len(lost),
        "still_pending": pending,
        "duplicates": sum(len(seen) - 1 for seen in arrivals.values()) + len(unexpected),
        "rows_failed": rows.filter(state="failed").count(),
        "retries": sum(
            attempts - 1 for attempts in rows.filter(attempts__gt=1).values_list(
                "attempts", flat=True
            )
        ),
        "sweep_batch": BATCH,
    }, lost


def _explain(lost: list[int]) -> list[str]:
    """What became of some lost pages: their timer and outbox row."""
    from incidents.models import Notification, Timer

    lines = []
    for timer in Timer.objects.filter(pk__in=lost):
        row = Notification.objects.filter(timer=timer).first()
        lines.append(
            f"lost: timer {timer.pk} {timer.state} at {timer.fired_at} {timer.error!r}; "
            + (f"row {row.pk} {row.state}, {row.attempts} attempts, {row.error!r}"
               if row else "no outbox row")
        )
    return lines


def _wait_for_ready(ctx, worker, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ctx.processes.check_alive()
        if " ready." in worker.log.read_text(errors="replace"):
            return
        time.sleep(0.2)
    raise RuntimeError(f"the delivery worker was not ready in {timeout:.0f} s")


def _clear() -> None:
    """Remove this scenario's incidents, with their timers and notifications. The people
    stay for the next run (re-creating 10,000 takes longer than keeping them)."""
    from incidents.models import Incident, Notification, Timer

    # The sweeper may still be running: stop the timers first (this waits for a sweep
    # holding them), then remove what their firing wrote.
    Timer.objects.filter(kind=KIND, state=Timer.State.PENDING).update(
        state=Timer.State.CANCELLED
    )
    Notification.objects.filter(timer__kind=KIND).delete()
    Timer.objects.filter(kind=KIND).delete()
    Incident.objects.filter(title__startswith=PREFIX).delete()
