"""Egress policy: nothing reaches inside the network on a user's behalf.

Every outbound call to an address a user or admin typed (webhook, Slack and Teams contact
methods today; anything of that kind later) runs inside ``guarded()``. Within it every new
connection that urllib3 makes (``requests`` and so Apprise's HTTP plugins go through it) is
made here instead: the host is resolved once, *each* address it resolves to is checked, and
the socket is connected to a checked address itself, so a second lookup cannot answer
something else (DNS rebinding). urllib3 still sends the Host header and checks the TLS
certificate (SNI included) against the name in the URL. A name that resolves to any refused
address is refused as a whole. Checking the resolved addresses covers every spelling of an
address (``2130706433``, ``0x7f000001``, ``0177.0.0.1``, ``127.1``, ``[::ffff:127.0.0.1]``,
a trailing dot): the resolver reads them all to the same address.

Refused: loopback, private (RFC 1918, unique-local fc00::/7), link-local, carrier-grade NAT
(100.64/10), multicast and broadcast, unspecified, every other range not on the public
internet (documentation, benchmark, reserved), the cloud metadata services, and IPv6
addresses that carry one of those as IPv4 (mapped, compatible, NAT64, 6to4).

Exceptions, both explicit settings:
- ``OUTBOUND_ALLOWED_HOSTS``: host names, addresses or networks reached whatever they are
  (an internal chat server, the local receivers of the tests);
- ``OUTBOUND_ALLOW_PRIVATE``: private and carrier-grade NAT addresses allowed (never
  loopback, link-local or metadata).

Proxies: the first hop is what is checked. A proxy from the environment (``HTTPS_PROXY``)
is connected to like any other address, so it must be allowed explicitly, and then it is the
proxy's job to refuse internal destinations.

Redirects are not followed (the caller turns them off; a 3xx is a failure). What a user is
shown is one of the short reasons below, never a response body or a socket error.
"""

import contextvars
import ipaddress
import logging
import socket
from contextlib import contextmanager
from dataclasses import dataclass, field

import urllib3.util.connection
from django.conf import settings

log = logging.getLogger(__name__)
Address = ipaddress.IPv4Address | ipaddress.IPv6Address

LOOPBACK = "refused: the address is the portal's own host (loopback)"
PRIVATE = "refused: the address is on a private network"
LINK_LOCAL = "refused: the address is link-local"
METADATA = "refused: the address is a cloud metadata service"
SHARED = "refused: the address is in the carrier-grade NAT range"
MULTICAST = "refused: the address is multicast or broadcast"
UNSPECIFIED = "refused: the address is unspecified"
RESERVED = "refused: the address is not on the public internet"
UNRESOLVED = "the host name does not resolve"

# Cloud metadata and platform services (AWS, ECS, GCP, Azure, Oracle, Alibaba, AWS IPv6).
# Most sit in ranges refused anyway; listed so that no setting ever opens them by range.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(text)
    for text in (
        "169.254.169.254", "169.254.169.253", "169.254.169.123", "169.254.170.2",
        "168.63.129.16", "192.0.0.192", "100.100.100.200", "fd00:ec2::254", "fd00:ec2::23",
    )
)
PRIVATE_NETWORKS = tuple(
    ipaddress.ip_network(text)
    for text in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7")
)
SHARED_NETWORK = ipaddress.ip_network("100.64.0.0/10")
# Named outright so that the answer does not depend on the Python version's registry.
RESERVED_NETWORKS = tuple(
    ipaddress.ip_network(text)
    for text in (
        "0.0.0.0/8", "192.0.0.0/24", "192.0.2.0/24", "192.88.99.0/24", "198.18.0.0/15",
        "198.51.100.0/24", "203.0.113.0/24", "240.0.0.0/4", "100::/64", "2001::/23",
        "2001:db8::/32", "3fff::/20", "fec0::/10", "64:ff9b:1::/48",
    )
)
NAT64 = ipaddress.ip_network("64:ff9b::/96")
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")
# Reasons OUTBOUND_ALLOW_PRIVATE lifts.
PRIVATE_REASONS = frozenset({PRIVATE, SHARED})


class EgressRefused(OSError):
    """A connection the policy refused. ``reason`` is short and safe to show anyone."""

    def __init__(self, reason: str, *, permanent: bool = True):
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent


# --- the policy: pure functions ---------------------------------------------------------------


def address_refusal(address: Address) -> str | None:
    """Why ``address`` may not be reached on a user's behalf, or None (settings aside)."""
    if address.version == 6:
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            return address_refusal(embedded)
        if address.sixtofour is not None and address_refusal(address.sixtofour):
            return address_refusal(address.sixtofour)
        address = ipaddress.IPv6Address(int(address))  # without a %zone
    return _refusal_of(address)


def _refusal_of(address: Address) -> str | None:
    if address in METADATA_ADDRESSES:
        return METADATA
    checks = (
        (address.is_unspecified, UNSPECIFIED),
        (address.is_loopback, LOOPBACK),
        (address.is_link_local, LINK_LOCAL),
        (address.is_multicast or address == ipaddress.IPv4Address("255.255.255.255"), MULTICAST),
        (any(address in network for network in PRIVATE_NETWORKS), PRIVATE),
        (address in SHARED_NETWORK, SHARED),
        (any(address in network for network in RESERVED_NETWORKS), RESERVED),
        (not address.is_global, RESERVED),
    )
    return next((reason for failed, reason in checks if failed), None)


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for: mapped, NAT64 or (deprecated) compatible."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address in NAT64 or (address in IPV4_COMPATIBLE and int(address) > 1):
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refusal(host: str, address: Address) -> str | None:
    """``address_refusal`` with the settings' exceptions: None when ``host`` (as typed) or
    ``address`` is allowed explicitly, or private addresses are allowed."""
    if _allowed(host, address):
        return None
    reason = address_refusal(address)
    if reason in PRIVATE_REASONS and settings.OUTBOUND_ALLOW_PRIVATE:
        return None
    return reason


def _allowed(host: str, address: Address | None) -> bool:
    name = normal_host(host)
    for entry in settings.OUTBOUND_ALLOWED_HOSTS:
        entry = normal_host(entry)
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            if entry and entry == name:
                return True
            continue
        if address is not None and address.version == network.version and address in network:
            return True
    return False


def normal_host(host: str) -> str:
    return host.strip().strip("[]").rstrip(".").lower()


def literal_address(host: str) -> Address | None:
    """The address ``host`` spells, in any form the resolver reads without asking DNS
    (``2130706433``, ``0x7f000001``, ``0177.0.0.1``, ``127.1``, IPv6), or None for a name."""
    host = normal_host(host)
    if ":" in host:
        host = host.split("%", 1)[0]  # an IPv6 zone ("%eth0", or "%25eth0" from a URL)
    if not host:
        return None
    try:
        infos = socket.getaddrinfo(host, None, 0, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST)
    except (socket.gaierror, UnicodeError, ValueError):
        return None
    return ipaddress.ip_address(infos[0][4][0].split("%")[0])


def host_refusal(host: str) -> str | None:
    """What a form can tell without resolving: why a typed host is refused, or None. Names
    are resolved only when connecting (where the check counts: DNS can change)."""
    address = literal_address(host)
    if address is not None:
        return refusal(host, address)
    name = normal_host(host)
    if (name == "localhost" or name.endswith(".localhost")) and not _allowed(host, None):
        return LOOPBACK
    return None


# --- connecting: inside ``guarded()`` only ----------------------------------------------------


@dataclass
class Call:
    """One guarded outbound call: the refusals its connections met (the first is shown)."""

    refusals: list[EgressRefused] = field(default_factory=list)

    @property
    def refused(self) -> EgressRefused | None:
        return self.refusals[0] if self.refusals else None


# A context variable, not a thread-local: Apprise runs a service on a pool thread with a
# copy of the caller's context (``submit_with_context``), so the guard goes along.
_current: contextvars.ContextVar[Call | None] = contextvars.ContextVar("egress", default=None)


@contextmanager
def guarded():
    """Every connection urllib3 makes inside is checked against the policy."""
    install()
    call = Call()
    token = _current.set(call)
    try:
        yield call
    finally:
        _current.reset(token)


def checked_addresses(host: str, port: int) -> list[Address]:
    """``host`` resolved, each address checked: all of them, or ``EgressRefused``."""
    try:
        infos = socket.getaddrinfo(normal_host(host), port, 0, socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as error:
        log.warning("egress: %s does not resolve: %s", host, error)
        raise EgressRefused(UNRESOLVED, permanent=False) from None
    addresses = list(dict.fromkeys(ipaddress.ip_address(info[4][0]) for info in infos))
    for address in addresses:
        reason = refusal(host, address)
        if reason:
            log.warning("egress: refused %s (%s) port %s: %s", host, address, port, reason)
            raise EgressRefused(reason)
    return addresses


def _checked_connection(original, address, *args, **kwargs):
    """urllib3's ``create_connection`` to a checked address of ``address``'s host."""
    host, port = address
    try:
        addresses = checked_addresses(host, port)
    except EgressRefused as refused:
        _current.get().refusals.append(refused)
        raise
    error = None
    for checked in addresses:
        try:
            # A literal address: urllib3 resolves nothing more, and connects to it.
            return original((str(checked), port), *args, **kwargs)
        except OSError as failed:
            error = failed
    raise error


def install() -> None:
    """Route urllib3's new connections through the policy inside ``guarded()`` (once)."""
    original = urllib3.util.connection.create_connection
    if getattr(original, "egress_checked", False):
        return

    def create_connection(address, *args, **kwargs):
        if _current.get() is None:
            return original(address, *args, **kwargs)
        return _checked_connection(original, address, *args, **kwargs)

    create_connection.egress_checked = True
    urllib3.util.connection.create_connection = create_connection
