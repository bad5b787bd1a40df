"""Grafana's optional webhook signature: hex HMAC-SHA256 with a shared secret.

Grafana (12+) puts it in ``X-Grafana-Alerting-Signature`` unless the contact point names
another header; the integration's ``signature_header`` says which. With a timestamp header
set on the contact point, Grafana sends the Unix time of signing in it and signs
``"<time>:" + body`` rather than the body alone (grafana/alerting, ``http/hmac.go``); the
integration's ``signature_timestamp_header`` names it, and a time more than
:data:`MAX_SKEW_SECONDS` away from ours is refused, so a captured request cannot be sent
again later. Without one, the body alone is signed and a copy stays valid for ever.
"""

import hashlib
import hmac
import re
from datetime import datetime

DEFAULT_HEADER = "X-Grafana-Alerting-Signature"
MAX_SKEW_SECONDS = 300
_UNIX_TIME = re.compile(r"[0-9]{1,12}")


def expected_signature(secret: str, raw: bytes) -> str:
    return hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest()


def signature_valid(*, secret: str, raw: bytes, presented: str) -> bool:
    """Constant-time comparison; a ``sha256=`` prefix (GitHub's habit) is tolerated."""
    presented = presented.strip()
    if presented.lower().startswith("sha256="):
        presented = presented[len("sha256=") :]
    expected = expected_signature(secret, raw)
    return hmac.compare_digest(expected.encode(), presented.lower().encode("ascii", "replace"))


def header_of(integration) -> str:
    return integration.signature_header.strip() or DEFAULT_HEADER


def signature_problem(integration, *, raw: bytes, headers, now: datetime) -> str:
    """Why a request to a signing integration is refused; "" when its signature holds."""
    message = raw
    stamp_header = integration.signature_timestamp_header.strip()
    if stamp_header:
        stamp = headers.get(stamp_header, "").strip()
        if not _UNIX_TIME.fullmatch(stamp):
            return f"The {stamp_header} timestamp is missing or is not a Unix time."
        if abs(now.timestamp() - int(stamp)) > MAX_SKEW_SECONDS:
            return (
                f"The {stamp_header} timestamp is more than {MAX_SKEW_SECONDS // 60} minutes "
                "from the portal's clock: an old request sent again, or a clock that is wrong."
            )
        message = stamp.encode() + b":" + raw
    presented = headers.get(header_of(integration), "")
    if not signature_valid(secret=integration.signature_secret, raw=message, presented=presented):
        return f"The {header_of(integration)} signature is missing or does not match."
    return ""
