"""Microsoft Teams through a Power Automate workflow ("Post to a channel when a webhook
request is received"): the person's workflow URL becomes an Apprise ``workflows://`` URL.
The old Office 365 connectors (``msteams://``) are retired, and gone from Apprise 2.

A chat channel (others read it): no ack link. The address is typed by a user, so the send
runs under the egress policy.
"""

import re
from urllib.parse import parse_qs, quote, urlencode, urlsplit

from django.conf import settings

from ...models.rosters import LOOPBACK_HOSTS
from . import Channel, DeliveryError, Outgoing, SendResult, register_channel, transport
from .addresses import check_address

WORKFLOW_PATH = re.compile(
    r"^(?P<pa>/powerautomate/automations/direct(?:/cu/(?P<route>\d+))?)?"
    r"/workflows/(?P<workflow>[A-Z0-9_-]+)/triggers/manual/paths/invoke/?$",
    re.I,
)


def teams_url(address: str) -> str:
    """``https://HOST/workflows/ID/triggers/manual/paths/invoke?…&sig=S`` (or the newer
    ``…/powerautomate/automations/direct/workflows/ID/…`` form) → ``workflows://HOST/ID/S``."""
    parts = urlsplit(address)
    match = WORKFLOW_PATH.match(parts.path)
    query = parse_qs(parts.query)
    signature = (query.get("sig") or [""])[0]
    if parts.scheme != "https" or not match or not signature or not parts.hostname:
        raise DeliveryError(
            "Not a Power Automate workflow URL "
            "(…/workflows/<id>/triggers/manual/paths/invoke?…&sig=…).",
            permanent=True,
        )
    params = {"image": "no"}
    if query.get("api-version"):
        params["ver"] = query["api-version"][0]
    if match.group("pa"):
        params["pa"] = "yes"
    if match.group("route"):
        params["route"] = match.group("route")
    if parts.hostname in LOOPBACK_HOSTS and settings.CONTACT_ALLOW_LOOPBACK_HTTP:
        # A local test receiver has a self-signed certificate; never so for a real host.
        params["verify"] = "no"
    host = parts.hostname + (f":{parts.port}" if parts.port else "")
    workflow = match.group("workflow")
    return f"workflows://{host}/{workflow}/{quote(signature, safe='')}/?{urlencode(params)}"


@register_channel
class TeamsChannel(Channel):
    kind = "teams"
    chat = True

    def send(self, outgoing: Outgoing) -> SendResult:
        check_address(outgoing)
        return transport.send(
            teams_url(outgoing.address),
            title=outgoing.subject,
            body=outgoing.text,
            notify_type=transport.notify_type_for(outgoing.urgency),
            kind=self.kind,
            setup_blames_address=True,
            egress=True,
        )
