"""Fan-out: one SEV1 paging 200 people by email and webhook, through a real delivery worker."""

import os
import time
from collections import Counter

from bench.load import percentile

NAME = "fanout"
ORDER = 50

RECIPIENTS = 200
PREFIX = "Fanout bench "  # every person and incident this scenario writes starts with it
DEADLINE_SECONDS = 60
EMAIL_SETTINGS = ("EMAIL_HOST", "EMAIL_PORT", "EMAIL_HOST_USER", "EMAIL_HOST_PASSWORD",
                  "EMAIL_USE_TLS", "EMAIL_USE_SSL")


def run(ctx) -> dict:
    """1. local SMTP and HTTP sinks; 2. the portal (web, beat, sweeper) and supervisord.conf's
    delivery worker, pointed at the SMTP sink; 3. 200 people, each with an urgent email and an
    urgent webhook method; 4. one manual SEV1 page of all of them, written in one transaction
    as a fired escalation step is, its 400 deliveries enqueued on commit; 5. wait until both
    sinks have 200 messages (or the deadline), then read the rows and the arrivals."""
    from tests.incidents.sinks import HttpSink, SmtpSink

    env = ctx.processes.env
    saved = {name: env.get(name) for name in EMAIL_SETTINGS}
    _clear()
    try:
        with SmtpSink() as smtp, HttpSink() as hook:
            env.update(
                EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(smtp.port), EMAIL_HOST_USER="",
                EMAIL_HOST_PASSWORD="", EMAIL_USE_TLS="false", EMAIL_USE_SSL="false",
            )
            # Requests a stopped run left in the bench's broker would come first (they name
            # rows of a database since recreated): start from empty queues.
            _purge_queues(ctx)
            ctx.portal()
            ctx.start("worker")
            _wait_for_worker(ctx)
            people = _roster(hook.url)
            ctx.say(f"paging {len(people)} people by email and webhook")
            started = time.time()
            incident_id, queued_at = _page(people)
            _wait(lambda: len(smtp.mails) >= RECIPIENTS and len(hook.delivered()) >= RECIPIENTS)
            ctx.processes.check_alive()
            # A late duplicate would arrive within moments of the last message, if at all.
            time.sleep(2)
            figures = _figures(incident_id, queued_at, started, smtp, hook)
            ctx.say(", ".join(f"{key} {value}" for key, value in figures.items()))
            if figures["rows_not_sent"]:
                ctx.say(f"not everything was delivered; the processes' logs end with:\n"
                        f"{ctx.processes.tails(40)}")
            return figures
    finally:
        for name, value in saved.items():
            if value is None:
                env.pop(name, None)
            else:
                env[name] = value
        _clear()


def _figures(incident_id, queued_at, started, smtp, hook) -> dict:
    from incidents.models import Notification

    rows = list(
        Notification.objects.filter(incident_id=incident_id).values(
            "channel", "state", "queued_at", "enqueued_at", "sent_at", "attempts"
        )
    )
    sent = [row for row in rows if row["state"] == "sent"]
    latencies = [(row["sent_at"] - row["queued_at"]).total_seconds() for row in sent]
    # From a worker's claim to the row marked sent: the delivery itself, without the queue.
    sending = [(row["sent_at"] - row["enqueued_at"]).total_seconds() for row in sent]
    emails = Counter(address for mail in smtp.mails for address in mail.recipients)
    hooks = Counter(request.path for request in hook.delivered())
    arrivals = [mail.arrived for mail in smtp.mails] + [r.arrived for r in hook.delivered()]
    arrival_latencies = [moment - queued_at for moment in arrivals]
    duplicates = sum(n - 1 for n in emails.values()) + sum(n - 1 for n in hooks.values())
    return {
        "recipients": RECIPIENTS,
        "total_s": round(max(arrivals) - started, 3) if arrivals else -1,
        "latency_p50_s": round(percentile(latencies, 50), 3) if latencies else -1,
        "latency_p99_s": round(percentile(latencies, 99), 3) if latencies else -1,
        "send_p50_s": round(percentile(sending, 50), 3) if sending else -1,
        "send_p99_s": round(percentile(sending, 99), 3) if sending else -1,
        "arrival_p50_s": round(percentile(arrival_latencies, 50), 3) if arrivals else -1,
        "arrival_p99_s": round(percentile(arrival_latencies, 99), 3) if arrivals else -1,
        "email_last_s": round(max(m.arrived for m in smtp.mails) - started, 3)
        if smtp.mails else -1,
        "webhook_last_s": round(max(r.arrived for r in hook.delivered()) - started, 3)
        if hook.delivered() else -1,
        "delivered_email": len(emails),
        "delivered_webhook": len(hooks),
        "duplicates": duplicates,
        "rows_sent": len(sent),
        "rows_not_sent": len(rows) - len(sent),
        "retries": sum(row["attempts"] - 1 for row in rows if row["attempts"] > 1),
        "worker_concurrency": int(os.environ.get("WORKER_CONCURRENCY") or 4),
    }


def _roster(hook_url: str) -> list:
    """The 200 people, kept between runs; their methods are made afresh (the sink's port
    changes from run to run)."""
    from incidents.models import ContactMethod, NotificationRule, Person

    names = [f"{PREFIX}{n:03d}" for n in range(RECIPIENTS)]
    existing = set(Person.objects.filter(name__in=names).values_list("name", flat=True))
    Person.objects.bulk_create(Person(name=name) for name in names if name not in existing)
    people = list(Person.objects.filter(name__in=names).order_by("name"))
    ContactMethod.objects.filter(person__in=people).delete()
    methods = ContactMethod.objects.bulk_create(
        method
        for n, person in enumerate(people)
        for method in (
            ContactMethod(person=person, kind="email", address=f"fanout{n:03d}@example.org"),
            ContactMethod(person=person, kind="webhook", address=f"{hook_url}/hook/{n:03d}"),
        )
    )
    NotificationRule.objects.bulk_create(
        NotificationRule(person=method.person, urgency="urgent", contact_method=method)
        for method in methods
    )
    return list(
        Person.objects.filter(name__in=names).prefetch_related(
            "notification_rules__contact_method"
        )
    )


def _page(people) -> tuple[int, float]:
    from django.db import transaction
    from django.utils import timezone

    from incidents.escalation import engine
    from incidents.models import Incident

    with transaction.atomic():
        incident = Incident.objects.create(
            title=f"{PREFIX}payments failing everywhere", severity="sev1",
            declared_at=timezone.now(),
        )
        engine.page_now(incident, people, by=None)
        queued_at = incident.notifications.values_list("queued_at", flat=True).first()
    return incident.pk, queued_at.timestamp()


def _purge_queues(ctx) -> None:
    from django.conf import settings

    from portal.celery import app

    queues = {"slow", *(route["queue"] for route in settings.CELERY_TASK_ROUTES.values())}
    with app.connection_for_write() as connection:
        channel = connection.default_channel
        dropped = sum(channel.queue_purge(queue) or 0 for queue in sorted(queues))
    if dropped:
        ctx.say(f"dropped {dropped} stale requests from the bench's broker")


def _wait_for_worker(ctx, timeout: float = 60) -> None:
    from portal.celery import app

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ctx.processes.check_alive()
        replies = app.control.ping(timeout=0.5) or []
        if any(name.startswith("work@") for reply in replies for name in reply):
            return
    raise RuntimeError(f"the delivery worker did not answer in {timeout:.0f} s")


def _wait(condition, timeout: float = DEADLINE_SECONDS) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


def _clear() -> None:
    """Remove this scenario's notifications and close its incidents. People and incidents
    stay: deleting them reaches into every app that refers to them."""
    from django.utils import timezone

    from incidents.models import Incident, Notification

    Notification.objects.filter(recipient__name__startswith=PREFIX).delete()
    Incident.objects.filter(title__startswith=PREFIX).exclude(status="closed").update(
        status="closed", closed_at=timezone.now()
    )
