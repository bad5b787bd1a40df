"""Shaping a message for its channel: short for SMS, a clear prefix for urgent pages."""

from ..models import ContactMethod, Urgency
from .outbox import Message

SMS_LIMIT = 160


def prefix(urgency: str, is_drill: bool = False) -> str:
    drill = "[DRILL] " if is_drill else ""
    return drill + ("[URGENT] " if urgency == Urgency.URGENT else "[Update] ")


def shape(message: Message, method: ContactMethod) -> Message:
    if method.kind == ContactMethod.Kind.SMS:
        return Message(subject=message.subject, body=sms_text(message))
    return message


def sms_text(message: Message) -> str:
    """The subject and the last line (the ack link) within 160 characters."""
    lines = message.body.strip().splitlines()
    link = lines[-1] if lines and lines[-1].startswith("http") else ""
    room = SMS_LIMIT - len(link) - (1 if link else 0)
    text = message.subject if len(message.subject) <= room else message.subject[: room - 1] + "…"
    return f"{text} {link}".strip()
