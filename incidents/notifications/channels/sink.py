"""The development sink: every message, whatever its channel, as one JSON document.

With ``NOTIFICATION_SINK_URL`` set (the default outside production and tests) ``channel_for``
hands every message here instead of to its own channel, and it is POSTed to
``<NOTIFICATION_SINK_URL>/messages`` (``portal.devsink``, which `make run` starts), so the
demo's pages are read there and never reach the outside addresses of the demo data:

    {"kind", "address", "urgency", "subject", "text", "identity", "notifications": [ids]}

``text`` is what the real channel would carry (the SMS text, the chat lines, the email's
plain part), ack link included. The sink is the deployment's own address, on 127.0.0.1, not
one a user typed: it is reached directly, without the egress checks (which refuse loopback)
and without any proxy from the environment.
"""

import json
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from django.conf import settings

from . import Channel, DeliveryError, Outgoing, SendResult
from .addresses import check_address

TIMEOUT_SECONDS = 10
# Worth another try: request timeout, too early, rate limited, and every 5xx.
TRANSIENT_HTTP = {408, 425, 429}


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a 3xx is an answer (an HTTPError), not somewhere else to go


# No proxy from the environment (the sink is a local address), no redirects followed.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def sink_document(outgoing: Outgoing) -> dict:
    return {
        "kind": outgoing.kind,
        "address": outgoing.address,
        "urgency": outgoing.urgency,
        "subject": outgoing.subject,
        "text": outgoing.text,
        "identity": outgoing.identity,
        "notifications": list(outgoing.notification_ids),
    }


def post(url: str, document: dict) -> int:
    """POST ``document`` as JSON to ``url``; its HTTP status, or ``DeliveryError``."""
    if urlsplit(url).scheme not in ("http", "https"):
        raise DeliveryError(
            f"NOTIFICATION_SINK_URL {url!r} is not an http(s) URL.", permanent=True,
            flag_method=False,
        )
    request = urllib.request.Request(  # noqa: S310 (the scheme is checked above)
        url,
        data=json.dumps(document).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with _opener.open(request, timeout=TIMEOUT_SECONDS) as response:
            return response.status
    except urllib.error.HTTPError as error:
        raise _refused(error.code, url) from None
    except (urllib.error.URLError, OSError) as error:  # refused, reset, timed out
        reason = getattr(error, "reason", error)
        raise DeliveryError(
            f"The development sink at {url} is not answering: {reason}", permanent=False
        ) from None


def _refused(code: int, url: str) -> DeliveryError:
    if code in TRANSIENT_HTTP or code >= 500:
        return DeliveryError(f"Temporary failure (HTTP {code}) at the development sink {url}")
    # The sink refused the document itself: not the contact address's fault.
    return DeliveryError(
        f"Refused (HTTP {code}) by the development sink {url}", permanent=True, flag_method=False
    )


class SinkChannel(Channel):
    kind = "sink"

    def send(self, outgoing: Outgoing) -> SendResult:
        # An address the real channel would refuse fails here too, before any request.
        check_address(outgoing)
        url = settings.NOTIFICATION_SINK_URL.rstrip("/") + "/messages"
        started = time.monotonic()
        status = post(url, sink_document(outgoing))
        return SendResult(
            log=f"Development sink {url}: {outgoing.kind} to {outgoing.address} "
            f"(HTTP {status}) in {time.monotonic() - started:.2f} s; not sent to the address"
        )


# Not registered under a kind of its own: ``channel_for`` picks it for every kind.
channel = SinkChannel()
