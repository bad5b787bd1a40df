"""A quiet worker console: Celery's lines about each run of a routine task (the sweep every
second, the release each sweep asks for, beat's periodic work) are at DEBUG; other tasks'
lines, and every failure, keep their level."""

import logging

import pytest
from celery import beat
from celery.app import trace
from django.conf import settings

from portal.celery import app

SWEEP = "incidents.tasks.timers_sweep"
RELEASE = "incidents.tasks.notifications_release"
DELIVER = "incidents.tasks.notifications_deliver"


def received(name: str) -> None:
    """As a worker logs a task it took from the broker (celery.worker.strategy)."""
    context = {"id": "1", "name": name, "args": "()", "kwargs": "{}", "eta": None}
    logging.getLogger("celery.worker.strategy").info(
        trace.LOG_RECEIVED, context, extra={"data": context}
    )


def succeeded(name: str) -> None:
    trace.info(trace.LOG_SUCCESS, {"id": "1", "name": name, "return_value": None, "runtime": 0.01})


def sent_by_beat(name: str, monkeypatch) -> None:
    scheduler = beat.Scheduler(app=app, lazy=True)
    monkeypatch.setattr(scheduler, "apply_async", lambda *args, **kwargs: None)
    scheduler.apply_entry(beat.ScheduleEntry(name=name, task=name, app=app))


def celery_lines(caplog) -> list[tuple[str, str]]:
    return [(r.levelname, r.getMessage()) for r in caplog.records if r.name.startswith("celery")]


def test_the_sweep_and_the_release_say_nothing_at_info(caplog, monkeypatch):
    with caplog.at_level(logging.INFO):
        for task in (SWEEP, RELEASE):
            received(task)
            succeeded(task)
        sent_by_beat(SWEEP, monkeypatch)
    assert celery_lines(caplog) == []


def test_they_are_there_at_debug(caplog, monkeypatch):
    with caplog.at_level(logging.DEBUG):
        received(RELEASE)
        succeeded(RELEASE)
        sent_by_beat(SWEEP, monkeypatch)
    lines = celery_lines(caplog)
    assert ("DEBUG", f"Task {RELEASE}[1] received") in lines
    assert ("DEBUG", f"Task {RELEASE}[1] succeeded in 0.01s: None") in lines
    assert ("DEBUG", f"Scheduler: Sending due task {SWEEP} ({SWEEP})") in lines
    assert all(level == "DEBUG" for level, _ in lines)


def test_a_delivery_is_still_logged_at_info(caplog):
    with caplog.at_level(logging.INFO):
        received(DELIVER)
        succeeded(DELIVER)
    assert [level for level, _ in celery_lines(caplog)] == ["INFO", "INFO"]


def test_a_failing_sweep_keeps_its_level(caplog):
    with caplog.at_level(logging.INFO):
        logging.getLogger("celery.app.trace").error(
            trace.LOG_FAILURE, {"id": "1", "name": SWEEP, "exc": "boom", "description": "raised"},
            extra={"data": {"name": SWEEP}},
        )
    assert [level for level, _ in celery_lines(caplog)] == ["ERROR"]


@pytest.mark.parametrize("entry", sorted(settings.CELERY_BEAT_SCHEDULE))
def test_every_periodic_task_is_routine(entry):
    assert settings.CELERY_BEAT_SCHEDULE[entry]["task"] in settings.ROUTINE_TASKS
