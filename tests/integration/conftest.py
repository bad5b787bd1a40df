"""Real processes for the integration tests: a Redis, Celery workers and beat of their own.

They run against the pytest-django test database, so the tests that use them are
transactional: what a test commits, the subprocesses see, and what they commit, the test
reads back. They need PostgreSQL (``DATABASE_URL``) and ``redis-server``; without them the
tests skip, or fail when ``REQUIRE_SERVICES=1``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from bench.processes import spawn
from tests.conftest import need, need_program

from . import kinds  # the probe kind fires in this process too

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).parent / "celery")
SUBPROCESS_SETTINGS = "tests.integration.settings"
STOP_GRACE_SECONDS = 5.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(check, *, timeout: float, what: str, interval: float = 0.1, details=None):
    """Poll ``check()`` until it returns something truthy; return that, or fail after
    ``timeout`` seconds saying ``what`` did not happen (with ``details()`` appended)."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            extra = f"\n{details()}" if details else ""
            pytest.fail(f"{what} did not happen within {timeout:g} s{extra}")
        time.sleep(interval)


def database_url() -> str:
    """The URL of the test database pytest-django created (``test_<name>``)."""
    db = connection.settings_dict
    user = quote(db.get("USER") or "", safe="")
    password = quote(db.get("PASSWORD") or "", safe="")
    credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = db.get("HOST") or "127.0.0.1"
    port = db.get("PORT") or "5432"
    return f"postgres://{credentials}{host}:{port}/{quote(db['NAME'], safe='')}"


@dataclass
class Process:
    name: str
    popen: subprocess.Popen
    log: Path

    @property
    def running(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        try:
            return self.log.read_text(errors="replace")
        except OSError:
            return ""

    def tail(self, lines: int = 25) -> str:
        return "\n".join(self.output().splitlines()[-lines:])

    def signal_group(self, signum: int) -> None:
        # Each process leads its own group: the signal reaches the prefork children too.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.popen.pid, signum)

    def kill(self) -> None:
        """SIGKILL, no warm shutdown: what a crash or the OOM killer does."""
        self.signal_group(signal.SIGKILL)
        self.popen.wait()

    def stop(self) -> None:
        if self.running:
            self.signal_group(signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.popen.wait(timeout=STOP_GRACE_SECONDS)
        # The leader may have exited while a child lingers: the group gets SIGKILL anyway.
        self.signal_group(signal.SIGKILL)
        self.popen.wait()


class Stack:
    """One test's Redis, workers and beat; everything started is stopped by :meth:`stop_all`."""

    def __init__(
        self, workdir: Path, *, sweep_interval: float = 1.0, seconds_per_minute: float = 0
    ):
        self.workdir = workdir
        self.redis_port = free_port()
        self.redis_url = f"redis://127.0.0.1:{self.redis_port}/0"
        self.processes: list[Process] = []
        self._starts = 0
        self.redis_process: Process | None = None
        var = workdir / "var"
        var.mkdir(parents=True, exist_ok=True)
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": SUBPROCESS_SETTINGS,
            "DATABASE_URL": database_url(),
            "REDIS_URL": self.redis_url,
            "PORTAL_VAR_DIR": str(var),
            "SECRET_KEY": settings.SECRET_KEY,  # the test reads the ack tokens they sign
            "PORTAL_BASE_URL": settings.PORTAL_BASE_URL,
            "SWEEP_INTERVAL_SECONDS": str(sweep_interval),
            "PYTHONPATH": os.pathsep.join(
                p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p
            ),
            "PYTHONUNBUFFERED": "1",
            "LOG_LEVEL": "INFO",
        }
        if seconds_per_minute:
            # Escalation steps a minute apart run this many seconds apart (see kinds.py).
            self.env[kinds.SECONDS_PER_MINUTE] = str(seconds_per_minute)

    # --- processes ----------------------------------------------------------------------
    def _start(self, name: str, command: list[str]) -> Process:
        self._starts += 1
        log = self.workdir / f"{self._starts:02d}-{name}.log"
        process = Process(name, spawn(command, env=self.env, log=log), log)
        self.processes.append(process)
        return process

    def start_worker(
        self, name: str = "worker", *, queues: str = "sweep,deliver,slow", concurrency: int = 2,
        wait: bool = True,
    ) -> Process:
        command = [
            CELERY, "-A", "portal", "worker", "--queues", queues,
            "--concurrency", str(concurrency), "--pool", "prefork",
            "--hostname", f"{name}-{self._starts + 1}@%h", "--loglevel", "INFO",
            "--without-mingle", "--without-gossip", "--include", kinds.__name__,
        ]
        process = self._start(name, command)
        if wait:
            self.wait_ready(process, " ready.")
        return process

    def start_beat(self, *, wait: bool = True) -> Process:
        schedule = self.workdir / f"beat-schedule-{self._starts + 1}"
        # DEBUG: beat's line for each task it sends, the sign that it runs, is a routine
        # task's line (settings.ROUTINE_TASKS), kept off an INFO console.
        command = [
            CELERY, "-A", "portal", "beat", "--loglevel", "DEBUG", "--schedule", str(schedule),
        ]
        process = self._start("beat", command)
        if wait:
            self.wait_ready(process, "Sending due task")
        return process

    def wait_ready(self, process: Process, marker: str, timeout: float = 60) -> None:
        def ready():
            if not process.running:
                pytest.fail(f"{process.name} exited with {process.popen.returncode}:\n"
                            f"{process.tail()}")
            return marker in process.output()

        wait_until(ready, timeout=timeout, what=f"{process.name} ready", details=self.tails)

    # --- redis --------------------------------------------------------------------------
    def start_redis(self) -> Process:
        command = [
            need_program("redis-server"), "--port", str(self.redis_port), "--bind", "127.0.0.1",
            "--save", "", "--appendonly", "no", "--dir", str(self.workdir),
        ]
        self.redis_process = self._start("redis", command)
        wait_until(self._redis_answers, timeout=20, what="redis-server answering PING",
                   details=self.tails)
        return self.redis_process

    def stop_redis(self) -> None:
        if self.redis_process is not None:
            self.redis_process.stop()
            self.redis_process = None

    def restart_redis(self, down_for: float = 1.0) -> None:
        """Stop Redis (its queues vanish: nothing is persisted) and start it again."""
        self.stop_redis()
        time.sleep(down_for)
        self.start_redis()

    def redis(self):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.redis_port, socket_timeout=2)

    def flushall(self) -> None:
        self.redis().flushall()

    def _redis_answers(self) -> bool:
        try:
            return bool(self.redis().ping())
        except Exception:  # refused or not yet listening
            return False

    # --- the end ------------------------------------------------------------------------
    def check_alive(self, *processes: Process) -> None:
        for process in processes:
            if not process.running:
                pytest.fail(
                    f"{process.name} exited with {process.popen.returncode}:\n{process.tail()}"
                )

    def tails(self) -> str:
        return "\n".join(
            f"--- {p.name} ({p.log.name}) ---\n{p.tail()}" for p in self.processes
        )

    def stop_all(self) -> None:
        # Workers and beat (newest first) before the Redis they talk to.
        newest_first = self.processes[::-1]
        for process in [p for p in newest_first if p.name != "redis"]:
            process.stop()
        for process in [p for p in newest_first if p.name == "redis"]:
            process.stop()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


@pytest.fixture
def postgres(transactional_db):
    """The test database, committed for real, and only on PostgreSQL (SKIP LOCKED claims,
    several processes at once)."""
    need(
        connection.vendor == "postgresql",
        "integration tests need PostgreSQL: set DATABASE_URL=postgres://…",
    )
    need_program("redis-server")


@pytest.fixture
def stack_factory(postgres, tmp_path, request):
    """``stack_factory(sweep_interval=…)`` → a :class:`Stack` with its Redis running."""
    stacks = []

    def make(**options) -> Stack:
        stack = Stack(tmp_path / f"stack{len(stacks)}", **options)
        stacks.append(stack)
        stack.start_redis()
        return stack

    yield make
    for stack in stacks:
        stack.stop_all()
    failed = getattr(request.node, "report_call", None)
    if failed is not None and failed.failed:
        for stack in stacks:
            print(stack.tails())
    # The test's own threads may have opened connections; the flush that follows needs none.
    connection.close()
