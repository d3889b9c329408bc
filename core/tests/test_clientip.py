"""core.clientip: which address a request comes from, and which client that address is."""

from __future__ import annotations

import pytest

from core.clientip import client_address_group, client_address_raw, client_identity


@pytest.mark.parametrize(
    ("address", "client"),
    [
        ("2001:db8:1:2:3:4:5:6", "2001:db8:1:2::/64"),
        ("2001:db8:1:2::", "2001:db8:1:2::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::/64"),
        ("2001:db8:1:3::1", "2001:db8:1:3::/64"),
        ("203.0.113.5", "203.0.113.5"),
        ("203.0.113.6", "203.0.113.6"),
        ("opaque:0123456789abcdef", "opaque:0123456789abcdef"),
        ("", ""),
    ],
)
def test_an_ipv6_address_is_its_64_and_an_ipv4_address_itself(settings, address, client):
    settings.KEYSERVICE_CLIENT_IPV6_PREFIX = 64
    assert client_address_group(address) == client


@pytest.mark.parametrize(
    ("prefix", "client"),
    [(48, "2001:db8:1::/48"), (56, "2001:db8:1:200::/56"), (128, "2001:db8:1:2ff::7/128")],
)
def test_the_ipv6_prefix_is_the_settings(settings, prefix, client):
    settings.KEYSERVICE_CLIENT_IPV6_PREFIX = prefix
    assert client_address_group("2001:db8:1:2ff::7") == client


@pytest.mark.parametrize(
    ("proxies", "meta", "raw"),
    [
        (0, {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "198.51.100.1"}, "10.0.0.2"),
        (
            1,
            {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.4, 198.51.100.1"},
            "198.51.100.1",
        ),
        (
            2,
            {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.4, 198.51.100.1"},
            "203.0.113.4",
        ),
        (
            3,
            {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "203.0.113.4, 198.51.100.1"},
            "203.0.113.4",
        ),
        (1, {"REMOTE_ADDR": "10.0.0.2"}, "10.0.0.2"),
        (0, {}, ""),
    ],
)
def test_the_address_is_the_entry_the_outermost_trusted_proxy_wrote(settings, proxies, meta, raw):
    settings.KEYSERVICE_NUM_PROXIES = proxies
    assert client_address_raw(meta) == raw


def test_the_identity_is_the_trusted_entry_canonical_and_grouped(settings):
    settings.KEYSERVICE_NUM_PROXIES = 1
    settings.KEYSERVICE_CLIENT_IPV6_PREFIX = 64
    meta = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "[2001:DB8:1:2::99]:443"}
    mapped = {"REMOTE_ADDR": "10.0.0.2", "HTTP_X_FORWARDED_FOR": "::ffff:203.0.113.9"}

    assert client_identity(meta) == "2001:db8:1:2::/64"
    assert client_identity(mapped) == "203.0.113.9"  # IPv4-mapped IPv6 is IPv4: its address
    assert client_identity({}) == ""
