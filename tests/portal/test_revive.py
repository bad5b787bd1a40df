"""A process that supervisord gave up on (FATAL) is started again, with a capped backoff."""

import itertools
import subprocess
import sys
import time
from pathlib import Path

from portal import revive

SUPERVISORD = Path(sys.executable).parent / "supervisord"
SUPERVISORCTL = Path(sys.executable).parent / "supervisorctl"

# Fails its first four starts at once (a database still locked, say), then stays up.
FLAKY = """
import pathlib, sys, time
tries = pathlib.Path(sys.argv[1])
count = int(tries.read_text() or 0) + 1 if tries.exists() else 1
tries.write_text(str(count))
if count <= 4:
    sys.exit(1)
time.sleep(600)
"""


def test_the_wait_doubles_from_the_first_and_stops_at_the_cap():
    waits = [revive.wait_before(attempt) for attempt in range(1, 10)]

    assert waits[0] == revive.FIRST_WAIT_SECONDS
    assert all(later == min(2 * earlier, revive.MAX_WAIT_SECONDS)
               for earlier, later in itertools.pairwise(waits))
    assert waits[-1] == revive.MAX_WAIT_SECONDS


def test_a_process_supervisord_gave_up_on_is_started_until_it_runs(tmp_path):
    (tmp_path / "flaky.py").write_text(FLAKY)
    config = tmp_path / "supervisord.conf"
    config.write_text(f"""
[supervisord]
nodaemon=true
logfile={tmp_path}/supervisord.log
pidfile={tmp_path}/supervisord.pid
[unix_http_server]
file={tmp_path}/s.sock
[supervisorctl]
serverurl=unix://{tmp_path}/s.sock
[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface
[program:flaky]
command={sys.executable} {tmp_path}/flaky.py {tmp_path}/tries
startsecs=1
startretries=1
[eventlistener:revive]
command={sys.executable} -m portal.revive
directory={Path(revive.__file__).parent.parent}
environment=REVIVE_FIRST_WAIT_SECONDS="0.2"
events=PROCESS_STATE_FATAL,PROCESS_STATE_RUNNING
""")
    supervisord = subprocess.Popen([SUPERVISORD, "--configuration", config])
    try:
        deadline = time.monotonic() + 40
        status = ""
        while time.monotonic() < deadline and "RUNNING" not in status:
            time.sleep(0.5)
            status = subprocess.run(
                [SUPERVISORCTL, "--configuration", config, "status", "flaky"],
                capture_output=True, text=True, check=False,
            ).stdout
    finally:
        supervisord.terminate()
        supervisord.wait(30)

    log = (tmp_path / "supervisord.log").read_text()
    assert "RUNNING" in status, log
    assert log.count("gave up: flaky entered FATAL state") >= 2, log
    assert (tmp_path / "tries").read_text() == "5"
