"""The development sink: where a local portal's notifications go, to be read by a person.

``python -m portal.devsink --port N --folder DIR`` (`make run` starts it on PORT+1). Outside
production the portal delivers every message, whatever its channel (email, SMS, Slack,
Teams, webhook), here instead of to its address (``NOTIFICATION_SINK_URL``), so the demo's
pages are readable without setting anything up and never reach the demo data's outside
addresses.

- ``POST /messages`` takes one JSON object, ``{"kind", "address", "urgency", "subject",
  "text", "identity", "notifications": [ids]}``: 201, or 400 for anything but a JSON object,
  413 over ``MAX_BODY_BYTES``.
- Each is appended to ``DIR/messages.jsonl`` as one line, with ``received_at`` (ISO 8601,
  UTC, microseconds) added: one ``os.write`` to a file opened ``O_APPEND``, then fsync, so a
  reader never sees half a line but for the last one while it is being written. Past
  ``MAX_FILE_BYTES`` the newest half is kept: written beside it and renamed into place (a
  reader holding the old file sees it stop growing; open the path again).
- One line per message on stdout (the `make run` terminal).
- ``GET /`` lists the messages, newest first, links clickable (an ack link opens the
  portal's acknowledge page), filterable by address; it reloads itself every 5 seconds.

It binds 127.0.0.1 only and uses the standard library only: no Django, no app.
"""

import argparse
import html
import json
import os
import re
import signal
import sys
import tempfile
import threading
from datetime import UTC, datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

FILE_NAME = "messages.jsonl"
MAX_BODY_BYTES = 1024 * 1024
MAX_FILE_BYTES = 5 * 1024 * 1024
DRAINED_BYTES = 4 * MAX_BODY_BYTES  # a body over the limit but below this is read away
SHOWN = 200
URL = re.compile(r"https?://[^\s<>\"']+")
ACK_LINK = re.compile(r"https?://\S*/ack/[A-Za-z0-9_:.\-]+/")
# Control characters (C0, DEL, C1) never reach the terminal: a subject comes from an alert.
CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]+")
_console = threading.Lock()


# --- the file -------------------------------------------------------------------------------


class Store:
    """The messages of ``folder/messages.jsonl``, in memory and on disk, oldest first."""

    def __init__(self, folder: Path, max_bytes: int = MAX_FILE_BYTES):
        folder.mkdir(parents=True, exist_ok=True)
        self.path = folder / FILE_NAME
        self.max_bytes = max_bytes
        self.lock = threading.Lock()
        self.lines: list[bytes] = []
        self.messages: list[dict] = []
        self.size = 0  # bytes in the file, the sum of ``lines``
        self._load()
        self._fd = self._open()

    def add(self, document: dict) -> dict:
        """Append ``document`` with its ``received_at``; the line as written."""
        with self.lock:
            message = {**document, "received_at": _now()}
            line = (json.dumps(message, ensure_ascii=False) + "\n").encode()
            _write_all(self._fd, line)
            os.fsync(self._fd)
            self.lines.append(line)
            self.messages.append(message)
            self.size += len(line)
            if self.size > self.max_bytes:
                self._keep_newest(self.max_bytes // 2)
            return message

    def newest(self, address: str = "") -> tuple[list[dict], int]:
        """Up to ``SHOWN`` messages (to ``address`` if given), newest first; and how many."""
        with self.lock:
            chosen = [m for m in self.messages if not address or m.get("address") == address]
        return chosen[::-1][:SHOWN], len(chosen)

    def addresses(self) -> dict[str, int]:
        with self.lock:
            counts: dict[str, int] = {}
            for message in self.messages:
                address = str(message.get("address", ""))
                counts[address] = counts.get(address, 0) + 1
        return dict(sorted(counts.items()))

    def close(self) -> None:
        """After the write under way, if any; later ones fail."""
        with self.lock:
            os.close(self._fd)
            self._fd = -1

    def _open(self) -> int:
        return os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def _load(self) -> None:
        """Keep what the file holds (whole lines of JSON objects) from a run before."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return
        for line in raw.splitlines(keepends=True):
            message = _parsed(line) if line.endswith(b"\n") else None
            if message is not None:
                self.lines.append(line)
                self.messages.append(message)
                self.size += len(line)
        # A torn or foreign line would glue itself to the next one appended: rewrite
        # without it. Over the limit (a smaller one than last time): the newest half.
        if self.size > self.max_bytes:
            self._keep_newest(self.max_bytes // 2, reopen=False)
        elif self.size != len(raw):
            self._rewrite(reopen=False)

    def _keep_newest(self, budget: int, reopen: bool = True) -> None:
        kept, total = 0, 0
        for line in reversed(self.lines):
            if total + len(line) > budget:
                break
            total += len(line)
            kept += 1
        self.lines = self.lines[len(self.lines) - kept :]
        self.messages = self.messages[len(self.messages) - kept :]
        self.size = total
        self._rewrite(reopen)

    def _rewrite(self, reopen: bool) -> None:
        """Replace the file by ``self.lines`` at once: a new file renamed into place."""
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".messages-")
        try:
            _write_all(handle, b"".join(self.lines))
            os.fsync(handle)
            os.fchmod(handle, 0o644)
        finally:
            os.close(handle)
        os.replace(temporary, self.path)
        folder = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(folder)
        finally:
            os.close(folder)
        if reopen:
            os.close(self._fd)
            self._fd = self._open()


def _write_all(fd: int, data: bytes) -> None:
    # One write for a line, in practice; a short write (a full disk) is finished, not lost.
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _parsed(line: bytes) -> dict | None:
    try:
        document = json.loads(line, parse_constant=_refuse_constant)
    except (ValueError, RecursionError):
        return None
    return document if isinstance(document, dict) else None


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not JSON")


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds")


# --- the console ----------------------------------------------------------------------------


def console_line(message: dict) -> str:
    """``page → rita@example.org (email, urgent): [URGENT] SEV1 … | ack: http://…/ack/…/``"""
    urgent = message.get("urgency") == "urgent"
    links = ACK_LINK.findall(str(message.get("text", "")))
    line = (
        f"{'page' if urgent else 'message'} → {message.get('address', '?')} "
        f"({message.get('kind', '?')}, {message.get('urgency', '?')}): "
        f"{message.get('subject', '') or '(no subject)'}"
    )
    if links:
        more = f" (+{len(links) - 1} more)" if len(links) > 1 else ""
        line += f" | ack: {links[0]}{more}"
    return CONTROL.sub(" ", line)


# --- the page -------------------------------------------------------------------------------

STYLE = """
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
  color:#1f2328;background:#f4f5f7}
header{background:#1f2937;color:#fff;padding:.8rem 1rem}
header h1{margin:0;font-size:1.15rem}
header p{margin:.2rem 0 0;color:#cbd5e1;font-size:.85rem}
main{max-width:60rem;margin:0 auto;padding:1rem}
details{margin-bottom:.6rem;font-size:.9rem}
summary{cursor:pointer;color:#1f2937}
nav{margin:.5rem 0 1rem;font-size:.85rem;display:flex;flex-wrap:wrap;gap:.35rem}
nav a{display:inline-block;padding:.15rem .55rem;border:1px solid #cbd5e1;border-radius:1rem;
  color:#1f2937;text-decoration:none;background:#fff;overflow-wrap:anywhere}
nav a[aria-current]{background:#1f2937;color:#fff;border-color:#1f2937}
article{background:#fff;border:1px solid #d8dee4;border-left:5px solid #94a3b8;
  border-radius:6px;padding:.7rem .9rem;margin-bottom:.8rem}
article.urgent{border-left-color:#c62828}
.meta{display:flex;flex-wrap:wrap;gap:.3rem .6rem;align-items:center;font-size:.82rem;
  color:#57606a}
.badge{font-weight:600;text-transform:uppercase;font-size:.72rem;letter-spacing:.03em;
  padding:.05rem .45rem;border-radius:.25rem;background:#e2e8f0;color:#1f2937}
.urgent .badge.urgency{background:#c62828;color:#fff}
.meta a{color:#57606a;overflow-wrap:anywhere}
h2{font-size:1rem;margin:.35rem 0;overflow-wrap:anywhere}
pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:0;font:13px/1.45 ui-monospace,
  SFMono-Regular,Menlo,Consolas,monospace;background:#f6f8fa;padding:.5rem .6rem;
  border-radius:4px}
pre a{color:#0a58ca}
pre a.ack{font-weight:700;color:#b71c1c}
.act{margin:.5rem 0 0;font-size:.85rem;color:#57606a}
.button{display:inline-block;padding:.3rem .75rem;border-radius:4px;background:#b71c1c;
  color:#fff;font-weight:600;text-decoration:none}
.ids{font-size:.75rem;color:#6e7781;margin-top:.35rem;overflow-wrap:anywhere}
.empty{background:#fff;border:1px dashed #cbd5e1;border-radius:6px;padding:1rem}
"""


def page(store: Store, address: str = "") -> str:
    messages, total = store.newest(address)
    shown = f"the newest {len(messages)} of {total}" if total > len(messages) else f"{total}"
    heading = f"to {address}" if address else "sent by the portal"
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta http-equiv="refresh" content="5">'
        f"<title>Pages {_e(heading)} · development sink</title><style>{STYLE}</style></head>"
        "<body><header><h1>Pages and messages the portal sent</h1>"
        "<p>Development sink: every e-mail, SMS, Slack, Teams and webhook message lands here "
        "instead of its address. This page reloads every 5 seconds.</p></header><main>"
        f"{_recipients(store.addresses(), address)}"
        f"<p>{_e(shown)} message{'' if total == 1 else 's'} {_e(heading)}, newest first."
        f"{_SHOW_ALL if address else ''}</p>"
        + ("".join(_article(m) for m in messages) or _EMPTY)
        + "</main></body></html>"
    )


_SHOW_ALL = ' <a href="/">Show every recipient’s</a>'
_EMPTY = (
    '<p class="empty">Nothing yet. When the portal pages someone (raise a demo alert), the '
    "message appears here and in the terminal.</p>"
)


def _recipients(counts: dict[str, int], current: str) -> str:
    """Every address as a link to its messages alone, folded away (a demo has dozens)."""
    if not counts:
        return ""
    links = [_chip("/", f"All ({sum(counts.values())})", not current)]
    for address, count in counts.items():
        target = "/?" + urlencode({"to": address})
        links.append(_chip(target, f"{address} ({count})", address == current))
    return (
        f"<details><summary>One recipient’s messages ({len(counts)} addresses)</summary>"
        f'<nav aria-label="Recipients">{"".join(links)}</nav></details>'
    )


def _chip(href: str, label: str, current: bool) -> str:
    mark = ' aria-current="page"' if current else ""
    return f'<a href="{_e(href)}"{mark}>{_e(label)}</a>'


def _article(message: dict) -> str:
    urgency = str(message.get("urgency", ""))
    address = str(message.get("address", ""))
    ids = ", ".join(str(i) for i in message.get("notifications") or [])
    text = str(message.get("text", ""))
    filter_link = "/?" + urlencode({"to": address})
    return (
        f'<article class="{"urgent" if urgency == "urgent" else "routine"}">'
        '<div class="meta">'
        f'<time datetime="{_e(message.get("received_at", ""))}">'
        f"{_e(_when(message.get('received_at', '')))}</time>"
        f'<span class="badge kind">{_e(message.get("kind", "?"))}</span>'
        f'<span class="badge urgency">{_e(urgency or "?")}</span>'
        f'<span>to <a href="{_e(filter_link)}" title="Only the messages to this address">'
        f"{_e(address)}</a></span></div>"
        f"<h2>{_e(message.get('subject', '') or '(no subject)')}</h2>"
        f"<pre>{linkify(text)}</pre>{_ack_button(text)}"
        f'<div class="ids">notification {_e(ids or "?")} · {_e(message.get("identity", ""))}'
        "</div></article>"
    )


def _ack_button(text: str) -> str:
    """A button to the acknowledge page, when the message carries one ack link."""
    links = ACK_LINK.findall(text)
    if len(links) != 1:
        return ""
    return (
        f'<p class="act"><a class="button" href="{_e(links[0])}" target="_blank" '
        'rel="noopener">Open the acknowledge page</a></p>'
    )


def linkify(text: str) -> str:
    """``text`` escaped, its http(s) URLs made links (ack links stand out)."""
    parts, last = [], 0
    for match in URL.finditer(text):
        url = match.group(0).rstrip(".,;:!?)]")
        start, end = match.start(), match.start() + len(url)
        parts.append(_e(text[last:start]))
        ack = ' class="ack"' if ACK_LINK.fullmatch(url) else ""
        parts.append(
            f'<a href="{_e(url)}"{ack} target="_blank" rel="noopener">{_e(url)}</a>'
        )
        last = end
    parts.append(_e(text[last:]))
    return "".join(parts)


def _when(received_at: str) -> str:
    try:
        moment = datetime.fromisoformat(received_at)
    except (TypeError, ValueError):
        return str(received_at)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def _e(value) -> str:
    return html.escape(str(value), quote=True)


# --- the server -----------------------------------------------------------------------------


class Handler(BaseHTTPRequestHandler):
    store: Store
    protocol_version = "HTTP/1.1"
    server_version = "portal-devsink"

    def do_POST(self):
        if urlsplit(self.path).path != "/messages":
            return self._answer(HTTPStatus.NOT_FOUND, {"error": "POST /messages"})
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self.close_connection = True
            return self._answer(HTTPStatus.LENGTH_REQUIRED, {"error": "Content-Length needed"})
        if int(length) > MAX_BODY_BYTES:
            self.close_connection = True
            if int(length) <= DRAINED_BYTES:
                # Read it away first: a client still sending when the socket closes gets a
                # broken pipe instead of this answer.
                left = int(length)
                while left > 0 and (chunk := self.rfile.read(min(65536, left))):
                    left -= len(chunk)
            return self._answer(HTTPStatus.REQUEST_ENTITY_TOO_LARGE, {"error": "over 1 MB"})
        document = _parsed(self.rfile.read(int(length)))
        if document is None:
            return self._answer(HTTPStatus.BAD_REQUEST, {"error": "expected a JSON object"})
        message = self.store.add(document)
        with _console:  # one whole line, whichever thread prints
            sys.stdout.write(console_line(message) + "\n")
            sys.stdout.flush()
        self._answer(HTTPStatus.CREATED, {"received_at": message["received_at"]})

    def do_GET(self):
        parts = urlsplit(self.path)
        if parts.path != "/":
            return self._answer(HTTPStatus.NOT_FOUND, {"error": "GET /"})
        address = parse_qs(parts.query).get("to", [""])[0]
        body = page(self.store, address).encode()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        # The page runs no script at all, whatever a message holds.
        self.send_header("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        self.wfile.write(body)

    def _answer(self, status: HTTPStatus, document: dict) -> None:
        body = json.dumps(document).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)
        if status >= 400:
            print(f"devsink: {self.command} {self.path}: {status.value} {status.phrase}",
                  file=sys.stderr, flush=True)

    def log_message(self, format, *args):
        pass  # one line per message, printed by do_POST; not one per request


class Server(ThreadingHTTPServer):
    # socketserver's backlog of 5 resets connections when a worker pool delivers at once.
    request_queue_size = 128


def serve(port: int, folder: Path, max_bytes: int = MAX_FILE_BYTES) -> ThreadingHTTPServer:
    """A server on 127.0.0.1:``port`` (0: any free port) keeping messages under ``folder``."""
    store = Store(folder, max_bytes)
    handler = type("Handler", (Handler,), {"store": store})
    server = Server(("127.0.0.1", port), handler)
    server.daemon_threads = True
    server.store = store
    return server


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m portal.devsink", description=__doc__.split(
        "\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--folder", type=Path, required=True)
    parser.add_argument("--max-bytes", type=int, default=MAX_FILE_BYTES, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    sys.stdout.reconfigure(errors="backslashreplace")
    server = serve(options.port, options.folder, options.max_bytes)
    # supervisord stops it with SIGTERM: leave serve_forever as Ctrl-C does.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    print(
        f"devsink: pages the portal sends appear at http://127.0.0.1:{server.server_port}/ "
        f"({len(server.store.messages)} kept in {server.store.path})",
        flush=True,
    )
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
        server.store.close()


if __name__ == "__main__":
    main()
