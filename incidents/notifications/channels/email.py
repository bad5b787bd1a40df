"""Email through the deployment's SMTP server (the same settings as Django's own mail).

Urgent pages come from ``URGENT_FROM_EMAIL`` and carry high-priority headers; everything
else from ``DEFAULT_FROM_EMAIL``: a mail filter, or a glance at the inbox, tells them apart.
The message goes as HTML; Apprise adds the plain-text alternative made from it. Its
Message-ID is the message's identity, the same on every try (see ``message_id``).

Not under the egress policy: the connection goes to the deployment's own SMTP server, from
its settings; what a user types is only the recipient, which the mail server delivers to.
"""

from email.utils import parseaddr
from urllib.parse import quote, urlencode

import apprise
from django.conf import settings

from ...models import Urgency
from . import (
    Channel,
    DeliveryError,
    Outgoing,
    SendResult,
    message_id,
    register_channel,
    smtp_tls,
    transport,
)
from .addresses import check_address

smtp_tls.install()
message_id.install()


def email_url(address: str, urgency: str, identity: str = "") -> str:
    """The Apprise ``mailto://`` (or ``mailtos://``) URL for one message to ``address``."""
    urgent = urgency == Urgency.URGENT
    sender = settings.URGENT_FROM_EMAIL if urgent else settings.DEFAULT_FROM_EMAIL
    name, from_address = parseaddr(sender)
    if not from_address:
        raise DeliveryError(
            f"The sender address {sender!r} in the settings is not an email address.",
            permanent=True,
            flag_method=False,
        )
    if settings.EMAIL_USE_SSL:
        mode = "ssl"
    elif settings.EMAIL_USE_TLS:
        mode = "starttls"
    else:
        mode = "insecure"
    login = ""
    if settings.EMAIL_HOST_USER:
        login = quote(settings.EMAIL_HOST_USER, safe="")
        if settings.EMAIL_HOST_PASSWORD:
            login += ":" + quote(settings.EMAIL_HOST_PASSWORD, safe="")
        login += "@"
    query = {
        "smtp": settings.EMAIL_HOST,
        "mode": mode,
        "from": from_address,
        "to": address,
        "cto": str(settings.EMAIL_TIMEOUT),
    }
    if name:
        query["name"] = name
    # "+Name" parameters become message headers.
    if urgent:
        query["+X-Priority"] = "1 (Highest)"
        query["+Importance"] = "high"
    if identity:
        query[f"+{message_id.HEADER}"] = f"<{identity}>"
    scheme = "mailto" if mode == "insecure" else "mailtos"
    host = f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}"
    return f"{scheme}://{login}{host}/?{urlencode(query, quote_via=quote)}"


@register_channel
class EmailChannel(Channel):
    kind = "email"

    def send(self, outgoing: Outgoing) -> SendResult:
        check_address(outgoing)
        html = bool(outgoing.html)
        return transport.send(
            email_url(outgoing.address, outgoing.urgency, outgoing.identity),
            title=outgoing.subject,
            body=outgoing.html if html else outgoing.text,
            body_format=apprise.NotifyFormat.HTML if html else apprise.NotifyFormat.TEXT,
            notify_type=transport.notify_type_for(outgoing.urgency),
            kind=self.kind,
            setup_blames_address=False,
            secrets=[settings.EMAIL_HOST_PASSWORD],
        )

