"""Celery tasks of the incidents app. Thin: they load rows and call service functions."""

from celery import shared_task

from portal.health import SWEEP
from portal.models import Heartbeat


@shared_task(name="incidents.tasks.timers_sweep", ignore_result=True)
def timers_sweep():
    """Runs about once a second from beat, on the ``sweep`` queue.

    Records the heartbeat that ``/healthz`` and the stale-sweep banner read.
    """
    Heartbeat.record(SWEEP)
