"""Grafana's optional webhook signature: hex HMAC-SHA256 of the raw body with a shared secret.

Grafana (12+) puts it in ``X-Grafana-Alerting-Signature`` unless the contact point names
another header; the integration's ``signature_header`` says which.
"""

import hashlib
import hmac

DEFAULT_HEADER = "X-Grafana-Alerting-Signature"


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
