"""Secrets that travel in URLs, and the same URLs with them taken out for the logs.

Several URLs are their own credential: an integration's key (``/integrations/<kind>/<key>/``,
``/heartbeat/<key>``), an acknowledge link (``/ack/<token>/``), a calendar feed
(``?token=…``), a status subscription's confirm and unsubscribe links, a password reset
link. A log line holding one lets whoever reads the log act as its owner: gunicorn's access
log (``portal.gunicorn_logging``) and Django's request log (``portal.logs``) write each of
them as ``[redacted]``.
"""

import re

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
