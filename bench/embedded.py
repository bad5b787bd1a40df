"""The portal exactly as a newcomer's ``make run`` starts it, for tests and the soak bench.

``make run`` on the embedded defaults (SQLite, the filesystem broker, no Redis) in a folder
of its own, under supervisord as ``supervisord.conf`` says; supervisorctl, with the same
configuration, tells which process has which pid. A SIGINT to the whole session is the
newcomer's Ctrl-C.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import time
from pathlib import Path

from .environment import PROJECT_ROOT
from .processes import free_port, http_request, spawn

SUPERVISORCTL = PROJECT_ROOT / ".venv" / "bin" / "supervisorctl"
CONFIG = PROJECT_ROOT / "supervisord.conf"
GROUP = "portal"  # supervisord.conf's [group:portal]
PROGRAMS = ("web", "sweeper", "worker", "beat", "sink")
# What a newcomer's shell does not have: the variables that pick PostgreSQL, Redis or
# demand system parts, or that move or turn off the development sink.
NOT_A_NEWCOMERS = (
    "DATABASE_URL", "REDIS_URL", "REQUIRE_SERVICES", "REQUIRE_BROWSER",
    "NOTIFICATION_SINK_URL", "SINK_PORT",
)
SPAWNED = re.compile(r"INFO spawned: '(\w+)' with pid (\d+)")
EXITED = re.compile(r"(?:INFO|WARN) exited: (\w+) \(")


class EmbeddedPortal:
    """``make run`` in ``var_dir`` on a free port; ``extra_env`` adds or overrides settings."""

    def __init__(self, var_dir: Path, *, extra_env: dict[str, str] | None = None):
        self.var_dir = var_dir
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = var_dir / "make-run.log"
        self.env = {k: v for k, v in os.environ.items() if k not in NOT_A_NEWCOMERS}
        self.env.update(PORT=str(self.port), PORTAL_VAR_DIR=str(var_dir), PYTHONUNBUFFERED="1")
        self.env.update(extra_env or {})
        self.process: subprocess.Popen | None = None
        var_dir.mkdir(parents=True, exist_ok=True)

    def start(self) -> None:
        self.process = spawn(["make", "run", f"PORT={self.port}"], env=self.env, log=self.log)

    def wait_healthy(self, timeout: float = 180) -> float:
        """Wait until ``/healthz`` answers 200; the seconds it took."""
        started = time.monotonic()
        while time.monotonic() - started < timeout:
            if self.process is not None and self.process.poll() is not None:
                raise RuntimeError(f"make run exited with {self.process.returncode}:\n"
                                   f"{self.tail()}")
            if self.healthy():
                return time.monotonic() - started
            time.sleep(0.25)
        raise TimeoutError(f"/healthz not healthy within {timeout:.0f} s\n{self.tail()}")

    def healthy(self) -> bool:
        try:
            status, _, _ = http_request(f"{self.base_url}/healthz", timeout=5)
        except OSError:
            return False
        return status == 200

    def pid(self, program: str) -> int | None:
        """The pid supervisord reports for ``program``, or None while it is not running."""
        answer = subprocess.run(
            [str(SUPERVISORCTL), "--configuration", str(CONFIG), "pid", f"{GROUP}:{program}"],
            env=self.env, capture_output=True, text=True, timeout=20, check=False,
        )
        text = answer.stdout.strip()
        return int(text) if text.isdigit() and text != "0" else None

    def kill(self, program: str) -> int:
        """SIGKILL ``program`` and the children of its pool: a crash, or the OOM killer."""
        pid = self.pid(program)
        if pid is None:
            raise RuntimeError(f"{program} is not running")
        with contextlib.suppress(ProcessLookupError):
            os.killpg(os.getpgid(pid), signal.SIGKILL)
        return pid

    def supervisor_log(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def spawns(self) -> dict[str, list[int]]:
        """Every pid supervisord has started, per program, in order."""
        started: dict[str, list[int]] = {}
        for name, pid in SPAWNED.findall(self.supervisor_log()):
            started.setdefault(name, []).append(int(pid))
        return started

    def deaths(self) -> dict[str, int]:
        """How many times each program exited without being asked to."""
        died: dict[str, int] = {}
        for name in EXITED.findall(self.supervisor_log()):
            died[name] = died.get(name, 0) + 1
        return died

    def sink_messages(self) -> list[dict]:
        """What the development sink has received, oldest first (its file's whole lines)."""
        try:
            text = (self.var_dir / "sink" / "messages.jsonl").read_text()
        except FileNotFoundError:
            return []
        return [json.loads(line) for line in text.splitlines(keepends=True)
                if line.endswith("\n")]

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.supervisor_log().splitlines()[-lines:])

    def stop(self, timeout: float = 60) -> int | None:
        """Ctrl-C at the terminal: SIGINT to the whole session; its exit code."""
        if self.process is None:
            return None
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGINT)
        try:
            code = self.process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
            code = self.process.wait()
        return code

    def alive(self) -> list[int]:
        """The pids supervisord ever started that still run."""
        running = []
        for pids in self.spawns().values():
            for pid in pids:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    continue
                running.append(pid)
        return running

    def clean_up(self) -> None:
        # supervisord puts each program in a process group of its own: whatever a failed
        # stop left behind must not outlive the test or the bench.
        for pids in self.spawns().values():
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)

    def __enter__(self) -> EmbeddedPortal:
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()
        self.clean_up()
