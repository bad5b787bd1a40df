"""Celery tasks of the incidents app. Thin: they take ids and call service functions."""

from celery import shared_task
from django.utils import timezone

from portal import broker
from portal.health import SWEEP
from portal.models import Heartbeat

from . import intake
from .comms import subscribers
from .notifications import delivery, outbox
from .timers import sweep_due

DELIVER_QUEUE = "deliver"
# A release request older than this is dropped: the next sweep has asked for a newer one.
RELEASE_EXPIRES_SECONDS = 10


@shared_task(name="incidents.tasks.timers_sweep", ignore_result=True)
def timers_sweep():
    """Runs about once a second from beat, on the ``sweep`` queue: fires due timers, asks
    for the release of due or stalled notifications, and records the heartbeat
    ``/healthz`` reads."""
    now = timezone.now()
    sweep_due()  # each batch on a fresh clock: what falls due meanwhile fires in this sweep
    intake.intake_backstop(now)
    Heartbeat.record(SWEEP, at=now)
    # Releasing may mean re-publishing thousands of delivery requests while the channels
    # lag behind: that work runs beside the deliveries, never in the sweep's own time.
    notifications_release.apply_async(expires=RELEASE_EXPIRES_SECONDS)


@shared_task(name="incidents.tasks.notifications_release", ignore_result=True)
def notifications_release():
    """Request delivery of notifications now due (held bundles, retries, delayed rules)
    and of those whose request the broker lost (slow queue, asked for by every sweep)."""
    outbox.release_due(timezone.now(), requests_waiting=broker.waiting(DELIVER_QUEUE))


@shared_task(name="incidents.tasks.notifications_deliver", ignore_result=True, acks_late=True)
def notifications_deliver(notification_ids: list[int]):
    """Deliver outbox rows, claimed together and sent one message after another;
    idempotent, so a redelivered request sends nothing twice."""
    delivery.deliver_many(notification_ids)


@shared_task(name="incidents.tasks.notification_deliver", ignore_result=True, acks_late=True)
def notification_deliver(notification_id: int):
    """One row: the request an earlier version sent, still waiting in a broker after an
    upgrade."""
    delivery.deliver(notification_id)


@shared_task(name="incidents.tasks.intake_process", ignore_result=True)
def intake_process():
    """Process accepted alert events (slow queue) in batches until none is left. Woken by
    the intake endpoints; the sweep's backstop re-asks if a wake-up was lost."""
    intake.process_pending()


@shared_task(name="incidents.tasks.status_confirmation_send", ignore_result=True)
def status_confirmation_send(subscriber_id: int):
    """Mail a status page visitor the link that confirms their subscription (slow queue),
    so that the page answers without waiting for the mail server."""
    subscribers.confirmation_send(subscriber_id=subscriber_id)


@shared_task(name="incidents.tasks.status_subscribers_purge", ignore_result=True)
def status_subscribers_purge():
    """Delete status subscriptions never confirmed whose link has expired (hourly, beat)."""
    subscribers.unconfirmed_purge(now=timezone.now())
