"""A supervisord event listener that never lets a process of the portal stay dead.

supervisord restarts a process that exits after it has started, but one that fails to start
``startretries`` times in a row (a database locked for a minute, a broker restarting) is left
FATAL for good. This listener starts it again after a backoff that doubles from
``FIRST_WAIT_SECONDS`` up to ``MAX_WAIT_SECONDS`` and then stays there, for as long as it
takes; a process that reaches RUNNING starts the doubling afresh.

It speaks supervisord's listener protocol on stdin/stdout, so it logs to stderr only.
"""

import logging
import os
import sys
import threading
from xmlrpc.client import Fault

from supervisor import childutils

FIRST_WAIT_SECONDS = float(os.environ.get("REVIVE_FIRST_WAIT_SECONDS", "5"))
MAX_WAIT_SECONDS = 60.0

log = logging.getLogger("portal.revive")


def wait_before(attempt: int) -> float:
    """Seconds to wait before the ``attempt``-th revival in a row (1, 2, …)."""
    return min(MAX_WAIT_SECONDS, FIRST_WAIT_SECONDS * 2 ** (attempt - 1))


class Reviver:
    def __init__(self, rpc_factory):
        # ``rpc_factory()`` → an XML-RPC proxy of the supervisord that sends the events.
        self.rpc_factory = rpc_factory
        self.attempts: dict[str, int] = {}
        self.lock = threading.Lock()

    def on_event(self, event: str, name: str) -> None:
        with self.lock:
            if event == "PROCESS_STATE_RUNNING":
                self.attempts.pop(name, None)
                return
            if event != "PROCESS_STATE_FATAL":
                return
            attempt = self.attempts[name] = self.attempts.get(name, 0) + 1
        wait = wait_before(attempt)
        log.warning("%s could not start; starting it again in %.0f s (revival %d)",
                    name, wait, attempt)
        timer = threading.Timer(wait, self.start, args=(name,))
        timer.daemon = True
        timer.start()

    def start(self, name: str) -> None:
        try:
            # One proxy per call: the timers run on threads of their own.
            self.rpc_factory().supervisor.startProcess(name, False)
        except Fault as fault:
            # ALREADY_STARTED: someone (supervisorctl) was quicker. Anything else is logged;
            # the process is FATAL again and a new event brings a new try.
            log.warning("starting %s again: %s", name, fault.faultString)
        except OSError:
            log.exception("starting %s again: supervisord did not answer", name)


def main() -> None:
    logging.basicConfig(stream=sys.stderr, format="%(asctime)s revive %(message)s",
                        level=logging.INFO)
    reviver = Reviver(lambda: childutils.getRPCInterface(os.environ))
    while True:
        headers, payload = childutils.listener.wait(sys.stdin, sys.stdout)
        fields, _ = childutils.eventdata(payload + "\n")
        # supervisord names a process of a group "group:process" in its calls.
        name = f"{fields.get('groupname')}:{fields.get('processname')}"
        reviver.on_event(headers["eventname"], name)
        childutils.listener.ok(sys.stdout)


if __name__ == "__main__":
    main()
