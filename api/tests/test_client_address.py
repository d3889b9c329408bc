"""One client address however the proxy spells it: ports, brackets and IPv6 spellings of one
address share one flood budget (review r3, F5)."""

from __future__ import annotations

import pytest

from apikeys import crypto
from core.clientip import client_address_normalize

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"


@pytest.fixture
def behind_proxy(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "NUM_PROXIES": 1,
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
