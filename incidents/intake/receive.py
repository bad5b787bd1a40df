"""Receiving an event: check it, store it durably, wake the processor. Nothing else.

Everything that takes time (grouping, declaring, escalating) happens later in
:mod:`.processing`, so the sender gets its answer in a few milliseconds, and only once the
raw event is committed: an event answered 2xx is on disk.
"""

import logging
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from ..models import Integration, IntegrationEvent
from .alertmanager import MAX_ALERTS, parse_alertmanager, parse_grafana
from .events import TRIGGER, Parsed
from .known import store_event
from .pagerduty import parse_pagerduty
from .webhook import parse_webhook

log = logging.getLogger(__name__)
Kind = Integration.Kind
Outcome = IntegrationEvent.Outcome

PARSERS = {
    Kind.PAGERDUTY: parse_pagerduty,
    Kind.ALERTMANAGER: parse_alertmanager,
    Kind.GRAFANA: parse_grafana,
    Kind.WEBHOOK: parse_webhook,
}
REASON_MAX = 500
# Fields of a document that never go into the event log (the integration key is a secret).
SECRET_FIELDS = ("routing_key",)


def parse(kind: str, document) -> Parsed:
    return PARSERS[kind](document)


def alerts_in(kind: str, document) -> int:
    """How many alerts a document carries, for the rate limit, without parsing it: the
    length of an Alertmanager or Grafana ``alerts`` list (a document over the parser's
    limit is refused anyway), one for everything else."""
    if kind in (Kind.ALERTMANAGER, Kind.GRAFANA) and isinstance(document, dict):
        alerts = document.get("alerts")
        if isinstance(alerts, list):
            return max(1, min(len(alerts), MAX_ALERTS + 1))
    return 1


@dataclass
class Receipt:
    """What the sender is told: accepted with these dedup keys, or rejected with errors."""

    accepted: bool
    errors: list[str] = field(default_factory=list)
    dedup_keys: list[str] = field(default_factory=list)
    event_id: int | None = None


def event_receive(*, integration: Integration, document, now: datetime | None = None) -> Receipt:
    """1. parse ``document`` with the integration's format; 2. rejected: log why, store no
    alert; 3. accepted: give a keyless trigger its dedup key, store the raw event, and wake
    the processor once the row is committed."""
    now = now or timezone.now()
    parsed = parse(integration.kind, document)
    if not parsed.ok:
        event_reject(integration=integration, errors=parsed.errors, document=document, now=now)
        return Receipt(False, errors=parsed.errors)
    keys = []
    for event in parsed.events:
        if event.dedup_key is None and event.action == TRIGGER:
            # Only the single-event formats (PagerDuty, webhook) can lack a key; store it in
            # the document so that processing and the sender agree on it.
            document["dedup_key"] = uuid.uuid4().hex
            keys.append(document["dedup_key"])
        else:
            keys.append(event.dedup_key)
    # One INSERT, committed on its own (in autocommit, no BEGIN/COMMIT round trips): the
    # row is on disk before the answer, and the wake-up follows the commit.
    event_id = store_event(
        integration,
        received_at=now,
        outcome=Outcome.ACCEPTED,
        reason="",
        payload=_loggable(document),
        alert_count=len(parsed.events),
    )
    transaction.on_commit(wake)
    return Receipt(True, dedup_keys=keys, event_id=event_id)


def event_reject(
    *, integration: Integration, errors: list[str], document=None, now=None, alert_count: int = 1
) -> None:
    """Log a refused event on its integration's page (why, and what came if it is storable).
    Never an alert, never an incident. ``alert_count``: what it counts for the rate limit."""
    store_event(
        integration,
        received_at=now or timezone.now(),
        outcome=Outcome.REJECTED,
        reason="; ".join(errors)[:REASON_MAX],
        payload=_loggable(document),
        alert_count=alert_count,
    )


def _loggable(document):
    if isinstance(document, dict):
        return {name: value for name, value in document.items() if name not in SECRET_FIELDS}
    return document


# --- waking the processor -------------------------------------------------------------------
# At hundreds of events a second, one Celery message per event would cost more than the
# event. A process sends at most one wake-up per WAKE_INTERVAL; the processor drains until
# the queue stays empty for longer than that (see processing.LINGER_SECONDS), so an event
# whose wake-up was skipped is still picked up by the run the previous wake-up started. A
# wake-up that finds a processor already running ends at once; in the rare case where that
# processor was just finishing, the sweep's backstop asks again within seconds.
WAKE_INTERVAL = 0.5
_wake_lock = threading.Lock()
_last_wake = 0.0


def wake() -> None:
    global _last_wake
    with _wake_lock:
        moment = time.monotonic()
        if moment - _last_wake < WAKE_INTERVAL:
            return
        _last_wake = moment
    enqueue_processing()


def enqueue_processing() -> None:
    """Ask a worker to process accepted events. A broker that is down costs nothing: the
    rows are committed and the sweep's backstop finds them."""
    from ..tasks import intake_process

    try:
        intake_process.apply_async(retry=False)
    except Exception:
        log.warning("could not enqueue intake processing; the sweep will pick it up", exc_info=True)
