"""Soak: the portal as a newcomer's ``make run`` starts it, under alerts and kills, for minutes.

SQLite, the embedded broker and supervisord, as ``make run`` has them (in a folder of its
own, on a free port; ``DATABASE_URL`` and ``REDIS_URL`` are ignored). Alerts arrive every few
seconds on several services; each declares an incident that is paged, acknowledged after a
while and resolved. Along the way one process of each kind (sweeper, worker, beat, web) is
killed with SIGKILL. Then the traffic stops, the rest is drained, and the pages the local sink
received are compared with the Notification rows.

Keys: ``minutes``; ``alerts_sent`` (events answered 202); ``pages_expected`` (notification
rows written during the soak and not cancelled); ``pages_delivered`` (of those, the ones that
reached the sink); ``lost`` (expected, never arrived); ``duplicates`` (arrivals beyond the
first of a row, except those below); ``in_flight_at_kill`` (a second arrival of a row whose
first arrival came within ``KILL_WINDOW_SECONDS`` before its worker was killed: handed over,
not yet recorded, the one copy no outbox can take back); ``process_restarts``;
``process_deaths_unrecovered`` (programs not running at the end); ``http_5xx`` (answers of
500 or more to the alerts and the status page; ``/healthz``'s 503 is its job, not an error);
``healthz_down_s_max`` (the longest spell ``/healthz`` was not 200 or did not answer).

``SOAK_MINUTES`` (10), ``SOAK_SERVICES`` (4) and ``SOAK_ALERT_SECONDS`` (3, between alerts)
change the run. Deliveries left "sending" by a killed worker are released after 60 s here
(``NOTIFICATION_SENDING_STALE_SECONDS``; 180 by default) so that they come back within the run.
"""

from __future__ import annotations

import json
import os
import random
import sqlite3
import subprocess
import sys
import threading
import time
from collections import Counter, defaultdict
from datetime import datetime
from pathlib import Path

from bench.embedded import EmbeddedPortal
from bench.processes import http_request

NAME = "soak"
ORDER = 90
MINUTES = float(os.environ.get("SOAK_MINUTES") or 10)
SERVICES = int(os.environ.get("SOAK_SERVICES") or 4)
ALERT_SECONDS = float(os.environ.get("SOAK_ALERT_SECONDS") or 3)
STALE_SECONDS = 60
KILLS = (("sweeper", 0.2), ("worker", 0.4), ("beat", 0.6), ("web", 0.8))
KILL_WINDOW_SECONDS = 5.0
DRAIN_SECONDS = STALE_SECONDS + 120
PROGRAMS = ("web", "sweeper", "worker", "beat", "sink")

# Run inside the portal (manage.py shell): one webhook integration per service, first
# alert declares. Prints the keys, one a line after a marker (the shell prints lines of its own).
SETUP = """
from incidents.models import Integration, Service
for service in Service.objects.filter(tier__in=[1, 2]).order_by("tier", "slug")[:{count}]:
    integration, _ = Integration.objects.update_or_create(
        key=f"soak-{{service.slug}}"[:64],
        defaults=dict(name="Soak", service=service, kind=Integration.Kind.WEBHOOK,
                      auto_declare=Integration.AutoDeclare.FIRST_ALERT,
                      rate_limit_per_minute=6000),
    )
    print("soak-integration", integration.key)
"""


class Traffic:
    """What the soak sent and what answered; shared by its threads."""

    def __init__(self, portal: EmbeddedPortal):
        self.portal = portal
        self.lock = threading.Lock()
        self.statuses: Counter[int] = Counter()
        self.down_spells: list[float] = []
        self.stop = threading.Event()

    def post_event(self, key: str, body: dict) -> None:
        """One event, sent again while the web process is down (as a real sender retries)."""
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                status, _, _ = http_request(
                    f"{self.portal.base_url}/integrations/webhook/{key}/", method="POST",
                    body=json.dumps(body).encode(), headers={"Content-Type": "application/json"},
                )
            except OSError:
                time.sleep(0.5)
                continue
            with self.lock:
                self.statuses[status] += 1
            if status < 500:
                return
            time.sleep(0.5)

    def watch_health(self) -> None:
        down_since = None
        while not self.stop.is_set():
            try:
                status, _, _ = http_request(f"{self.portal.base_url}/healthz", timeout=3)
            except OSError:
                status = None
            now = time.monotonic()
            if status == 200 and down_since is not None:
                self.down_spells.append(now - down_since)
                down_since = None
            elif status != 200 and down_since is None:
                down_since = now
            self.read_status_page()
            time.sleep(0.5)
        if down_since is not None:
            self.down_spells.append(time.monotonic() - down_since)

    def read_status_page(self) -> None:
        try:
            status, _, _ = http_request(f"{self.portal.base_url}/status/", timeout=5)
        except OSError:
            return
        with self.lock:
            self.statuses[status] += 1

    def service_cycles(self, key: str, rng: random.Random, stagger: float) -> None:
        """Trigger, acknowledge after a while, resolve after a while more; again."""
        time.sleep(stagger)
        cycle = 0
        while not self.stop.is_set():
            cycle += 1
            dedup = f"{key}-{cycle}"
            self.post_event(key, {"summary": f"Soak failure {dedup}", "severity": "critical",
                                  "dedup_key": dedup, "source": "soak"})
            for status, wait in (("acknowledge", rng.uniform(10, 60)),
                                 ("resolve", rng.uniform(5, 30))):
                self.stop.wait(wait)
                self.post_event(key, {"status": status, "dedup_key": dedup})
            self.stop.wait(ALERT_SECONDS * SERVICES)

    @property
    def alerts_sent(self) -> int:
        return self.statuses[202]

    @property
    def http_5xx(self) -> int:
        return sum(count for status, count in self.statuses.items() if status >= 500)


def run(ctx) -> dict:
    ctx.wants_reference = False
    portal = EmbeddedPortal(
        ctx.logdir / "portal", extra_env={"NOTIFICATION_SENDING_STALE_SECONDS": str(STALE_SECONDS)}
    )
    try:
        return _soak(ctx, portal)
    finally:
        portal.stop()
        portal.clean_up()


def _soak(ctx, portal: EmbeddedPortal) -> dict:
    ctx.say(f"make run on the embedded defaults in {portal.var_dir}, port {portal.port}")
    portal.start()
    portal.wait_healthy()
    keys = _setup(portal)
    database = portal.var_dir / "portal.sqlite3"
    first_row = _max_notification_id(database)
    traffic = Traffic(portal)
    threads = [threading.Thread(target=traffic.watch_health, daemon=True)] + [
        threading.Thread(target=traffic.service_cycles, daemon=True,
                         args=(key, random.Random(number), number * ALERT_SECONDS))
        for number, key in enumerate(keys)
    ]
    for thread in threads:
        thread.start()
    ctx.say(f"soaking for {MINUTES:g} min: {len(keys)} services, kills at "
            + ", ".join(f"{name} {share:.0%}" for name, share in KILLS))
    started = time.monotonic()
    worker_kills = []
    for name, share in KILLS:
        _sleep_until(started + share * MINUTES * 60)
        portal.kill(name)
        ctx.say(f"killed {name} with SIGKILL")
        if name == "worker":
            worker_kills.append(time.time())
    _sleep_until(started + MINUTES * 60)
    traffic.stop.set()
    for thread in threads:
        thread.join(120)
    ctx.say("traffic stopped; draining")
    _drain(database, first_row)
    return {
        "minutes": MINUTES,
        "alerts_sent": traffic.alerts_sent,
        **_pages(database, first_row, portal.var_dir / "sink" / "messages.jsonl", worker_kills),
        "process_restarts": sum(len(pids) - 1 for pids in portal.spawns().values()),
        "process_deaths_unrecovered": sum(portal.pid(name) is None for name in PROGRAMS),
        "http_5xx": traffic.http_5xx,
        "healthz_down_s_max": round(max(traffic.down_spells, default=0.0), 1),
    }


def _setup(portal: EmbeddedPortal) -> list[str]:
    answer = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", SETUP.format(count=SERVICES)],
        cwd=Path(__file__).resolve().parents[2], env=portal.env, capture_output=True, text=True,
        check=True, timeout=120,
    )
    return [line.split()[1] for line in answer.stdout.splitlines()
            if line.startswith("soak-integration ")]


def _sleep_until(moment: float) -> None:
    time.sleep(max(0.0, moment - time.monotonic()))


def _rows(database: Path, first_row: int) -> list[tuple[int, str]]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as connection:
        return connection.execute(
            "SELECT id, state FROM incidents_notification WHERE id > ?", (first_row,)
        ).fetchall()


def _max_notification_id(database: Path) -> int:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=30) as connection:
        return connection.execute("SELECT COALESCE(MAX(id), 0) FROM incidents_notification")\
            .fetchone()[0]


def _drain(database: Path, first_row: int) -> None:
    """Until no row is queued or sending (a killed worker's rows come back after
    ``STALE_SECONDS``), or ``DRAIN_SECONDS`` have passed."""
    deadline = time.monotonic() + DRAIN_SECONDS
    while time.monotonic() < deadline:
        if not [row for row in _rows(database, first_row) if row[1] in ("queued", "sending")]:
            return
        time.sleep(2)


def _pages(database: Path, first_row: int, sink: Path, worker_kills: list[float]) -> dict:
    expected = {row_id for row_id, state in _rows(database, first_row) if state != "cancelled"}
    arrivals: dict[int, list[float]] = defaultdict(list)
    for line in sink.read_text().splitlines() if sink.exists() else []:
        message = json.loads(line)
        at = datetime.fromisoformat(message["received_at"]).timestamp()
        for row_id in message.get("notifications", []):
            arrivals[row_id].append(at)
    delivered = expected & set(arrivals)
    in_flight = duplicates = 0
    for row_id in delivered:
        first, *again = sorted(arrivals[row_id])
        cut_off = any(0 <= kill - first <= KILL_WINDOW_SECONDS for kill in worker_kills)
        if cut_off and again:
            in_flight += 1
            again = again[1:]
        duplicates += len(again)
    return {
        "pages_expected": len(expected),
        "pages_delivered": len(delivered),
        "lost": len(expected - delivered),
        "duplicates": duplicates,
        "in_flight_at_kill": in_flight,
    }
