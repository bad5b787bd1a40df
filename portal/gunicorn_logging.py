"""gunicorn's access log without the secrets that travel in URLs.

Several URLs are their own credential: an integration's key (``/integrations/<kind>/<key>/``,
``/heartbeat/<key>``), an acknowledge link (``/ack/<token>/``), a calendar feed
(``?token=…``), a status subscription's confirm and unsubscribe links, a password reset
link. An access log line holding one lets whoever reads the log act as its owner, so the
web process runs with ``--logger-class portal.gunicorn_logging.RedactingLogger`` and each
of them is written as ``[redacted]``: in the request line, the path, the query string and
the referrer (the ack page posts to itself, so its referrer is the link), whichever atoms
the log format uses.
"""

import re

from gunicorn.glogging import Logger

REDACTED = "[redacted]"
# A path segment or query value: up to the next separator, quote or space.
_VALUE = r"[^/?#&\s\"]+"
SECRET_IN_PATH = re.compile(
    r"(?P<keep>"
    r"/integrations/(?!pagerduty/v2/enqueue)[A-Za-z][\w-]*/"
    r"|/heartbeat/"
    r"|/ack/"
    r"|/status/(?:confirm|unsubscribe)/"
    r"|/accounts/reset/" + _VALUE + "/"
    r")" + _VALUE
)
SECRET_IN_QUERY = re.compile(
    r"(?P<keep>[?&;](?:token|key|routing_key|api_key|secret|signature|code|state)=)[^&#\s\"]*",
    re.IGNORECASE,
)


def redact(text: str) -> str:
    """``text`` (a request line, path, query string or URL) with every secret replaced."""
    text = SECRET_IN_PATH.sub(rf"\g<keep>{REDACTED}", text)
    return SECRET_IN_QUERY.sub(rf"\g<keep>{REDACTED}", text)


def _redacted_query(query: str) -> str:
    # The bare query string has no leading "?": give it one to match, then take it off.
    return redact("?" + query)[1:] if query else query


class RedactingLogger(Logger):
    """gunicorn's own logger; only the atoms that hold the URL are rewritten."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for name in ("r", "U", "f", "{raw_uri}e", "{path_info}e", "{http_referer}e", "{referer}i"):
            if isinstance(atoms.get(name), str):
                atoms[name] = redact(atoms[name])
        for name in ("q", "{query_string}e"):
            if isinstance(atoms.get(name), str):
                atoms[name] = _redacted_query(atoms[name])
        return atoms
