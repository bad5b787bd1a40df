"""How one sweep treats its handlers: in one lock order, a transient database error
retried instead of dropped, and what falls due meanwhile fired by the same sweep. No
processes needed: these run on any database (the one query count says what it is on
SQLite and on PostgreSQL)."""

from datetime import timedelta

import pytest
from django.db import OperationalError, connection
from django.utils import timezone

from incidents.models import Incident, TimelineEvent, Timer
from incidents.timers import register, schedule, sweep_due

FLAKY = "integration_flaky"
ORDERED = "integration_ordered"
BROKEN = "integration_broken"
CHAIN = "integration_chain"
LOADED = "integration_loaded"
LOAD_FAILS = "integration_load_fails"

calls: dict[str, list] = {
    FLAKY: [], ORDERED: [], BROKEN: [], CHAIN: [], LOADED: [], LOAD_FAILS: []
}


@register(FLAKY)
def fire_flaky(timer, now):
    calls[FLAKY].append(timer.pk)
    if len(calls[FLAKY]) == 1:
        raise OperationalError("deadlock detected")
    TimelineEvent.objects.create(
        incident_id=timer.incident_id, kind=TimelineEvent.Kind.NOTE, text="flaky fired", at=now
    )


@register(ORDERED)
def fire_ordered(timer, now):
    calls[ORDERED].append(timer.incident_id)


@register(BROKEN)
def fire_broken(timer, now):
    calls[BROKEN].append(timer.pk)
    raise ValueError("a bug")


@register(CHAIN)
def fire_chain(timer, now):
    """Like an escalation step with no delay: each link schedules the next, due at once."""
    calls[CHAIN].append(timer.pk)
    if timer.reference["left"]:
        schedule(kind=CHAIN, due_at=now, incident=timer.incident, left=timer.reference["left"] - 1)


def load_titles(timers):
    """Reads every timer's incident title in one query, as a kind's bulk load would."""
    titles = dict(
        Incident.objects.filter(pk__in=[t.incident_id for t in timers]).values_list("pk", "title")
    )
    for timer in timers:
        timer.title = titles[timer.incident_id]


@register(LOADED, load=load_titles)
def fire_loaded(timer, now):
    calls[LOADED].append(getattr(timer, "title", None))


def load_badly(timers):
    Incident.objects.filter(pk__in=[t.incident_id for t in timers]).update(title="Half-loaded")
    raise OperationalError("lost the connection")


@register(LOAD_FAILS, load=load_badly)
def fire_unloaded(timer, now):
    calls[LOAD_FAILS].append(Incident.objects.get(pk=timer.incident_id).title)


@pytest.fixture(autouse=True)
def fresh_calls():
    for seen in calls.values():
        seen.clear()


def make_incident(title="Sweep test") -> Incident:
    now = timezone.now()
    return Incident.objects.create(title=title, severity="sev3", declared_at=now, updated_at=now)


@pytest.mark.django_db
def test_a_transient_database_error_leaves_the_timer_for_the_next_sweep():
    incident = make_incident()
    now = timezone.now()
    timer = Timer.objects.create(kind=FLAKY, due_at=now, incident=incident)

    assert sweep_due(now) == 0  # rolled back, and not tried again within the same sweep
    timer.refresh_from_db()
    assert (timer.state, timer.fired_at, timer.error) == ("pending", None, "")
    assert not TimelineEvent.objects.filter(text="flaky fired").exists()

    assert sweep_due(now + timedelta(seconds=1)) == 1
    timer.refresh_from_db()
    assert timer.state == "fired" and timer.error == ""
    assert TimelineEvent.objects.filter(text="flaky fired").count() == 1
    assert calls[FLAKY] == [timer.pk, timer.pk]


@pytest.mark.django_db
def test_a_handler_bug_fires_the_timer_once_and_keeps_the_error():
    now = timezone.now()
    timer = Timer.objects.create(kind=BROKEN, due_at=now, incident=make_incident())
    assert sweep_due(now) == 1
    assert sweep_due(now + timedelta(seconds=1)) == 0
    timer.refresh_from_db()
    assert timer.state == "fired" and timer.error == "ValueError: a bug"
    assert calls[BROKEN] == [timer.pk]


@pytest.mark.django_db
def test_handlers_of_one_batch_run_in_incident_order():
    """Every sweeper takes the incident row locks in the same order: no deadlock cycle."""
    incidents = [make_incident(f"Incident {n}") for n in range(4)]
    now = timezone.now()
    order = [2, 0, 3, 1, 0, 2, 1, 3]
    for n, which in enumerate(order):
        Timer.objects.create(
            kind=ORDERED, due_at=now - timedelta(seconds=len(order) - n),
            incident=incidents[which],
        )
    assert sweep_due(now) == len(order)
    assert calls[ORDERED] == sorted(incidents[which].pk for which in order)


@pytest.mark.django_db
def test_the_beat_sweep_fires_what_falls_due_while_it_runs():
    incident = make_incident()
    schedule(kind=CHAIN, due_at=timezone.now(), incident=incident, left=3)
    assert sweep_due() == 4  # each batch on a fresh clock: the whole chain in one sweep
    assert len(calls[CHAIN]) == 4


@pytest.mark.django_db
def test_a_sweep_as_of_a_given_moment_fires_one_pass():
    incident = make_incident()
    now = timezone.now()
    schedule(kind=CHAIN, due_at=now, incident=incident, left=3)
    assert sweep_due(now) == 1  # the next link is for the next sweep, as before
    assert sweep_due(now) == 1
    assert Timer.objects.filter(kind=CHAIN, state="pending").count() == 1


@pytest.mark.django_db
def test_a_kinds_bulk_load_runs_once_per_batch_before_its_handlers(
    django_assert_num_queries,
):
    incidents = [make_incident(f"Incident {n}") for n in range(5)]
    now = timezone.now()
    for incident in incidents:
        Timer.objects.create(kind=LOADED, due_at=now, incident=incident)
    # The batch's savepoint (inside the test's transaction), the claim, the one load in a
    # savepoint of its own, and a savepoint around each handler. Only the claim differs
    # between databases: PostgreSQL locks the due rows (FOR UPDATE SKIP LOCKED) and marks
    # them fired in one UPDATE; SQLite has no row locks, so after reading them the sweep
    # claims each row with a conditional UPDATE of its own (one per timer).
    claim = {"postgresql": 1 + 1, "sqlite": 1 + 5}[connection.vendor]
    with django_assert_num_queries(2 + claim + 3 + 2 * 5):
        assert sweep_due(now) == 5
    assert calls[LOADED] == [incident.title for incident in incidents]


@pytest.mark.django_db
def test_a_failed_bulk_load_is_undone_and_the_handlers_still_fire():
    incident = make_incident("Payments failing")
    now = timezone.now()
    Timer.objects.create(kind=LOAD_FAILS, due_at=now, incident=incident)
    assert sweep_due(now) == 1
    assert calls[LOAD_FAILS] == ["Payments failing"]
