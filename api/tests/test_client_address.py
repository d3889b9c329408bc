"""One client however the proxy spells it: ports, brackets and IPv6 spellings of one address
share one flood budget (review r3, F5), and so do all the addresses of one IPv6 /64 (issue 22,
item 3), on the API's limits (sign-in's: accounts/tests/test_signin_behind_proxy.py)."""

from __future__ import annotations

import json

import pytest

from apikeys import crypto
from core.clientip import client_address_normalize

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"


@pytest.fixture
def behind_proxy(settings):
    settings.KEYSERVICE_NUM_PROXIES = 1
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "auth_failures_client": "3/120s",
        },
    }


def bad_get(client, user_id: str, xff: str) -> int:
    return client.get(
        "/pixelStripeApi/projects",
        {"apikey": crypto.generate_key(), "userId": user_id},
        secure=True,
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=xff,
    ).status_code


@pytest.mark.parametrize(
    "spellings",
    [
        ["203.0.113.6:40001", "203.0.113.6:40002", "203.0.113.6", " 203.0.113.6:40003 ", "x"],
        [
            "2001:db8::1",
            "[2001:db8::1]:443",
            "[2001:DB8::1]:8443",
            "2001:db8:0:0::1",
            "[2001:db8::1]",
        ],
        ["::ffff:203.0.113.9", "203.0.113.9:1", "[::ffff:203.0.113.9]:2", "203.0.113.9", "x"],
    ],
)
def test_every_spelling_of_one_address_shares_one_flood_budget(
    client, behind_proxy, owner, spellings
):
    statuses = [bad_get(client, owner.public_id, f"192.0.2.1, {xff}") for xff in spellings[:4]]
    assert statuses == [401, 401, 401, 429]
    assert bad_get(client, owner.public_id, "198.51.100.20:40001") == 401  # another client


def test_values_that_are_no_address_are_one_bounded_identity_each(client, behind_proxy, owner):
    assert [bad_get(client, owner.public_id, "unknown") for _ in range(4)] == [401] * 3 + [429]
    assert bad_get(client, owner.public_id, "garbage" * 500) == 401
    assert len(client_address_normalize("garbage" * 500)) < 64
    assert client_address_normalize("unknown") != client_address_normalize("unknown2")


@pytest.mark.parametrize(
    ("raw", "address"),
    [
        ("203.0.113.5:40000", "203.0.113.5"),
        ("[2001:db8::1]:443", "2001:db8::1"),
        ("[2001:db8::1]", "2001:db8::1"),
        ("2001:DB8:0::1", "2001:db8::1"),
        ("::ffff:198.51.100.4", "198.51.100.4"),
        (" 198.51.100.4 ", "198.51.100.4"),
        ("", ""),
        (None, ""),
    ],
)
def test_client_addresses_are_canonical(raw, address):
    assert client_address_normalize(raw) == address


# --- an IPv6 client is its /64 (KEYSERVICE_CLIENT_IPV6_PREFIX), on every per-client limit ---


def report_from(client, forwarded: str) -> int:
    return client.post(
        "/pixelStripeApi/keys/revoke",
        json.dumps({"keys": ["something found"]}),
        content_type="application/json",
        secure=True,
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=forwarded,
    ).status_code


def test_thirty_reports_from_thirty_addresses_of_one_64_get_only_ten_accepted(client, settings):
    """The default limit, 10 reports a minute per client: one /64 is one client, however
    many of its addresses it sends from; the next /64 is another client."""
    settings.KEYSERVICE_NUM_PROXIES = 1

    flood = [report_from(client, f"2001:db8:1:2::{n:x}") for n in range(1, 31)]
    neighbour = [report_from(client, f"2001:db8:1:3::{n:x}") for n in range(1, 3)]

    assert flood == [202] * 10 + [429] * 20
    assert neighbour == [202, 202]


def test_failed_authentications_from_one_64_meet_the_flood_limit(client, owner, settings):
    """The default flood limit, 240 failures per 2 minutes per client: 260 wrong keys from
    260 addresses of one /64 get 240 401s, then 429s; the next /64 still gets its 401."""
    settings.KEYSERVICE_NUM_PROXIES = 1

    statuses = [bad_get(client, owner.public_id, f"2001:db8:7:8::{n:x}") for n in range(1, 261)]

    assert statuses == [401] * 240 + [429] * 20
    assert bad_get(client, owner.public_id, "2001:db8:7:9::1") == 401


def test_the_ipv6_network_a_client_counts_as_is_a_setting(client, owner, settings):
    """With KEYSERVICE_CLIENT_IPV6_PREFIX=48, four /64s of one /48 are one client."""
    settings.KEYSERVICE_NUM_PROXIES = 1
    settings.KEYSERVICE_CLIENT_IPV6_PREFIX = 48
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "auth_failures_client": "3/120s",
        },
    }

    statuses = [bad_get(client, owner.public_id, f"2001:db8:5:{n}::1") for n in range(1, 5)]

    assert statuses == [401, 401, 401, 429]
    assert bad_get(client, owner.public_id, "2001:db8:6::1") == 401
