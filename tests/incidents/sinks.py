"""Real local receivers for delivery tests and the fan-out bench: an SMTP server (aiosmtpd)
and an HTTP(S) server, both on 127.0.0.1, recording what arrives.

The HTTP sink can be told to answer the next N requests with a status (503 twice, then
200), or with a whole answer (a redirect, a body). It counts every connection it accepts,
so a test can tell that nothing at all reached it. Use them as context managers: they stop,
and free their ports, on exit.
"""

import json
import os
import socket
import ssl
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until(condition, timeout: float = 10.0, interval: float = 0.02) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return condition()


# --- SMTP -----------------------------------------------------------------------------------


@dataclass
class Mail:
    sender: str
    recipients: list[str]
    message: EmailMessage
    arrived: float

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, content_type: str) -> str:
        for part in self.message.walk():
            if part.get_content_type() == content_type and not part.is_multipart():
                return part.get_content()
        return ""

    @property
    def text(self) -> str:
        return self.part("text/plain")

    @property
    def html(self) -> str:
        return self.part("text/html")


class _SmtpHandler:
    def __init__(self, sink):
        self.sink = sink

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        with self.sink.lock:
            if self.sink.refusals:
                return self.sink.refusals.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = message_from_bytes(envelope.content, policy=policy.default)
        mail = Mail(envelope.mail_from, list(envelope.rcpt_tos), message, time.time())
        with self.sink.lock:
            self.sink.mails.append(mail)
        return "250 Message accepted"


class SmtpSink:
    """An SMTP server on 127.0.0.1 at an explicit free port; ``mails`` is what arrived.

    ``starttls=True`` requires STARTTLS, with a throwaway self-signed certificate for
    127.0.0.1 (``certificate`` is its file, for a client to trust).
    """

    def __init__(self, *, starttls: bool = False):
        self.port = free_port()
        self.mails: list[Mail] = []
        self.refusals: list[str] = []
        self.lock = threading.Lock()
        self._tmp = None
        self.certificate = ""
        tls = {}
        if starttls:
            self._tmp = tempfile.TemporaryDirectory()
            self.certificate, key = _self_signed(self._tmp.name)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(self.certificate, key)
            tls = {"tls_context": context, "require_starttls": True}
        self._controller = Controller(
            _SmtpHandler(self), hostname="127.0.0.1", port=self.port,
            server_hostname="localhost", **tls,
        )

    def refuse_next(self, count: int, reply: str = "550 5.1.1 No such user here") -> None:
        """Refuse the next ``count`` recipients with ``reply``."""
        with self.lock:
            self.refusals.extend([reply] * count)

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Mail]:
        wait_until(lambda: len(self.mails) >= count, timeout)
        return list(self.mails)

    def __enter__(self):
        self._controller.start()
        return self

    def __exit__(self, *exc):
        self._controller.stop()
        if self._tmp is not None:
            self._tmp.cleanup()


# --- HTTP -----------------------------------------------------------------------------------


@dataclass
class Request:
    method: str
    path: str
    headers: dict
    body: bytes
    arrived: float
    status: int

    @property
    def json(self) -> dict:
        return json.loads(self.body or b"{}")


@dataclass
class Answer:
    status: int
    body: bytes = b""
    headers: dict = field(default_factory=dict)


@dataclass
class _Plan:
    failures: list[int] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)


class _HttpHandler(BaseHTTPRequestHandler):
    sink: "HttpSink"
    protocol_version = "HTTP/1.1"

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length)
        with self.sink.lock:
            answer = self._next_answer()
            self.sink.requests.append(
                Request(self.command, self.path, dict(self.headers), body, time.time(),
                        answer.status)
            )
        self.send_response(answer.status)
        for name, value in {"Content-Type": "application/json", **answer.headers}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    do_GET = do_POST  # a followed redirect may arrive as a GET

    def _next_answer(self) -> Answer:
        plan = self.sink.plan
        if plan.answers:
            return plan.answers.pop(0)
        status = plan.failures.pop(0) if plan.failures else 200
        payload = b'{"ok": true}' if status < 300 else b'{"error": "refused by the test sink"}'
        return Answer(status, payload)

    def log_message(self, format, *args):
        pass


class _CountingServer(ThreadingHTTPServer):
    daemon_threads = True

    def process_request(self, request, client_address):
        with self.sink.lock:
            self.sink.connections += 1
        super().process_request(request, client_address)


class HttpSink:
    """An HTTP server on 127.0.0.1 (or another loopback ``host``, on ``port``) that records
    requests and counts connections; ``tls=True`` serves HTTPS with a throwaway self-signed
    certificate (made with the openssl program)."""

    def __init__(self, *, tls: bool = False, host: str = "127.0.0.1", port: int = 0):
        self.requests: list[Request] = []
        self.connections = 0
        self.plan = _Plan()
        self.lock = threading.Lock()
        self.tls = tls
        self.host = host
        handler = type("Handler", (_HttpHandler,), {"sink": self})
        server_class = type("Server", (_CountingServer,), {"sink": self})
        self._server = server_class((host, port), handler)
        self.port = self._server.server_address[1]
        self._tmp = None
        if tls:
            self._tmp = tempfile.TemporaryDirectory()
            cert, key = _self_signed(self._tmp.name)
            context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            context.load_cert_chain(cert, key)
            self._server.socket = context.wrap_socket(self._server.socket, server_side=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def fail_next(self, count: int, status: int = 503) -> None:
        """Answer the next ``count`` requests with ``status``."""
        with self.lock:
            self.plan.failures.extend([status] * count)

    def answer_next(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
        """Answer the next request with ``status``, ``body`` and ``headers`` (a redirect's
        Location, say)."""
        with self.lock:
            self.plan.answers.append(Answer(status, body, headers or {}))

    def delivered(self) -> list[Request]:
        return [request for request in self.requests if request.status < 300]

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Request]:
        wait_until(lambda: len(self.delivered()) >= count, timeout)
        return self.delivered()

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()
        if self._tmp is not None:
            self._tmp.cleanup()


def _self_signed(folder: str) -> tuple[str, str]:
    cert, key = os.path.join(folder, "cert.pem"), os.path.join(folder, "key.pem")
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", key, "-out", cert,
        ],
        check=True,
        capture_output=True,
    )
    return cert, key
