"""Load generators and the arithmetic on their latencies.

``wrk`` is used when it is installed: it is written in C and leaves the cores to the server.
Otherwise a small threaded client built on ``http.client`` does the same job, less efficiently.
Both keep their connections alive and report the same :class:`LoadResult`.
"""

from __future__ import annotations

import http.client
import json
import math
import os
import shutil
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from urllib.parse import urlsplit

WRK = "wrk"
PYTHON = "python"
MARKER = "BENCH-SUMMARY "

# wrk calls ``response`` for every reply in each of its threads, then ``done`` once at the end
# in the main thread, where ``thread:get`` reads each thread's counters.
WRK_SCRIPT = """
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  not_ok = 0
end

METHOD_AND_BODY

function response(status, headers, body)
  if status < 200 or status > 299 then
    not_ok = not_ok + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("not_ok")
  end
  local e = summary.errors
  io.write(string.format(
    '%s{"requests": %d, "duration_us": %d, "non_2xx": %d, "errors": %d, '
    .. '"p50_us": %f, "p90_us": %f, "p99_us": %f, "max_us": %f, "mean_us": %f}\\n',
    "MARKER", summary.requests, summary.duration, bad,
    e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.max, latency.mean))
end
"""


def _wrk_script(method: str, body_file: str | None) -> str:
    """The script above, with the request's method and, read from a file, its body."""
    setup = f"wrk.method = {json.dumps(method)}"
    if body_file:
        setup += f"\nlocal body = io.open({json.dumps(body_file)}, 'rb')"
        setup += "\nwrk.body = body:read('*a')\nbody:close()"
    return WRK_SCRIPT.replace("MARKER", MARKER).replace("METHOD_AND_BODY", setup)


def percentile(values, p: float) -> float:
    """The ``p``-th percentile (0–100) of ``values``, interpolating between neighbours."""
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= p <= 100:
        raise ValueError(f"percentile {p} is outside 0–100")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * p / 100
    low, high = math.floor(rank), math.ceil(rank)
    if low == high:
        return float(ordered[low])
    weight = rank - low
    return float(ordered[low] * (1 - weight) + ordered[high] * weight)


def ratio(numerator: float, denominator: float, digits: int = 3) -> float:
    """``numerator / denominator`` rounded, or 0.0 when the denominator is zero."""
    if not denominator:
        return 0.0
    return round(numerator / denominator, digits)


@dataclass(frozen=True)
class LoadResult:
    """What one measured window of load produced."""

    url: str
    generator: str
    connections: int
    duration_s: float
    requests: int
    non_2xx: int
    errors: int
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float

    @property
    def rps(self) -> float:
        return self.requests / self.duration_s if self.duration_s else 0.0

    def figures(self, prefix: str) -> dict[str, float | int]:
        """Flat figures named ``<prefix>_rps``, ``<prefix>_p50_ms``, … for a result file."""
        figures: dict[str, float | int] = {
            f"{prefix}_rps": round(self.rps, 1),
            f"{prefix}_p50_ms": round(self.p50_ms, 2),
            f"{prefix}_p90_ms": round(self.p90_ms, 2),
            f"{prefix}_p99_ms": round(self.p99_ms, 2),
            f"{prefix}_max_ms": round(self.max_ms, 2),
            f"{prefix}_requests": self.requests,
        }
        if self.non_2xx:
            figures[f"{prefix}_non_2xx"] = self.non_2xx
        if self.errors:
            figures[f"{prefix}_errors"] = self.errors
        return figures


def choose_generator() -> str:
    """``wrk`` when installed, unless ``BENCH_LOAD_GENERATOR=python`` asks for the fallback."""
    wanted = os.environ.get("BENCH_LOAD_GENERATOR", "").strip().lower()
    if wanted == PYTHON:
        return PYTHON
    if shutil.which(WRK):
        return WRK
    if wanted == WRK:
        raise RuntimeError("BENCH_LOAD_GENERATOR=wrk but wrk is not installed")
    return PYTHON


@dataclass(frozen=True)
class _Request:
    method: str
    headers: dict[str, str]
    body: bytes | None


def run_load(
    url: str,
    *,
    connections: int,
    duration: float,
    headers: dict[str, str] | None = None,
    method: str = "GET",
    body: bytes | None = None,
    generator: str | None = None,
) -> LoadResult:
    """Send ``method url`` over ``connections`` kept-alive connections for ``duration`` s.

    Every request is the same: same headers, same ``body`` (give its Content-Type header).
    """
    generator = generator or choose_generator()
    request = _Request(method.upper(), dict(headers or {}), body)
    if generator == WRK:
        return _run_wrk(url, connections, duration, request)
    return _run_threads(url, connections, duration, request)


def _run_wrk(url: str, connections: int, duration: float, request: _Request) -> LoadResult:
    seconds = max(1, math.ceil(duration))
    # One wrk thread drives far more requests than Django can answer and leaves the cores to
    # the server; more threads only when asked for.
    threads = max(1, min(connections, int(os.environ.get("BENCH_WRK_THREADS", "1"))))
    with tempfile.TemporaryDirectory(prefix="wrk-") as folder:
        body_file = None
        if request.body is not None:
            body_file = os.path.join(folder, "body")
            with open(body_file, "wb") as output:
                output.write(request.body)
        script = os.path.join(folder, "bench.lua")
        with open(script, "w") as output:
            output.write(_wrk_script(request.method, body_file))
        completed = _wrk(url, seconds, threads, connections, script, request.headers)
    summary = None
    for line in completed.stdout.splitlines():
        if line.startswith(MARKER):
            summary = json.loads(line[len(MARKER) :])
    if completed.returncode != 0 or summary is None:
        raise RuntimeError(
            f"wrk failed (exit {completed.returncode}): {completed.stderr or completed.stdout}"
        )
    if summary["duration_us"] < seconds * 0.9e6:
        # wrk stops early and reports normally when it is interrupted: not a measurement.
        raise RuntimeError(f"wrk stopped after {summary['duration_us'] / 1e6:.1f} s of {seconds}")
    if not summary["requests"]:
        raise RuntimeError(f"wrk completed no request against {url}: {completed.stdout}")
    return LoadResult(
        url=url,
        generator=WRK,
        connections=connections,
        duration_s=summary["duration_us"] / 1e6,
        requests=summary["requests"],
        non_2xx=summary["non_2xx"],
        errors=summary["errors"],
        p50_ms=summary["p50_us"] / 1000,
        p90_ms=summary["p90_us"] / 1000,
        p99_ms=summary["p99_us"] / 1000,
        max_ms=summary["max_us"] / 1000,
        mean_ms=summary["mean_us"] / 1000,
    )


def _wrk(url, seconds, threads, connections, script, headers) -> subprocess.CompletedProcess:
    command = [
        WRK,
        f"--threads={threads}",
        f"--connections={connections}",
        f"--duration={seconds}s",
        "--timeout=10s",
        f"--script={script}",
    ]
    for name, value in headers.items():
        command += ["--header", f"{name}: {value}"]
    command.append(url)
    return subprocess.run(
        command, capture_output=True, text=True, timeout=seconds + 30, check=False
    )


class _Client(threading.Thread):
    """One kept-alive connection sending requests back to back until the deadline."""

    def __init__(self, host: str, port: int, target: str, request: _Request, deadline: float):
        super().__init__(daemon=True)
        self.host, self.port, self.target = host, port, target
        self.request, self.deadline = request, deadline
        self.latencies: list[float] = []
        self.non_2xx = 0
        self.errors = 0

    def run(self) -> None:
        connection = None
        while time.perf_counter() < self.deadline:
            if connection is None:
                connection = http.client.HTTPConnection(self.host, self.port, timeout=10)
            started = time.perf_counter()
            try:
                connection.request(
                    self.request.method,
                    self.target,
                    body=self.request.body,
                    headers=self.request.headers,
                )
                response = connection.getresponse()
                response.read()
            except (OSError, http.client.HTTPException):
                self.errors += 1
                connection.close()
                connection = None
                continue
            self.latencies.append(time.perf_counter() - started)
            if not 200 <= response.status <= 299:
                self.non_2xx += 1
            if response.will_close:
                connection.close()
                connection = None
        if connection is not None:
            connection.close()


def _run_threads(url: str, connections: int, duration: float, request: _Request) -> LoadResult:
    parts = urlsplit(url)
    target = parts.path or "/"
    if parts.query:
        target += "?" + parts.query
    started = time.perf_counter()
    deadline = started + duration
    clients = [
        _Client(parts.hostname, parts.port or 80, target, request, deadline)
        for _ in range(connections)
    ]
    for client in clients:
        client.start()
    for client in clients:
        client.join()
    elapsed = time.perf_counter() - started
    latencies = [value for client in clients for value in client.latencies]
    if not latencies:
        raise RuntimeError(f"the load generator completed no request against {url}")
    return LoadResult(
        url=url,
        generator=PYTHON,
        connections=connections,
        duration_s=elapsed,
        requests=len(latencies),
        non_2xx=sum(client.non_2xx for client in clients),
        errors=sum(client.errors for client in clients),
        p50_ms=percentile(latencies, 50) * 1000,
        p90_ms=percentile(latencies, 90) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
        max_ms=max(latencies) * 1000,
        mean_ms=sum(latencies) / len(latencies) * 1000,
    )
