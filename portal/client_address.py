"""The address of the client a request came from, also behind a load balancer.

``REMOTE_ADDR`` is the peer of the TCP connection: behind a proxy that is the proxy. The
proxy says who its client was in ``X-Forwarded-For``, appending the address it received the
request from to whatever the client sent, so only the right-hand end of the header can be
believed: read from the right, each hop that is one of ``TRUSTED_PROXIES`` vouches for the
hop before it, and the first hop that is not trusted is the client. A header that arrives
straight from an untrusted peer is ignored (anyone can send one).

Every per-address rule reads the address here: login throttling, the password-reset and
status-subscription limits, ``/healthz`` details and ``/metrics``.
"""

import ipaddress
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def client_address(request) -> str:
    """The client's IP address as text (IPv4-mapped IPv6 written as IPv4), or ``REMOTE_ADDR``
    as it came when that is not an address at all."""
    remote = request.META.get("REMOTE_ADDR", "")
    peer = parse_address(remote)
    proxies = trusted_proxies(tuple(settings.TRUSTED_PROXIES))
    if peer is None:
        return remote
    if not proxies or not _is_trusted(peer, proxies):
        return str(peer)
    hops = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    for hop in reversed(hops):
        address = parse_address(hop)
        if address is None:
            # Written by a trusted proxy (every hop to its right was trusted) but not an
            # address ("unknown", a socket name): nothing further left can be believed.
            return str(peer)
        if not _is_trusted(address, proxies):
            return str(address)
        peer = address
    return str(peer)  # every hop was a trusted proxy: the leftmost one is the client


def parse_address(text: str) -> Address | None:
    """An address from a header hop: ``1.2.3.4``, ``1.2.3.4:5678``, ``::1``, ``[::1]:5678``."""
    text = text.strip().strip('"')
    if text.startswith("["):
        text = text[1:].split("]", 1)[0]
    elif text.count(":") == 1:
        text = text.split(":", 1)[0]  # IPv4 with a port
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    mapped = getattr(address, "ipv4_mapped", None)
    return mapped or address


@lru_cache(maxsize=8)
def trusted_proxies(entries: tuple[str, ...]) -> tuple[Network, ...]:
    """``TRUSTED_PROXIES`` (addresses or CIDR networks) as networks; the settings call this
    at startup, so a portal with a mistyped entry does not start."""
    networks = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            raise ImproperlyConfigured(
                f"TRUSTED_PROXIES: “{entry}” is not an IP address or network "
                "(give addresses or CIDR networks separated by commas, e.g. 10.0.0.0/8)."
            ) from None
    return tuple(networks)


def _is_trusted(address: Address, proxies: tuple[Network, ...]) -> bool:
    return any(address.version == net.version and address in net for net in proxies)
