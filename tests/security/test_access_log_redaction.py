"""Finding 7: no credential carried in a URL reaches gunicorn's access log."""

import configparser
import logging
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from portal.gunicorn_logging import RedactingLogger
from portal.logs import SecretsRedacted
from portal.redaction import REDACTED, redact

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cr3t-Tok_en.value"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"/integrations/webhook/{SECRET}/", f"/integrations/webhook/{REDACTED}/"),
        (f"/integrations/alertmanager/{SECRET}/", f"/integrations/alertmanager/{REDACTED}/"),
        (f"/integrations/grafana/{SECRET}/?x=1", f"/integrations/grafana/{REDACTED}/?x=1"),
        (f"/ack/{SECRET}/", f"/ack/{REDACTED}/"),
        (f"/heartbeat/{SECRET}", f"/heartbeat/{REDACTED}"),
        (f"/heartbeat/{SECRET}?status=ok", f"/heartbeat/{REDACTED}?status=ok"),
        (f"/oncall/payments.ics?token={SECRET}", f"/oncall/payments.ics?token={REDACTED}"),
        (f"/oncall/p.ics?token={SECRET}&mine=1", f"/oncall/p.ics?token={REDACTED}&mine=1"),
        (f"/oncall/p.ics?mine=1&TOKEN={SECRET}", f"/oncall/p.ics?mine=1&TOKEN={REDACTED}"),
        (f"/status/confirm/{SECRET}/", f"/status/confirm/{REDACTED}/"),
        (f"/status/unsubscribe/{SECRET}/", f"/status/unsubscribe/{REDACTED}/"),
        (f"/accounts/reset/MTI/{SECRET}/", f"/accounts/reset/MTI/{REDACTED}/"),
        (f"https://portal.example.org/ack/{SECRET}/", f"https://portal.example.org/ack/{REDACTED}/"),
        (f"POST /ack/{SECRET}/ HTTP/1.1", f"POST /ack/{REDACTED}/ HTTP/1.1"),
    ],
)
def test_each_kind_of_secret_is_redacted(url, expected):
    assert redact(url) == expected
    assert SECRET not in redact(url)


@pytest.mark.parametrize(
    "url",
    [
        "/integrations/pagerduty/v2/enqueue",
        "/integrations/",
        "/integrations/12/",
        "/integrations/12/test/",
        "/board/?service=payments",
        "/status/",
        "/status/feed.atom",
        "/incidents/7/",
        "/oncall/",
    ],
)
def test_other_urls_are_left_as_they_are(url):
    assert redact(url) == url


def test_supervisord_runs_the_web_process_with_the_redacting_logger():
    config = configparser.RawConfigParser()
    config.read(ROOT / "supervisord.conf")
    command = config.get("program:web", "command")
    assert "--access-logfile -" in command
    assert "--logger-class portal.gunicorn_logging.RedactingLogger" in command


def test_gunicorns_access_log_line_holds_no_secret(tmp_path):
    log_file = tmp_path / "access.log"
    cfg = Config()
    cfg.set("accesslog", str(log_file))
    cfg.set(
        "access_log_format",
        '%(h)s "%(r)s" %(s)s "%(f)s" %(U)s %(q)s %({raw_uri}e)s %({query_string}e)s',
    )
    logger = RedactingLogger(cfg)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/ack/{SECRET}/?token={SECRET}",
        "PATH_INFO": f"/ack/{SECRET}/",
        "QUERY_STRING": f"token={SECRET}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": f"https://portal.example.org/ack/{SECRET}/",
    }
    response = SimpleNamespace(status="200 OK", sent=12, headers=[])
    request = SimpleNamespace(headers=[("REFERER", environ["HTTP_REFERER"])])
    logger.access(response, request, environ, timedelta(milliseconds=3))
    for handler in logging.getLogger("gunicorn.access").handlers:
        handler.flush()
    line = log_file.read_text()
    assert "GET /ack/" in line and " 200 " in line
    assert SECRET not in line
    assert line.count(REDACTED) == 8


def test_djangos_request_log_line_holds_no_secret(client, db, caplog):
    with caplog.at_level(logging.WARNING, logger="django.request"):
        assert client.get(f"/ack/{SECRET}/").status_code == 400
        assert client.get(f"/integrations/webhook/{SECRET}/").status_code in (404, 405)
    assert caplog.records
    assert SECRET not in caplog.text
    assert f"/ack/{REDACTED}/" in caplog.text


def test_the_filter_leaves_other_lines_alone():
    record = logging.LogRecord("django.request", logging.WARNING, "", 0, "Not Found: %s",
                               ("/board/",), None)
    assert SecretsRedacted().filter(record)
    assert record.getMessage() == "Not Found: /board/"
