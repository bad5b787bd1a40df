"""SMS through whichever Apprise SMS provider the deployment configures.

``SMS_APPRISE_URL_TEMPLATE`` (a setting, or the environment variable of that name) is an
Apprise URL with ``{number}`` where the E.164 number goes (``{digits}``: without the +),
e.g. ``twilio://SID:TOKEN@+15551234567/{number}`` or ``vonage://KEY:SECRET@FROM/{digits}``.
Without it every SMS fails at once, and clearly, instead of being retried.

Not under the egress policy: the connection goes to the deployment's provider, from its
settings; what a user types is only the phone number, which the provider dials.
"""

from urllib.parse import quote, urlsplit

from django.conf import settings

from . import Channel, DeliveryError, Outgoing, SendResult, register_channel, transport
from .addresses import check_address

NOT_CONFIGURED = (
    "SMS is not configured: set SMS_APPRISE_URL_TEMPLATE to an Apprise SMS URL with "
    "{number} where the phone number goes."
)
# A provider refusing the deployment's account or token is not the person's number's fault.
CREDENTIAL_STATUSES = frozenset({401, 403, 407})


def url_template() -> str:
    return settings.SMS_APPRISE_URL_TEMPLATE.strip()


def sms_url(number: str) -> str:
    template = url_template()
    if not template:
        raise DeliveryError(NOT_CONFIGURED, permanent=True, flag_method=False)
    if "{number}" not in template and "{digits}" not in template:
        raise DeliveryError(
            "SMS_APPRISE_URL_TEMPLATE has no {number} (or {digits}) for the phone number.",
            permanent=True,
            flag_method=False,
        )
    return template.replace("{number}", quote(number, safe="")).replace(
        "{digits}", number.lstrip("+")
    )


@register_channel
class SmsChannel(Channel):
    kind = "sms"

    def send(self, outgoing: Outgoing) -> SendResult:
        check_address(outgoing)
        url = sms_url(outgoing.address)
        return transport.send(
            url,
            # No title: SMS plugins would put it in front of the text and break the length.
            title="",
            body=outgoing.text,
            notify_type=transport.notify_type_for(outgoing.urgency),
            kind=self.kind,
            setup_blames_address=False,
            secrets=[urlsplit(url).password or ""],
            credential_statuses=CREDENTIAL_STATUSES,
        )
