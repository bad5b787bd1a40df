"""Slack incoming webhooks: the person's ``https://hooks.slack.com/services/…`` URL.

A chat channel (others read it): no ack link. The address is typed by a user, so the send
runs under the egress policy.
"""

import re
from urllib.parse import urlsplit

from . import Channel, DeliveryError, Outgoing, SendResult, register_channel, transport
from .addresses import check_address

SERVICES_PATH = re.compile(r"^/services/([A-Z0-9]+)/([A-Z0-9]+)/([A-Z0-9]+)/?$", re.I)
SLACK_HOSTS = {"hooks.slack.com", "hooks.slack-gov.com"}


def slack_url(address: str) -> str:
    """``https://hooks.slack.com/services/T/B/C`` → ``slack://T/B/C``.

    Workflow Builder hooks (``/workflows/…``, ``/triggers/…``) and Slack GovCloud keep
    their https form: Apprise reads those itself.
    """
    parts = urlsplit(address)
    if parts.scheme != "https" or parts.hostname not in SLACK_HOSTS:
        raise DeliveryError(
            "Not a Slack webhook URL (https://hooks.slack.com/…).", permanent=True
        )
    match = SERVICES_PATH.match(parts.path)
    if match and parts.hostname == "hooks.slack.com":
        a, b, c = match.groups()
        return f"slack://{a}/{b}/{c}/?image=no&footer=no"
    return address


@register_channel
class SlackChannel(Channel):
    kind = "slack"
    chat = True

    def send(self, outgoing: Outgoing) -> SendResult:
        check_address(outgoing)
        return transport.send(
            slack_url(outgoing.address),
            title=outgoing.subject,
            body=outgoing.text,
            notify_type=transport.notify_type_for(outgoing.urgency),
            kind=self.kind,
            setup_blames_address=True,
            egress=True,
        )
