"""A generic JSON webhook (n8n, Make, Zapier catch hooks, a team's own receiver).

The receiver gets Apprise's JSON body — ``version``, ``title``, ``message``, ``type`` — and
the portal's own fields beside them (``incident``, ``severity``, ``urgency``, ``reason``,
``ack_url``, …), so a no-code flow can branch without parsing the text. The message's
identity, the same on every try, travels as the ``Idempotency-Key`` header and as the
``idempotency_key`` field (for a flow that cannot read headers): a receiver that has seen
it already can drop the message as a resend.

The address is typed by a user, so the send runs under the egress policy.
"""

from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from . import Channel, DeliveryError, Outgoing, SendResult, register_channel, transport
from .addresses import check_address


def webhook_url(address: str, fields: dict | None = None, identity: str = "") -> str:
    """``http(s)://host/path?q=1`` → ``json(s)://host/path?-q=1&:field=value``.

    Apprise reads plain query parameters as its own options, so the receiver's own ones
    travel as ``-name`` (passed on as they were), the extra body fields as ``:name`` and
    headers as ``+Name``.
    """
    parts = urlsplit(address)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DeliveryError("Not an http(s) URL.", permanent=True)
    scheme = "jsons" if parts.scheme == "https" else "json"
    query = [(f"-{name}", value) for name, value in parse_qsl(parts.query, keep_blank_values=True)]
    query += [(f":{name}", str(value)) for name, value in (fields or {}).items() if value != ""]
    if identity:
        # The header is a structured-field string, quoted, as the IETF draft has it
        # (draft-ietf-httpapi-idempotency-key-header); the field is the bare identity.
        query += [("+Idempotency-Key", f'"{identity}"'), (":idempotency_key", identity)]
    query.append(("method", "POST"))
    path = parts.path or "/"
    return f"{scheme}://{parts.netloc}{path}?{urlencode(query, quote_via=quote)}"


@register_channel
class WebhookChannel(Channel):
    kind = "webhook"

    def send(self, outgoing: Outgoing) -> SendResult:
        check_address(outgoing)
        url = webhook_url(outgoing.address, outgoing.fields, outgoing.identity)
        return transport.send(
            url,
            title=outgoing.subject,
            body=outgoing.text,
            notify_type=transport.notify_type_for(outgoing.urgency),
            kind=self.kind,
            setup_blames_address=True,
            secrets=[urlsplit(outgoing.address).password or ""],
            egress=True,
        )
