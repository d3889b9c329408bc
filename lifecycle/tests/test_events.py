"""The payloads and the allow-list rules, without the database."""

import json

import pytest

from lifecycle.events import (
    EVENT_FIELDS,
    KeyRevokeReason,
    LifecycleEvent,
    lifecycle_body,
    lifecycle_payload,
)
from lifecycle.networks import NetworkRefused, network_parse, networks_parse


def test_a_payload_carries_exactly_the_documented_fields_in_order():
    payload = lifecycle_payload(
        event=LifecycleEvent.KEY_REVOKED,
        event_id="a" * 24,
        data={"reason": KeyRevokeReason.LEAKED, "keyHint": "spx_…Ab3d", "userId": "b" * 24},
    )
    body = json.loads(lifecycle_body(payload=payload))
    assert list(body) == ["event", "eventId", "occurredAt", "data"]
    assert body["event"] == "key.revoked" and body["eventId"] == "a" * 24
    assert body["occurredAt"].endswith("Z")
    assert list(body["data"]) == ["userId", "keyHint", "reason"]
    assert body["data"]["reason"] == "leaked"


def test_the_body_is_the_same_bytes_whatever_order_the_stored_json_has():
    payload = lifecycle_payload(
        event=LifecycleEvent.USER_DEACTIVATED,
        event_id="c" * 24,
        data={"userId": "d" * 24, "reason": "deleted"},
    )
    shuffled = {
        "data": {"reason": "deleted", "userId": "d" * 24},
        **dict(reversed(payload.items())),
    }
    assert lifecycle_body(payload=shuffled) == lifecycle_body(payload=payload)


@pytest.mark.parametrize(
    "data",
    [
        {"userId": "u"},  # a field missing
        {"userId": "u", "keyHint": "h", "key": "spx_secret"},  # a field no event has
        {"userId": "u", "keyHint": 12},  # not a string
    ],
)
def test_a_payload_with_other_fields_or_values_is_refused(data):
    with pytest.raises(ValueError):
        lifecycle_payload(event=LifecycleEvent.KEY_ISSUED, event_id="e" * 24, data=data)


def test_no_event_has_a_field_that_could_hold_a_key_or_a_secret():
    names = {name.lower() for fields in EVENT_FIELDS.values() for name in fields}
    assert not {n for n in names if n in {"key", "apikey", "secret", "token", "plaintext"}}
    assert "keyhint" in names


@pytest.mark.parametrize(
    ("entry", "stored"),
    [
        ("10.0.0.0/8", "10.0.0.0/8"),
        ("10.1.2.3", "10.1.2.3/32"),
        ("127.0.0.0/8", "127.0.0.0/8"),
        ("fd00::/8", "fd00::/8"),
        (" 192.168.4.0/24 ", "192.168.4.0/24"),
    ],
)
def test_private_networks_may_be_allow_listed(entry, stored):
    assert str(network_parse(entry)) == stored


@pytest.mark.parametrize(
    "entry",
    [
        "0.0.0.0/0",  # everything
        "::/0",
        "8.8.8.0/24",  # public: allowed anyway, never needs listing
        "169.254.169.254",  # the cloud metadata address
        "169.254.0.0/16",  # link-local
        "fe80::/10",
        "224.0.0.0/4",  # multicast
        "0.0.0.0/8",  # "this network"
        "10.0.0.1/8",  # host bits set: ambiguous, so refused
        "8.0.0.0/5",  # overlaps 10/8 but is mostly public
        "localhost",
        "",
    ],
)
def test_anything_but_a_private_block_is_refused_from_the_allow_list(entry):
    with pytest.raises(NetworkRefused):
        network_parse(entry)


def test_the_allow_list_is_deduplicated_and_bounded():
    assert networks_parse(["10.0.0.0/8", "10.0.0.0/8", "127.0.0.1"]) == [
        "10.0.0.0/8",
        "127.0.0.1/32",
    ]
    with pytest.raises(NetworkRefused):
        networks_parse([f"10.0.{i}.0/24" for i in range(33)])


def test_the_ssrf_guard_never_allows_link_local_or_multicast_whatever_the_list_says():
    import ipaddress

    from core.outbound.address_guard import address_is_allowed

    wide = (ipaddress.ip_network("169.254.0.0/16"), ipaddress.ip_network("224.0.0.0/4"))
    assert not address_is_allowed("169.254.169.254", networks=wide)
    assert not address_is_allowed("224.0.0.1", networks=wide)
    private = (ipaddress.ip_network("10.0.0.0/8"),)
    assert address_is_allowed("10.2.3.4", networks=private)
    assert not address_is_allowed("192.168.1.1", networks=private)
