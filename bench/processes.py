"""Starting the portal's processes for a measurement, and stopping every one of them.

Each process runs in a session of its own, so that a Ctrl-C at the terminal reaches only the
bench, which then stops them in order: the whole process group, politely first, then for good.
"""

from __future__ import annotations

import configparser
import contextlib
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .environment import PROJECT_ROOT

SUPERVISOR_CONFIG = PROJECT_ROOT / "supervisord.conf"
# What the Makefile exports for supervisord.conf when the environment does not say.
MAKE_DEFAULTS = {"PORT": "8000", "WEB_CONCURRENCY": "3", "WORKER_CONCURRENCY": "4"}
STOP_GRACE_SECONDS = 8.0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def log_tail(path: Path, lines: int = 30) -> str:
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return ""
    return "\n".join(text.splitlines()[-lines:])


@dataclass
class Managed:
    name: str
    process: subprocess.Popen
    log: Path

    def running(self) -> bool:
        return self.process.poll() is None


def spawn(command: list[str], *, env: dict[str, str], log: Path) -> subprocess.Popen:
    """Start ``command`` in the project folder, its output appended to ``log``, in a session
    of its own so that stopping it stops its children too (gunicorn's and Celery's workers)."""
    with open(log, "ab") as output:
        return subprocess.Popen(
            command,
            cwd=PROJECT_ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


class Processes:
    """The processes one scenario started; :meth:`stop_all` ends them, newest first."""

    def __init__(self, env: dict[str, str], logdir: Path):
        self.env = env
        self.logdir = logdir
        self.started: list[Managed] = []

    def start(self, name: str, command: list[str]) -> Managed:
        log = self.logdir / f"{name}.log"
        process = spawn(command, env=self.env, log=log)
        managed = Managed(name, process, log)
        self.started.append(managed)
        return managed

    def start_gunicorn(self, port: int, *, workers: int, threads: int) -> Managed:
        """The portal's WSGI app as ``make run`` serves it, without the per-request access log."""
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            "portal.wsgi",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            f"--threads={threads}",
            "--log-level=warning",
        ]
        return self.start("web", command)

    def start_program(self, name: str) -> Managed:
        """Start ``supervisord.conf``'s ``name`` program (``beat``, ``sweeper``, ``worker``) as
        written there, on its own: the bench stops and kills it, not supervisord."""
        command = program_command(name, self.env)
        return self.start(name, command)

    def check_alive(self) -> None:
        """Raise, with the end of its log, when a started process has died."""
        for managed in self.started:
            if not managed.running():
                raise RuntimeError(
                    f"{managed.name} exited with {managed.process.returncode}:\n"
                    f"{log_tail(managed.log)}"
                )

    def tails(self, lines: int = 15) -> str:
        """The end of every started process's log, for an error message."""
        return "\n".join(
            f"--- {managed.name} ---\n{log_tail(managed.log, lines)}" for managed in self.started
        )

    def stop_all(self) -> None:
        while self.started:
            stop(self.started.pop())


def stop(managed: Managed) -> None:
    """SIGTERM the process group, wait a little, then SIGKILL whatever is left of it."""
    process = managed.process
    try:
        group = os.getpgid(process.pid)
    except ProcessLookupError:
        group = None
    if group is not None and group == process.pid:
        _signal_group(group, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=STOP_GRACE_SECONDS)
        # The leader may be gone while its children (gunicorn or celery workers) linger.
        _signal_group(group, signal.SIGKILL)
    elif process.poll() is None:
        process.kill()
    process.wait()


def _signal_group(group: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(group, signum)


def program_command(name: str, env: dict[str, str], path: Path = SUPERVISOR_CONFIG) -> list[str]:
    """The command of ``[program:name]`` in supervisord's configuration, with its
    ``%(ENV_…)s`` expansions filled in from ``env`` and its program found beside the
    running interpreter (the project's virtual environment, as ``make run`` has it)."""
    config = configparser.RawConfigParser()
    config.read(path)
    section = f"program:{name}"
    if not config.has_section(section):
        programs = [s.split(":", 1)[1] for s in config.sections() if s.startswith("program:")]
        raise KeyError(f"no {name!r} program in {path.name} (it has {', '.join(programs)})")
    expansions = {f"ENV_{key}": value for key, value in {**MAKE_DEFAULTS, **env}.items()}
    expansions.update(program_name=name, here=str(path.parent))
    words = shlex.split(config.get(section, "command") % expansions)
    beside = Path(sys.executable).parent / words[0]
    if beside.exists():
        words[0] = str(beside)
    return words


def http_request(
    url: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10,
):
    """One request, redirects not followed: ``(status, headers, body)``."""
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, data=body, headers=headers or {}, method=method)
    try:
        with opener.open(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def wait_for(url: str, *, processes: Processes, timeout: float, want_status=None) -> int:
    """Poll ``url`` until it answers (with ``want_status`` if given); the last status seen."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        processes.check_alive()
        try:
            last, _, _ = http_request(url, timeout=5)
        except OSError:
            last = None
        if last is not None and (want_status is None or last == want_status):
            return last
        if time.monotonic() > deadline:
            raise TimeoutError(
                f"{url} did not answer {want_status or ''} in {timeout:.0f} s (last: {last})"
            )
        time.sleep(0.2)
