"""What a scenario gets: a running portal, logged-in users, load, and the reference page."""

from __future__ import annotations

import http.cookiejar
import os
import re
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from .environment import BenchEnvironment
from .load import LoadResult, choose_generator, run_load
from .processes import NoRedirect, Processes, free_port, http_request, wait_for

BENCH_PASSWORD = "bench-portal-pass-7q"
REFERENCE_PATH = "/"


def _env_number(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{name} must be a number, not {raw!r}") from None
    if value < 0:
        raise ValueError(f"{name} must not be negative")
    return value


@dataclass(frozen=True)
class LoadSettings:
    """How hard and how long each measured window runs (``BENCH_*`` variables override)."""

    connections: int = 8
    duration: float = 10.0
    warmup: float = 2.0

    @classmethod
    def from_environment(cls) -> LoadSettings:
        return cls(
            connections=max(1, int(_env_number("BENCH_CONNECTIONS", cls.connections))),
            duration=max(1.0, _env_number("BENCH_DURATION", cls.duration)),
            warmup=_env_number("BENCH_WARMUP", cls.warmup),
        )


@dataclass(frozen=True)
class Login:
    """A logged-in session: send :attr:`headers` with each request."""

    username: str
    cookie: str
    csrf_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Cookie": self.cookie}

    @property
    def csrf_headers(self) -> dict[str, str]:
        """What an unsafe request (POST, …) adds to pass Django's CSRF check."""
        return {"X-CSRFToken": self.csrf_token}


class Context:
    """Handed to ``run(ctx)``. Everything it starts is stopped by :meth:`close`."""

    def __init__(self, scenario: str, bench: BenchEnvironment, settings: LoadSettings):
        self.scenario = scenario
        self.bench = bench
        self.settings = settings
        self.generator = choose_generator()
        self.logdir = Path(tempfile.mkdtemp(prefix=f"{scenario}-", dir=bench.workdir))
        self.processes = Processes(bench.env, self.logdir)
        self.web_workers = int(bench.env.get("WEB_CONCURRENCY") or 3)
        self.web_threads = 4
        self._base_url: str | None = None
        self._logins: dict[str, Login] = {}
        self._reference: LoadResult | None = None
        # A scenario that starts a portal of its own (soak) has no reference page to add.
        self.wants_reference = True
        self.load_before = os.getloadavg()[0]

    # --- labels -----------------------------------------------------------------------------
    @property
    def database(self) -> str:
        return self.bench.database

    @property
    def broker(self) -> str:
        return self.bench.broker

    def labels(self) -> dict[str, str | int | float]:
        """The figures every result file carries, whatever the scenario."""
        return {
            "database": self.database,
            "broker": self.broker,
            "load_generator": self.generator,
            "connections": self.settings.connections,
            "duration_s": self.settings.duration,
            "web_workers": self.web_workers,
            "web_threads": self.web_threads,
            "cpu_count": os.cpu_count() or 0,
            # Other work on the machine skews the figures; this says how busy it was.
            "load_avg_1m_before": round(self.load_before, 2),
        }

    def say(self, message: str) -> None:
        print(f"[{self.scenario}] {message}", file=sys.stderr, flush=True)

    # --- processes --------------------------------------------------------------------------
    def portal(self) -> str:
        """The base URL of the portal, started on first use: gunicorn, beat and the sweeper.

        Beat and the sweeper run as in production, so ``/healthz`` is healthy for real and
        pages render without the stale-sweep banner. Waits until ``/healthz`` answers 200.
        """
        if self._base_url is None:
            port = free_port()
            self.say(
                f"starting the portal on 127.0.0.1:{port} "
                f"({self.web_workers} workers x {self.web_threads} threads), beat and sweeper"
            )
            self.processes.start_gunicorn(port, workers=self.web_workers, threads=self.web_threads)
            self.processes.start_program("sweeper")
            self.processes.start_program("beat")
            base_url = f"http://127.0.0.1:{port}"
            try:
                wait_for(base_url + "/healthz", processes=self.processes, timeout=60)
                wait_for(
                    base_url + "/healthz", processes=self.processes, timeout=60, want_status=200
                )
            except TimeoutError as error:
                raise RuntimeError(f"{error}\n{self.processes.tails()}") from error
            self._base_url = base_url
        return self._base_url

    def start(self, *names: str) -> None:
        """Start more of supervisord.conf's programs: ``ctx.start("worker")`` for deliveries."""
        for name in names:
            self.processes.start_program(name)

    def url(self, path: str) -> str:
        base = self._base_url or self.portal()
        return base + path

    def close(self) -> None:
        self.processes.stop_all()

    # --- users ------------------------------------------------------------------------------
    def login(self, username: str = "bench", roles: tuple[str, ...] | None = None) -> Login:
        """A user (created or updated, holding ``roles``) logged in through the real form.

        The default user holds the Incident commanders role.
        """
        if username in self._logins:
            return self._logins[username]
        from django.contrib.auth import get_user_model
        from django.contrib.auth.models import Group
        from django.db import connections

        from portal.roles import COMMANDERS

        user_model = get_user_model()
        user, _ = user_model.objects.get_or_create(
            username=username, defaults={"first_name": username.title()}
        )
        user.set_password(BENCH_PASSWORD)
        user.is_active = True
        user.save()
        names = (COMMANDERS,) if roles is None else roles
        user.groups.set([Group.objects.get_or_create(name=name)[0] for name in names])
        connections.close_all()

        login = self._form_login(username, BENCH_PASSWORD)
        self._logins[username] = login
        return login

    def _form_login(self, username: str, password: str) -> Login:
        jar = http.cookiejar.CookieJar()
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
        login_url = self.url("/accounts/login/")
        with opener.open(login_url, timeout=10) as response:
            page = response.read().decode()
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if not match:
            raise RuntimeError("the login page has no CSRF token")
        form = urllib.parse.urlencode(
            {"username": username, "password": password, "csrfmiddlewaretoken": match.group(1)}
        ).encode()
        request = urllib.request.Request(login_url, data=form, headers={"Referer": login_url})
        try:
            with opener.open(request, timeout=30) as response:
                status = response.status
        except urllib.error.HTTPError as error:
            status = error.code
        cookies = {cookie.name: cookie.value for cookie in jar}
        if status != 302 or "sessionid" not in cookies:
            raise RuntimeError(f"logging in as {username} failed (status {status})")
        cookie = "; ".join(f"{name}={value}" for name, value in sorted(cookies.items()))
        return Login(username, cookie, cookies.get("csrftoken", ""))

    # --- load -------------------------------------------------------------------------------
    def load(
        self,
        path: str,
        *,
        login: Login | None = None,
        method: str = "GET",
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        connections: int | None = None,
        duration: float | None = None,
        warmup: float | None = None,
        expect: int = 200,
    ) -> LoadResult:
        """Warm up, then measure ``path`` under load; one request first must answer ``expect``.

        A POST as a logged-in user needs ``login.csrf_headers`` (or a view exempt from CSRF).
        """
        url = self.url(path)
        all_headers = dict(login.headers if login else {})
        all_headers.update(headers or {})
        status, answer, _ = http_request(url, method=method, body=body, headers=all_headers)
        if status != expect:
            where = answer.get("Location", "")
            raise RuntimeError(f"{method} {path} answered {status} {where}, not {expect}")
        connections = connections or self.settings.connections
        duration = self.settings.duration if duration is None else duration
        warmup = self.settings.warmup if warmup is None else warmup
        request = {"headers": all_headers, "method": method, "body": body}
        if warmup > 0:
            self.say(f"warming up {method} {path} for {warmup:g} s")
            run_load(
                url, connections=connections, duration=warmup, generator=self.generator, **request
            )
        self.say(f"measuring {method} {path}: {connections} connections x {duration:g} s")
        result = run_load(
            url, connections=connections, duration=duration, generator=self.generator, **request
        )
        self.processes.check_alive()
        if result.non_2xx or result.errors:
            self.say(
                f"warning: {path} had {result.non_2xx} non-2xx answers "
                f"and {result.errors} connection errors"
            )
        return result

    def reference_page(self) -> LoadResult:
        """The trivial logged-in page (``/``), measured once per scenario run."""
        if self._reference is None:
            self._reference = self.load(REFERENCE_PATH, login=self.login())
        return self._reference

    def reference_figures(self) -> dict[str, float | int]:
        """``page_rps``, ``page_p50_ms``, ``page_p99_ms``, … of :meth:`reference_page`."""
        return self.reference_page().figures("page")
