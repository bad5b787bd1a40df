"""One-click acknowledge links: a signed, expiring token bound to (incident, person, cause).

The token is short on purpose: an SMS has 160 characters for the page *and* its link.
Django's ``signing.dumps`` would spend about 90 of them (base64 JSON and a full SHA-256
signature), so the token here is ``<incident>.<person>.<cause>.<time>.<mac>``: the ids in
hex, the time in base 62 and an HMAC-SHA256 (salted with the secret key, through Django's
``salted_hmac``) cut to 120 bits, which no one can guess within a link's lifetime. Reading
raises Django's own ``SignatureExpired`` / ``BadSignature``, like ``signing.loads``.

A link is a bearer token for one person, so it is never stored: a stored message holds
``PLACEHOLDER`` where the link goes, and the link is made when the message is sent to its
recipient (``render.outgoing``; made again for a retry, which the HMAC allows). No page
that shows a stored message can show anyone's link, and chat channels, which others read,
get none at all. The ack view accepts a link only for a notification that exists for that
person, incident and cause: a well-signed token for a made-up cause acknowledges nothing.
"""

import base64
import re
import time

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

SALT = "incidents.ack"
MAX_AGE_SECONDS = 24 * 3600
MAC_BYTES = 15
CAUSE = re.compile(r"^[A-Za-z0-9_:.-]{1,80}$")
PLACEHOLDER = "[acknowledge link: made for the recipient when sent]"
LINK = re.compile(r"\S*/ack/[A-Za-z0-9_:.\-]+/")


def make_token(*, incident_id: int, person_id: int, cause: str, at: float | None = None) -> str:
    if not CAUSE.match(cause):
        raise ValueError(f"An ack link's cause holds letters, digits and _:.- only: {cause!r}")
    stamp = signing.b62_encode(int(time.time() if at is None else at))
    value = f"{incident_id:x}.{person_id:x}.{cause}.{stamp}"
    return f"{value}.{_mac(value, settings.SECRET_KEY)}"


def read_token(token: str, max_age: int = MAX_AGE_SECONDS) -> dict:
    """The token's payload ``{"i": incident id, "p": person id, "c": cause}``.

    Raises ``signing.SignatureExpired`` or ``signing.BadSignature``.
    """
    value, _, mac = token.rpartition(".")
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if not value or not any(constant_time_compare(mac, _mac(value, key)) for key in keys):
        raise signing.BadSignature("The link's signature does not match.")
    head, _, stamp = value.rpartition(".")
    incident, _, rest = head.partition(".")
    person, _, cause = rest.partition(".")
    try:
        payload = {"i": int(incident, 16), "p": int(person, 16), "c": cause}
        issued = signing.b62_decode(stamp)
    except ValueError:
        raise signing.BadSignature("The link is malformed.") from None
    if time.time() - issued > max_age:
        raise signing.SignatureExpired("The link has expired.")
    return payload


def ack_url(*, incident_id: int, person_id: int, cause: str) -> str:
    token = make_token(incident_id=incident_id, person_id=person_id, cause=cause)
    return settings.PORTAL_BASE_URL + reverse("ack", args=[token])


def without_links(text: str) -> str:
    """``text`` with every ack link in it replaced by the placeholder (for showing rows
    stored before links were made at send time, and any text that may quote one)."""
    return LINK.sub(PLACEHOLDER, text or "")


def _mac(value: str, key: str) -> str:
    digest = salted_hmac(SALT, value, secret=key, algorithm="sha256").digest()[:MAC_BYTES]
    return base64.urlsafe_b64encode(digest).decode()
