"""The address policy is the one thing callers choose about where a request may go. Pure
checks: nothing here connects anywhere."""

from __future__ import annotations

import ipaddress

import pytest

from core.outbound import PUBLIC_ONLY, AddressPolicy, AddressRefused, UrlRefused, url_check

SUBSCRIBER = AddressPolicy(allowed_networks=(ipaddress.ip_network("10.20.0.0/16"),))


def test_public_only_permits_public_addresses_and_nothing_else():
    assert PUBLIC_ONLY.permits("8.8.8.8")
    assert not PUBLIC_ONLY.permits("10.20.0.5")
    assert not PUBLIC_ONLY.permits("127.0.0.1")


def test_an_allow_list_adds_its_private_networks_to_the_public_addresses():
    assert SUBSCRIBER.permits("8.8.8.8")
    assert SUBSCRIBER.permits("10.20.0.5")
    assert not SUBSCRIBER.permits("10.21.0.5")


@pytest.mark.parametrize("address", ["169.254.169.254", "fe80::1", "224.0.0.1"])
def test_no_allow_list_reaches_link_local_or_multicast(address):
    network = ipaddress.ip_network("::/0" if ":" in address else "0.0.0.0/0")
    assert not AddressPolicy(allowed_networks=(network,)).permits(address)


def test_the_operators_switch_permits_any_address():
    assert AddressPolicy(allow_private=True).permits("127.0.0.1")


def test_a_literal_ip_the_policy_refuses_is_refused_when_saved_and_says_so():
    with pytest.raises(AddressRefused):
        url_check(url="https://10.20.0.5/hook", policy=PUBLIC_ONLY)
    assert url_check(url="https://10.20.0.5/hook", policy=SUBSCRIBER).address == "10.20.0.5"


def test_a_malformed_url_is_refused_whatever_the_policy():
    with pytest.raises(UrlRefused) as refused:
        url_check(url="http://0x7f.1/hook", policy=AddressPolicy(allow_private=True))
    assert not isinstance(refused.value, AddressRefused)
