"""What the integration tests' workers load with ``--include``.

1. A timer kind only these tests use. Each firing appends one timeline event naming the
   timer and the process and thread that fired it; nothing deduplicates those events, so
   a timer fired twice shows as two of them.
2. With ``INTEGRATION_SECONDS_PER_MINUTE`` set, escalation steps are scheduled that many
   seconds apart per minute of the policy's delays: a policy one minute between steps
   runs a step a second. The tests' clock, sped up for these processes only, as
   time-machine does for the unit tests.
"""

import os
import threading
from datetime import timedelta

from django.utils import timezone

from incidents.escalation import engine
from incidents.models import Incident, TimelineEvent
from incidents.services import timeline
from incidents.timers import register

PROBE = "integration_probe"
SECONDS_PER_MINUTE = "INTEGRATION_SECONDS_PER_MINUTE"


@register(PROBE)
def fire_probe(timer, now):
    # Like the real handlers, this writes to the incident row (the board's version token),
    # so sweepers firing timers of the same incidents contend for the same row locks.
    incident = Incident.objects.get(pk=timer.incident_id)
    timeline.record(
        incident,
        TimelineEvent.Kind.NOTE,
        f"probe {timer.pk}",
        at=now,
        timer=timer.pk,
        pid=os.getpid(),
        thread=threading.get_ident(),
    )


def speed_up_escalation(seconds_per_minute: float) -> None:
    schedule = engine.schedule

    def scaled(*, kind, due_at, incident=None, **reference):
        if kind == engine.STEP:
            now = timezone.now()
            due_at = now + max(due_at - now, timedelta(0)) * (seconds_per_minute / 60)
        return schedule(kind=kind, due_at=due_at, incident=incident, **reference)

    engine.schedule = scaled


if os.environ.get(SECONDS_PER_MINUTE):
    speed_up_escalation(float(os.environ[SECONDS_PER_MINUTE]))
