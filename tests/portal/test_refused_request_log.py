"""A refused request (403) leaves one line in the log, saying who was refused what and why:
no traceback, which would say nothing a reader needs (refusing is the code working)."""

import logging
import sys

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.test import Client

from portal.logs import RefusalsInOneLine


def refusals(caplog) -> list[logging.LogRecord]:
    return [record for record in caplog.records if getattr(record, "status_code", None) == 403]


def test_a_refused_page_logs_one_line_with_method_path_user_and_reason(client_as, caplog):
    client = client_as("responder")
    with caplog.at_level(logging.WARNING):
        assert client.get("/admin/incidents/service/").status_code == 403

    [record] = refusals(caplog)
    assert record.exc_info is None and record.exc_text is None
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        "Forbidden: GET /admin/incidents/service/ by responder: "
        "The admin site is for Roster admins."
    )
    assert len(caplog.text.splitlines()) == 1  # as the console shows it: no traceback


def test_a_refused_post_without_its_csrf_token_logs_one_line_too(cast, caplog):
    client = Client(enforce_csrf_checks=True)
    client.force_login(cast["commander"])
    with caplog.at_level(logging.WARNING):
        assert client.post("/incidents/new/", {"title": "Checkout down"}).status_code == 403

    [record] = refusals(caplog)
    assert record.exc_info is None
    assert record.getMessage() == (
        "Forbidden: POST /incidents/new/ by commander: CSRF cookie not set."
    )


def test_a_refused_path_cannot_forge_a_second_line(rf):
    request = rf.get("/incidents/7/%0A2026-01-01 INFO forged")
    request.user = AnonymousUser()
    try:
        raise PermissionDenied("Not yours.\nSecond line")
    except PermissionDenied:
        record = logging.LogRecord(
            "django.request", logging.WARNING, __file__, 1, "Forbidden (Permission denied): %s",
            (request.path,), sys.exc_info(),
        )
    record.status_code, record.request = 403, request

    assert RefusalsInOneLine().filter(record)
    assert record.getMessage() == (
        "Forbidden: GET /incidents/7/\\n2026-01-01 INFO forged by anonymous: "
        "Not yours.\\nSecond line"
    )
    assert record.exc_info is None
