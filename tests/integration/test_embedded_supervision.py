"""``make run`` on the embedded defaults keeps every process alive: a killed sweeper is started
again and the escalation that fell due meanwhile is delivered (to the development sink, where
a newcomer reads it); Ctrl-C still stops them all.

No PostgreSQL or Redis: this is the newcomer's portal, and it runs in both CI runs.
"""

import json

import pytest

from bench.embedded import EmbeddedPortal
from bench.processes import http_request
from tests.incidents.sinks import SmtpSink

from .conftest import wait_until

pytestmark = [pytest.mark.services]


def raise_demo_alert(portal: EmbeddedPortal, dedup_key: str) -> None:
    body = {"summary": f"Sign-up Zap failing ({dedup_key})", "severity": "critical",
            "dedup_key": dedup_key}
    status, _, answer = http_request(
        f"{portal.base_url}/integrations/webhook/demo-webhook-key/", method="POST",
        body=json.dumps(body).encode(), headers={"Content-Type": "application/json"},
    )
    assert status == 202, answer


def test_a_sweeper_killed_with_sigkill_is_restarted_and_the_next_escalation_delivered(tmp_path):
    with SmtpSink() as smtp, EmbeddedPortal(
        tmp_path / "var",
        extra_env={"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp.port),
                   "WEB_CONCURRENCY": "1", "WORKER_CONCURRENCY": "2"},
    ) as portal:
        portal.wait_healthy()
        killed = portal.kill("sweeper")

        # Declared while no sweeper runs: its first escalation step is a Timer row that
        # only a sweep can fire.
        raise_demo_alert(portal, "killed-sweeper")
        restarted = wait_until(
            lambda: (pid := portal.pid("sweeper")) not in (None, killed) and pid,
            timeout=60, what="the sweeper started again", details=portal.tail,
        )
        wait_until(
            lambda: [m for m in portal.sink_messages() if "killed-sweeper" in m["text"]],
            timeout=90, what="the page for the alert delivered to the development sink",
            details=lambda: f"sink: {[m['subject'] for m in portal.sink_messages()]}\n"
            f"{portal.tail()}",
        )

        assert "exited: sweeper (terminated by SIGKILL; not expected)" in portal.supervisor_log()
        assert portal.spawns()["sweeper"][-1] == restarted
        assert smtp.mails == [], "a page of the demo left for an e-mail address"
        for program in ("web", "worker", "beat", "sink"):
            assert len(portal.spawns()[program]) == 1, f"{program} restarted too"

        assert portal.stop() is not None
        assert portal.alive() == [], "Ctrl-C left processes running"
