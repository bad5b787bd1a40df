"""What the notification pages show of contact addresses: masked, to all but roster admins.

A webhook's URL often holds its secret (``?token=…``, a Teams ``sig``); an email address and
a phone number are personal. The log readers who open someone else's notification
(Leadership, operators) need to know which channel it went to and what happened, not the
address: ``r***@example.org``, ``+44 ••• ••23``, ``https://hooks.example.org/…``. Ack links
are shown to nobody (``ack.without_links``): a stored message holds a placeholder, and a
row stored before links were made at send time has its link taken out here.
"""

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings

from ..models import ContactMethod, Notification
from .ack import without_links

Kind = ContactMethod.Kind
URL = re.compile(r"\b[a-z][a-z0-9+.-]*://[^\s\"'<>“”]+", re.IGNORECASE)
EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
PHONE = re.compile(r"\+[1-9]\d{6,14}\b")


def mask_address(kind: str, address: str) -> str:
    if kind == Kind.EMAIL:
        return mask_email(address)
    if kind == Kind.SMS:
        return mask_phone(address)
    return mask_url(address)


def mask_email(address: str) -> str:
    local, _, domain = address.rpartition("@")
    return f"{local[:1]}***@{domain}" if local else "***"


def mask_phone(number: str) -> str:
    digits = number.lstrip("+")
    return f"+{digits[:2]} ••• ••{digits[-2:]}" if len(digits) > 4 else "+•••"


def mask_url(url: str) -> str:
    """Scheme and host (and port) only: no user, path or query, where secrets live."""
    parts = urlsplit(url)
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    if not parts.hostname:
        return "…"
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return f"{parts.scheme}://{host}{port}/…"


def mask_text(text: str) -> str:
    """``text`` (an error, a log) with the addresses in it masked; the portal's own links
    (an incident's page) kept as they are."""
    own = settings.PORTAL_BASE_URL

    def url(match):
        found = match.group(0)
        return found if own and found.startswith(own) else mask_url(found)

    text = URL.sub(url, text or "")
    text = EMAIL.sub(lambda match: mask_email(match.group(0)), text)
    return PHONE.sub(lambda match: mask_phone(match.group(0)), text)


@dataclass(frozen=True)
class Shown:
    """A notification as its page shows it to one viewer."""

    method: str
    body: str
    error: str
    delivery_log: str


def shown(notification: Notification, *, full: bool) -> Shown:
    """``full``: a roster admin, who sees addresses; everyone else sees them masked."""
    method = notification.contact_method

    def clean(text: str) -> str:
        text = without_links(text)
        return text if full else mask_text(text)

    address = method.address if full else mask_address(method.kind, method.address)
    return Shown(
        method=f"{method.get_kind_display()}: {address}",
        body=clean(notification.body),
        error=clean(notification.error),
        delivery_log=clean(notification.delivery_log),
    )


def shown_error(notification: Notification, *, full: bool) -> str:
    text = without_links(notification.error)
    return text if full else mask_text(text)
