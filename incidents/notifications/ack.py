"""One-click acknowledge links: a signed, expiring token bound to (incident, person, cause)."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

SALT = "incidents.ack"
MAX_AGE_SECONDS = 24 * 3600


def make_token(*, incident_id: int, person_id: int, cause: str) -> str:
    return signing.dumps({"i": incident_id, "p": person_id, "c": cause}, salt=SALT, compress=True)


def read_token(token: str, max_age: int = MAX_AGE_SECONDS) -> dict:
    """The token's payload; raises signing.SignatureExpired or signing.BadSignature."""
    return signing.loads(token, salt=SALT, max_age=max_age)


def ack_url(*, incident_id: int, person_id: int, cause: str) -> str:
    token = make_token(incident_id=incident_id, person_id=person_id, cause=cause)
    return settings.PORTAL_BASE_URL + reverse("ack", args=[token])
