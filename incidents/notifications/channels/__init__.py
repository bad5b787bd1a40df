"""One small class per notification channel behind one interface: ``send(notification)``.

Each returns a ``SendResult`` with the log lines worth keeping, or raises ``DeliveryError``
saying whether trying again could help (``permanent=False``: a timeout, a 5xx, a 429).
"""

from dataclasses import dataclass


class DeliveryError(Exception):
    def __init__(self, message: str, *, permanent: bool = False):
        super().__init__(message)
        self.permanent = permanent


@dataclass(frozen=True)
class SendResult:
    log: str = ""


class Channel:
    kind = ""

    def send(self, notification) -> SendResult:
        raise NotImplementedError


_channels: dict[str, Channel] = {}


def register_channel(cls: type[Channel]) -> type[Channel]:
    _channels[cls.kind] = cls()
    return cls


def channel_for(kind: str) -> Channel:
    try:
        return _channels[kind]
    except KeyError:
        raise DeliveryError(f"No channel for “{kind}”.", permanent=True) from None
