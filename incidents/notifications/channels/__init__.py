"""One small class per notification channel behind one interface: ``send(outgoing)``.

Each returns a ``SendResult`` with the log lines worth keeping, or raises ``DeliveryError``
saying whether trying again could help (``permanent=False``: a timeout, a 5xx, a 429) and
whether the contact method's address is to blame (a bounced mailbox, a deleted webhook) or
the deployment (SMS not configured, SMTP login refused): only the first flags the method.

A channel receives an ``Outgoing`` message rather than a Notification row because one
message may stand for several rows (a storm of pages bundled into one), and the email
channel needs the HTML part, which is rendered at send time and not stored.
"""

from dataclasses import dataclass, field

from django.conf import settings


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool = False, flag_method: bool | None = None):
        super().__init__(message)
        self.permanent = permanent
        # Permanent failures blame the address unless the channel says otherwise.
        self.flag_method = permanent if flag_method is None else flag_method
        self.log = ""


@dataclass(frozen=True)
class SendResult:
    log: str = ""


@dataclass(frozen=True)
class Outgoing:
    """One message to one contact method, as it leaves the portal."""

    kind: str
    address: str
    urgency: str
    subject: str
    text: str
    html: str = ""
    # Machine-readable facts for webhook receivers (incident reference, severity, …).
    fields: dict = field(default_factory=dict)
    # The message's name, the same on every try of it (``render.identity``), so that a
    # receiver can drop a second copy: email carries it as the Message-ID, webhooks as the
    # Idempotency-Key header and an ``idempotency_key`` field. Slack and Teams incoming
    # webhooks and SMS providers take no header a receiver could act on: not there.
    identity: str = ""
    # The outbox rows the message carries (several for a bundle): the development sink
    # records them, so a reader can match what arrived to the rows the portal sent.
    notification_ids: tuple[int, ...] = ()


class Channel:
    kind = ""
    # A chat channel posts to a place others read (a Slack or Teams channel): its messages
    # never carry an ack link, which is a bearer token for one person.
    chat = False

    def send(self, outgoing: Outgoing) -> SendResult:
        raise NotImplementedError


_channels: dict[str, Channel] = {}


def register_channel(cls: type[Channel]) -> type[Channel]:
    _channels[cls.kind] = cls()
    return cls


def is_chat(kind: str) -> bool:
    """Whether ``kind``'s channel posts where others read (whatever ``channel_for`` picks)."""
    channel = _channels.get(kind)
    return channel is not None and channel.chat


def channel_for(kind: str) -> Channel:
    # With NOTIFICATION_SINK_URL (a local portal's default) every message goes to the
    # development sink instead of its own channel: the demo data's addresses are outside
    # ones (example.org, hooks.slack.com) that must never be paged, and a newcomer reads
    # every page there, ack link included.
    if settings.NOTIFICATION_SINK_URL and kind in _channels:
        return sink.channel
    try:
        return _channels[kind]
    except KeyError:
        raise DeliveryError(f"No channel for “{kind}”.", permanent=True) from None


# Importing the channel modules registers them; they need the names defined above.
from . import email, sink, slack, sms, teams, webhook  # noqa: E402, F401
