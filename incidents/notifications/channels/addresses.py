"""Checks every channel makes before building an Apprise URL from a contact address."""

from ...models.rosters import contact_address_error
from . import DeliveryError, Outgoing


def check_address(outgoing: Outgoing) -> None:
    """A malformed address fails for good (and flags the method) before any network call."""
    error = contact_address_error(outgoing.kind, outgoing.address)
    if error:
        raise DeliveryError(f"Unusable address “{outgoing.address}”: {error}", permanent=True)
