"""Apprise's email plugin gives every message a Message-ID of its own, even beside ours.

A ``+Message-ID=…`` parameter of a ``mailto://`` URL becomes a header like any other, and
then ``NotifyEmail.prepare_emails`` (``apprise/plugins/email/base.py``, Apprise 2.3) adds
``make_msgid()`` after it: the message would leave with two Message-ID headers, which
RFC 5322 (section 3.6) forbids and strict mail servers refuse. Here ``prepare_emails`` is
wrapped: a Message-ID among the headers takes the place of the one Apprise made, so the
message carries one, ours, the same on every try (a receiver can drop a resend by it).

If Apprise stops building messages this way, ``install`` does nothing, and mail goes out
with Apprise's Message-ID only, never two (the test of the email channel notices).
"""

import re
from functools import wraps

HEADER = "Message-ID"
# The header's line and any folded continuation lines, in a message as Apprise writes it.
_HEADER_LINES = re.compile(r"^Message-ID:[^\n]*\n(?:[ \t][^\n]*\n)*", re.IGNORECASE | re.MULTILINE)


def install() -> bool:
    try:
        from apprise.plugins.email.base import NotifyEmail
    except ImportError:
        return False
    prepare = NotifyEmail.__dict__.get("prepare_emails")
    if not isinstance(prepare, staticmethod):
        return False
    if getattr(prepare.__func__, "keeps_message_id", False):
        return True
    NotifyEmail.prepare_emails = staticmethod(_keeping_message_id(prepare.__func__))
    return True


def _keeping_message_id(prepare):
    @wraps(prepare)
    def prepare_emails(*args, headers=None, **kwargs):
        headers = dict(headers or {})
        ours = [headers.pop(name) for name in list(headers) if name.lower() == HEADER.lower()]
        for message in prepare(*args, headers=headers, **kwargs):
            if ours:
                message.body = with_message_id(message.body, ours[-1])
            yield message

    prepare_emails.keeps_message_id = True
    return prepare_emails


def with_message_id(message: str, message_id: str) -> str:
    """``message`` (headers, a blank line, the body) with ``message_id`` its only Message-ID."""
    head, blank, body = message.partition("\n\n")
    if not blank:
        return message
    head = _HEADER_LINES.sub("", head + "\n")
    return f"{head}{HEADER}: {message_id}{blank}{body}"
