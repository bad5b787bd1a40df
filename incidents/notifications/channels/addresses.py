"""Checks every channel makes before building an Apprise URL from a contact address.

The address itself stays out of the message: it is shown in delivery logs, and a webhook's
address may hold a secret. For webhook, Slack and Teams addresses this is also the form's
check against internal addresses (``portal.egress.host_refusal``); the check that counts is
made again on every connection.
"""

from ...models.rosters import contact_address_error
from . import DeliveryError, Outgoing


def check_address(outgoing: Outgoing) -> None:
    """A malformed address fails for good (and flags the method) before any network call."""
    error = contact_address_error(outgoing.kind, outgoing.address)
    if error:
        raise DeliveryError(f"Unusable address: {error}", permanent=True)
