"""Embedded smoke test: `make run` on the defaults, /healthz healthy, log in as commander.

Started by .ci/run after the suite. Stdlib only, so it needs nothing installed.
"""

import http.cookiejar
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request

DEADLINE_S = 300


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def main() -> int:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    env.update(PORT=str(port), PORTAL_VAR_DIR=tempfile.mkdtemp(prefix="portal-smoke-"))
    log = open(os.path.join(env["PORTAL_VAR_DIR"], "run.log"), "w+")  # noqa: SIM115
    proc = subprocess.Popen(
        ["make", "run", f"PORT={port}"], env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        health = wait_healthy(base, proc)
        print(f"smoke: /healthz 200 {json.dumps(health)}")
        login_as_commander(base)
        print("smoke: logged in as commander through the login form")
        return 0
    except Exception as exc:
        log.seek(0)
        print(f"smoke FAILED: {exc}\n--- make run output ---\n{log.read()[-6000:]}")
        return 1
    finally:
        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def wait_healthy(base: str, proc: subprocess.Popen) -> dict:
    started = time.monotonic()
    last = "no answer yet"
    while time.monotonic() - started < DEADLINE_S:
        if proc.poll() is not None:
            raise RuntimeError(f"make run exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=5) as response:
                return json.load(response)
        except urllib.error.HTTPError as error:
            last = f"{error.code} {error.read()[:300]!r}"
        except OSError as error:
            last = str(error)
        time.sleep(1)
    raise RuntimeError(f"/healthz not healthy after {DEADLINE_S}s: {last}")


def login_as_commander(base: str) -> None:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    form = opener.open(f"{base}/accounts/login/", timeout=10).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form).group(1)
    data = urllib.parse.urlencode(
        {"csrfmiddlewaretoken": token, "username": "commander", "password": "portal-demo"}
    ).encode()
    request = urllib.request.Request(
        f"{base}/accounts/login/", data=data, headers={"Referer": f"{base}/accounts/login/"}
    )
    home = opener.open(request, timeout=10)
    page = home.read().decode()
    if home.url.rstrip("/") != base or "Cole Mensah" not in page:
        raise RuntimeError(f"login did not land on the home page as commander: {home.url}")


if __name__ == "__main__":
    sys.exit(main())
