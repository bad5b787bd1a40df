"""TRUSTED_PROXIES: X-Forwarded-For is believed only from a trusted proxy, from the right."""

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import RequestFactory

from portal.client_address import client_address, trusted_proxies


def request(remote="203.0.113.5", forwarded=None):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **headers)


def test_without_trusted_proxies_the_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert client_address(request("203.0.113.5", "198.51.100.1")) == "203.0.113.5"


def test_a_header_from_an_untrusted_peer_is_ignored(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_address(request("203.0.113.5", "10.0.0.9, 198.51.100.1")) == "203.0.113.5"


def test_behind_a_trusted_proxy_the_hop_it_added_is_the_client(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.1"]
    assert client_address(request("10.0.0.1", "198.51.100.1")) == "198.51.100.1"


def test_what_the_client_wrote_on_the_left_is_not_believed(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    spoofed = "127.0.0.1, 192.0.2.44, 198.51.100.1, 10.0.0.7"
    assert client_address(request("10.0.0.2", spoofed)) == "198.51.100.1"


def test_several_headers_are_read_as_one_list(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_address(request("10.0.0.2", "192.0.2.44,198.51.100.1")) == "198.51.100.1"


def test_ipv6_proxies_ports_and_mapped_addresses(settings):
    settings.TRUSTED_PROXIES = ["2001:db8::/32", "10.0.0.0/8"]
    assert client_address(request("2001:db8::1", "[2001:db8:1::9]:443, 198.51.100.1:5151")) == (
        "198.51.100.1"
    )
    assert client_address(request("::ffff:10.0.0.3", "2001:db8:ffff::1, 2001:db9::5")) == (
        "2001:db9::5"
    )


def test_a_garbled_hop_stops_the_walk_at_the_last_trusted_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_address(request("10.0.0.2", "198.51.100.1, unknown")) == "10.0.0.2"


def test_no_header_behind_a_trusted_proxy_is_the_proxy(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_address(request("10.0.0.2")) == "10.0.0.2"


def test_a_mistyped_entry_stops_the_start():
    with pytest.raises(ImproperlyConfigured, match="not-an-address"):
        trusted_proxies(("10.0.0.0/8", "not-an-address"))
