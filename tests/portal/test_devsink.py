"""The development sink (`python -m portal.devsink`): what it accepts and refuses, the file a
reader (the soak bench) takes whole lines from, the console line and the page a newcomer
reads; and the setting that sends a local portal's notifications there, never production's."""

import ast
import json
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from portal import devsink
from tests.incidents.sinks import free_port, wait_until
from tests.portal.conftest import ROOT

RECEIVED_AT = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}\+00:00$")
ACK = "http://127.0.0.1:8000/ack/eyJpIjo3fQ:1tAbCd:xYz-09_/"


class RunningSink:
    """``python -m portal.devsink`` in a process of its own, as supervisord starts it."""

    def __init__(self, folder: Path, *extra: str):
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "portal.devsink", "--port", str(self.port),
             "--folder", str(folder), *extra],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        if not wait_until(self._answers, timeout=20):
            self.stop()
            raise RuntimeError(f"the sink did not start: {self.process.communicate()}")

    def _answers(self) -> bool:
        with socket.socket() as probe:
            return probe.connect_ex(("127.0.0.1", self.port)) == 0

    def post(self, body: bytes | dict) -> tuple[int, dict]:
        data = body if isinstance(body, bytes) else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}/messages", data=data, method="POST",
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=10) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")

    def page(self, query: str = "") -> str:
        with urllib.request.urlopen(f"{self.url}/{query}", timeout=10) as answer:
            assert answer.headers["Content-Type"] == "text/html; charset=utf-8"
            return answer.read().decode()

    def lines(self) -> list[bytes]:
        return (self.folder / "messages.jsonl").read_bytes().splitlines(keepends=True)

    def stop(self) -> tuple[str, str]:
        """SIGTERM, as supervisord stops it; its output."""
        self.process.send_signal(signal.SIGTERM)
        out, err = self.process.communicate(timeout=20)
        assert self.process.returncode == 0, err
        return out, err


@pytest.fixture
def running(tmp_path):
    started = []

    def start(*extra: str, folder: Path | None = None) -> RunningSink:
        sink = RunningSink(folder or tmp_path / "sink", *extra)
        started.append(sink)
        return sink

    yield start
    for sink in started:
        if sink.process.poll() is None:
            sink.process.kill()
            sink.process.communicate()


def message(n: int = 1, **fields) -> dict:
    return {
        "kind": "sms", "address": "+447700900123", "urgency": "urgent",
        "subject": f"[URGENT] SEV1 INC-{n}: Sign-up Zap failing",
        "text": f"[URGENT] SEV1 INC-{n} Sign-up Zap failing {ACK}",
        "identity": f"notification-{n}.abc@127.0.0.1", "notifications": [n], **fields,
    }


def test_a_message_becomes_one_line_of_the_file_with_its_arrival_time(running):
    sink = running()
    status, answer = sink.post(message(7))
    assert status == 201
    [line] = sink.lines()
    assert line.endswith(b"\n")
    written = json.loads(line)
    assert written == {**message(7), "received_at": answer["received_at"]}
    assert RECEIVED_AT.match(written["received_at"])


@pytest.mark.parametrize(
    "body",
    [b"{not json", b'["a list"]', b'"text"', b'{"subject": NaN}', b"\xff\xfe{", b"[" * 100_000],
    ids=["broken", "list", "string", "nan", "not-utf8", "too-deep"],
)
def test_anything_but_a_json_object_is_refused_with_400_and_nothing_written(running, body):
    sink = running()
    assert sink.post(body)[0] == 400
    assert sink.post(message())[0] == 201  # and the sink still answers
    assert len(sink.lines()) == 1


def test_a_body_over_one_megabyte_is_refused_with_413(running):
    sink = running()
    status, _ = sink.post(message(text="x" * (devsink.MAX_BODY_BYTES + 1)))
    assert status == 413
    assert not (sink.folder / "messages.jsonl").read_bytes()


def test_messages_arriving_at_once_are_each_one_whole_line(running):
    sink = running()
    texts = {n: f"line one\nline two «{n}» " + "x" * (n * 997 % 30_000) for n in range(1, 61)}
    threads = [
        threading.Thread(target=sink.post, args=(message(n, text=texts[n]),))
        for n in texts
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = sink.lines()
    assert len(lines) == 60 and all(line.endswith(b"\n") for line in lines)
    written = [json.loads(line) for line in lines]
    assert {m["notifications"][0]: m["text"] for m in written} == texts


def test_each_message_prints_one_console_line_with_its_ack_link(running):
    sink = running()
    sink.post(message(1, subject="[URGENT] SEV1 INC-1:\x1b[2J Sign-up\nZap failing"))
    sink.post(message(2, kind="email", address="rita@example.org", urgency="routine",
                      subject="[Update] INC-2", text="Nothing to acknowledge."))
    out, _ = sink.stop()
    lines = out.splitlines()
    assert lines[0].startswith(f"devsink: pages the portal sends appear at {sink.url}/")
    assert lines[1:] == [
        f"page → +447700900123 (sms, urgent): [URGENT] SEV1 INC-1: [2J Sign-up Zap failing"
        f" | ack: {ACK}",
        "message → rita@example.org (email, routine): [Update] INC-2",
    ]


def test_the_page_lists_messages_newest_first_with_html_escaped_and_links_clickable(running):
    sink = running()
    sink.post(message(1, subject="<script>alert('subject')</script>"))
    sink.post(message(2, address="<b>rita</b>@example.org", text=f"<img src=x> see {ACK}."))
    html = sink.page()
    assert "<script>" not in html and "<img" not in html and "<b>rita" not in html
    assert "&lt;script&gt;alert(&#x27;subject&#x27;)&lt;/script&gt;" in html
    assert "&lt;img src=x&gt; see " in html
    assert f'<a href="{ACK}" class="ack" target="_blank" rel="noopener">{ACK}</a>.' in html
    assert f'<a class="button" href="{ACK}" target="_blank" rel="noopener">' in html
    assert html.index("INC-2") < html.index("INC-1")
    assert '<meta http-equiv="refresh" content="5">' in html


def test_the_page_shows_one_recipients_messages(running):
    sink = running()
    sink.post(message(1, kind="email", address="rita@example.org"))
    sink.post(message(2, kind="sms", address="+447700900123"))
    html = sink.page("?to=rita%40example.org")
    assert "INC-1" in html and "INC-2" not in html
    assert '<a href="/?to=%2B447700900123">+447700900123 (1)</a>' in html


def test_messages_survive_a_restart_of_the_sink(running, tmp_path):
    first = running()
    first.post(message(1))
    first.stop()
    again = running(folder=first.folder)
    assert "INC-1" in again.page()
    again.post(message(2))
    assert [json.loads(line)["notifications"] for line in again.lines()] == [[1], [2]]


def test_past_its_limit_the_file_keeps_its_newest_half(running):
    sink = running("--max-bytes", "20000")
    for n in range(1, 101):
        assert sink.post(message(n, text="x" * 500))[0] == 201
    lines = sink.lines()
    size = sum(len(line) for line in lines)
    assert 5_000 < size <= 20_000 and all(line.endswith(b"\n") for line in lines)
    kept = [json.loads(line)["notifications"][0] for line in lines]
    assert kept == list(range(101 - len(kept), 101))
    assert "INC-100" in sink.page() and "INC-1:" not in sink.page()


def test_a_torn_last_line_from_a_crash_is_dropped_on_start(tmp_path):
    folder = tmp_path / "sink"
    folder.mkdir()
    whole = json.dumps({**message(1), "received_at": "2026-03-02T10:00:00.000000+00:00"})
    (folder / "messages.jsonl").write_text(whole + "\n" + '{"kind": "sms", "addr')
    store = devsink.Store(folder)
    store.add(message(2))
    store.close()
    lines = (folder / "messages.jsonl").read_text().splitlines()
    assert [json.loads(line)["notifications"] for line in lines] == [[1], [2]]


def test_it_listens_on_the_loopback_address_only(tmp_path):
    server = devsink.serve(0, tmp_path / "sink")
    try:
        assert server.server_address[0] == "127.0.0.1"
    finally:
        server.server_close()
        server.store.close()


def test_the_sink_imports_the_standard_library_only():
    tree = ast.parse(Path(devsink.__file__).read_text())
    modules = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import)
               for alias in node.names}
    modules |= {node.module for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert {name.split(".")[0] for name in modules} <= sys.stdlib_module_names


SHOW_SINK_URL = "from django.conf import settings\nprint(repr(settings.NOTIFICATION_SINK_URL))"


@pytest.mark.parametrize(
    "environment, url",
    [
        ({}, "http://127.0.0.1:8001"),
        ({"PORT": "9000"}, "http://127.0.0.1:9001"),
        ({"PORT": "9000", "SINK_PORT": "9500"}, "http://127.0.0.1:9500"),
        ({"NOTIFICATION_SINK_URL": "http://127.0.0.1:7000/"}, "http://127.0.0.1:7000"),
        ({"NOTIFICATION_SINK_URL": ""}, ""),
        ({"DJANGO_ENV": "production", "SECRET_KEY": "x", "ALLOWED_HOSTS": "x"}, ""),
        ({"DJANGO_ENV": "production", "SECRET_KEY": "x", "ALLOWED_HOSTS": "x",
          "PORT": "9000", "SINK_PORT": "9500"}, ""),
    ],
    ids=["default", "port", "sink-port", "set", "turned-off", "production",
         "production-under-make"],
)
def test_a_local_portal_sends_to_the_sink_next_to_its_port_and_production_never(
    portal_python, environment, url
):
    shown = portal_python(SHOW_SINK_URL, **environment)
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.strip() == repr(url)


def test_stopping_the_sink_with_sigterm_ends_it_cleanly(running):
    sink = running()
    started = time.monotonic()
    sink.stop()
    assert time.monotonic() - started < 5
