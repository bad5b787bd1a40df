"""Filters for the settings' ``LOGGING``: a console that speaks when there is something to read.

- Routine tasks (the timer sweep every second, the release of due notifications each sweep
  asks for, beat's periodic work) would fill a worker's console at INFO with two lines a
  second: Celery's "received" and "succeeded". Those lines go to DEBUG; a routine task
  that fails or is retried keeps its level.
- A refused request (403) is the code doing its job, not a fault: Django logs a raised
  ``PermissionDenied`` with its traceback. It becomes one line saying who was refused what
  and why.
- A request line of Django's (``Not Found: /heartbeat/<key>``) writes the secrets some URLs
  carry as ``[redacted]``, as gunicorn's access log does.
"""

import logging

from .redaction import redact

# celery.beat's line for each entry it sends (its arguments: the entry's name, its task).
BEAT_SENDING = "Scheduler: Sending due task %s (%s)"


class RoutineTasksAtDebug(logging.Filter):
    """Celery's INFO lines about one of ``tasks`` (task names), logged at DEBUG instead."""

    def __init__(self, tasks=()):
        super().__init__()
        self.tasks = frozenset(tasks)

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno != logging.INFO or _task_of(record) not in self.tasks:
            return True
        record.levelno, record.levelname = logging.DEBUG, logging.getLevelName(logging.DEBUG)
        # The logger let the record through as INFO; as DEBUG it goes on only if allowed.
        return logging.getLogger(record.name).isEnabledFor(logging.DEBUG)


def _task_of(record: logging.LogRecord) -> str | None:
    data = getattr(record, "data", None)  # a worker's "received" and "succeeded" lines
    if isinstance(data, dict):
        return data.get("name")
    if record.msg == BEAT_SENDING and isinstance(record.args, tuple) and len(record.args) == 2:
        return record.args[1]
    return None


class RefusalsInOneLine(logging.Filter):
    """A 403 logged by Django (``django.request``, ``django.security.csrf``) as
    ``Forbidden: <method> <path> by <user>: <reason>``, without a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        request = getattr(record, "request", None)
        if getattr(record, "status_code", None) != 403 or request is None:
            return True
        reason = _reason(record)
        record.msg = "Forbidden: %s %s by %s: %s"
        record.args = (request.method, _escaped(request.path), _user(request), reason)
        record.exc_info = record.exc_text = None
        return True


def _reason(record: logging.LogRecord) -> str:
    if record.exc_info and record.exc_info[1] is not None:
        return _escaped(str(record.exc_info[1])) or "permission denied"
    # A CSRF failure logs (reason, path); a view answering 403 (reason phrase, path), both
    # escaped by Django already.
    if isinstance(record.args, tuple) and len(record.args) == 2:
        return str(record.args[0])
    return "forbidden"


def _user(request) -> str:
    try:
        user = request.user
        return user.get_username() if user.is_authenticated else "anonymous"
    except Exception:  # logging must never fail the request (no session table, no database)
        return "unknown user"


def _escaped(text: str) -> str:
    """As Django escapes what it logs of a request: one line, whatever the path holds."""
    return text.encode("unicode_escape").decode("ascii")


class SecretsRedacted(logging.Filter):
    """Django's request lines (``Bad Request: /ack/<token>/``) without the secrets that
    some URLs carry, as the access log writes them."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True
