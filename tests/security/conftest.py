"""A network guard for every security test: nothing leaves the machine, fix or no fix.

A connection to anything but a loopback address, or a name lookup that would ask DNS, is
refused before it happens and fails the test. Names a test needs are answered by the guard
itself (``network_guard.resolve("rebind.test", "127.0.0.1")``), so a test can have a host
name resolve to an internal address without a DNS server. Loopback spellings are let through
to the tests' own local receivers, which must then record nothing.
"""

import ipaddress
import socket

import pytest


def _hosts_file_names() -> frozenset[str]:
    """Names /etc/hosts answers, without DNS (smtplib looks up the machine's own name)."""
    try:
        with open("/etc/hosts") as hosts:
            lines = [line.split("#", 1)[0].split() for line in hosts]
    except OSError:
        return frozenset()
    return frozenset(name.lower() for fields in lines for name in fields[1:])


LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain"}) | _hosts_file_names()


class NetworkGuard:
    def __init__(self):
        self.names: dict[str, list[list[str]]] = {}
        self.lookups: dict[str, int] = {}
        self.violations: list[str] = []

    def resolve(self, name: str, *addresses: str) -> None:
        """``name`` resolves to ``addresses``, every time."""
        self.names[_name(name)] = [list(addresses)]

    def resolve_in_turn(self, name: str, *answers: list[str]) -> None:
        """``name`` answers each lookup with the next of ``answers`` (the last repeated):
        a name whose owner changes its records between a check and a connection."""
        self.names[_name(name)] = [list(answer) for answer in answers]

    def answer(self, name: str) -> list[str] | None:
        lists = self.names.get(_name(name))
        if lists is None:
            return None
        count = self.lookups.get(_name(name), 0)
        self.lookups[_name(name)] = count + 1
        return lists[min(count, len(lists) - 1)]

    def refuse(self, what: str):
        self.violations.append(what)
        return OSError(f"blocked by the test's network guard: {what}")


def _name(host) -> str:
    text = host.decode() if isinstance(host, bytes) else str(host)
    return text.lower().rstrip(".")


def _is_loopback(host: str) -> bool:
    try:
        address = ipaddress.ip_address(str(host).split("%", 1)[0])
    except ValueError:
        return False
    if address.version == 6 and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


@pytest.fixture(autouse=True)
def network_guard(monkeypatch):
    guard = NetworkGuard()
    real_getaddrinfo = socket.getaddrinfo
    real_gethostbyname = socket.gethostbyname
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def getaddrinfo(host, port, family=0, type=0, proto=0, flags=0):
        if host is None:
            return real_getaddrinfo(host, port, family, type, proto, flags)
        try:  # an address in any spelling: read without asking anyone
            return real_getaddrinfo(host, port, family, type, proto, flags | socket.AI_NUMERICHOST)
        except socket.gaierror:
            if flags & socket.AI_NUMERICHOST:
                raise  # the caller asked for addresses only: a name is not one
        answer = guard.answer(host)
        if answer is not None:
            return _entries(answer, port, family, type, proto)
        if _name(host) in LOCAL_NAMES:
            return real_getaddrinfo(host, port, family, type, proto, flags)
        raise socket.gaierror(socket.EAI_NONAME, str(guard.refuse(f"name lookup of {host!r}")))

    def gethostbyname(host):
        entries = getaddrinfo(host, None, socket.AF_INET, socket.SOCK_STREAM)
        return entries[0][4][0] if entries else real_gethostbyname(host)

    def check(sock, address):
        if sock.family not in (socket.AF_INET, socket.AF_INET6):
            return
        if not _is_loopback(address[0]):
            raise guard.refuse(f"connection to {address!r}")

    def connect(sock, address):
        check(sock, address)
        return real_connect(sock, address)

    def connect_ex(sock, address):
        check(sock, address)
        return real_connect_ex(sock, address)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    monkeypatch.setattr(socket, "gethostbyname", gethostbyname)
    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    yield guard
    if guard.violations:
        pytest.fail("tried to reach outside the machine: " + "; ".join(guard.violations))


def _entries(addresses, port, family, type_, proto):
    port = int(port) if str(port or "").isdigit() else 0
    entries = []
    for address in addresses:
        is_v6 = ":" in address
        found = socket.AF_INET6 if is_v6 else socket.AF_INET
        if family not in (0, socket.AF_UNSPEC, found):
            continue
        sockaddr = (address, port, 0, 0) if is_v6 else (address, port)
        entries.append((found, type_ or socket.SOCK_STREAM, proto or socket.IPPROTO_TCP, "",
                        sockaddr))
    if not entries:
        raise socket.gaierror(socket.EAI_NONAME, "no address of that family")
    return entries
