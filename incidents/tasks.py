"""Celery tasks of the incidents app. Thin: they take ids and call service functions."""

from celery import shared_task
from django.utils import timezone

from portal.health import SWEEP
from portal.models import Heartbeat

from .notifications import delivery, outbox
from .timers import sweep_due


@shared_task(name="incidents.tasks.timers_sweep", ignore_result=True)
def timers_sweep():
    """Runs about once a second from beat, on the ``sweep`` queue: fires due timers,
    releases due or stalled notifications, and records the heartbeat ``/healthz`` reads."""
    now = timezone.now()
    sweep_due(now)
    outbox.release_due(now)
    Heartbeat.record(SWEEP, at=now)


@shared_task(name="incidents.tasks.notification_deliver", ignore_result=True, acks_late=True)
def notification_deliver(notification_id: int):
    """Deliver one outbox row; idempotent, so a redelivered message sends nothing twice."""
    delivery.deliver(notification_id)
