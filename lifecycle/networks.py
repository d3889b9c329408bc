"""A subscriber's allow-list: the private networks its URL may resolve to.

Customer webhooks reach public addresses only (core/outbound/address_guard.py). An internal
subscriber usually lives on a private network, so the operator names, per subscriber, the
networks it may reach. Only these blocks can be allow-listed (each entry must lie wholly
inside one): private-use IPv4 (RFC 1918), shared address space (RFC 6598), loopback, and
IPv6 unique-local and loopback. Link-local (the cloud metadata address 169.254.169.254 among
them), multicast, reserved and "this network" addresses can never be reached, and the SSRF
guard refuses them again at every send (core.outbound.address_is_allowed).

Loopback is allowable (a subscriber on the same host, in development) but an operator is
warned when saving one (`networks_loopback`, the admin and `subscriber_add`): it lets the
subscriber's URL point at this service's own host, where every port of every local process
is then in reach of its deliveries.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable

from core.outbound import IPNetwork

ALLOWABLE_BLOCKS: tuple[IPNetwork, ...] = tuple(
    ipaddress.ip_network(net)
    for net in (
        "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "127.0.0.0/8",
        "fc00::/7", "::1/128",
    )
)  # fmt: skip
LOOPBACK_BLOCKS: tuple[IPNetwork, ...] = (
    ipaddress.ip_network("127.0.0.0/8"),
    ipaddress.ip_network("::1/128"),
)
MAX_NETWORKS = 32


class NetworkRefused(ValueError):
    """An allow-list entry that may not be used; the message says why, for the operator."""


def network_parse(value: str) -> IPNetwork:
    """One allow-list entry (`10.0.0.0/8`, `10.1.2.3` for one address, `fd00::/8`), in its
    canonical form (no host bits set); NetworkRefused when malformed or not allowable."""
    text = value.strip() if isinstance(value, str) else ""
    try:
        network = ipaddress.ip_network(text, strict=True)
    except ValueError:
        raise NetworkRefused(
            f"{value!r} is not a network: write an address or CIDR like 10.0.0.0/8, "
            "without host bits set"
        ) from None
    if not any(
        network.version == block.version and network.subnet_of(block)  # type: ignore[arg-type]  # versions checked first
        for block in ALLOWABLE_BLOCKS
    ):
        allowed = ", ".join(str(b) for b in ALLOWABLE_BLOCKS)
        raise NetworkRefused(
            f"{text} is not inside a private block that may be allowed ({allowed})"
        )
    return network


def networks_parse(values: Iterable[str]) -> list[str]:
    """The allow-list as stored: canonical entries, de-duplicated, in the order given."""
    found = list(dict.fromkeys(str(network_parse(v)) for v in values))
    if len(found) > MAX_NETWORKS:
        raise NetworkRefused(f"At most {MAX_NETWORKS} networks per subscriber.")
    return found


def networks_load(stored: Iterable[str]) -> tuple[IPNetwork, ...]:
    """The stored allow-list, checked again (a row edited by hand cannot widen it)."""
    return tuple(network_parse(v) for v in stored)


def networks_loopback(stored: Iterable[str]) -> list[str]:
    """The entries of an allow-list (as stored) that reach loopback addresses."""
    return [
        str(network)
        for network in networks_load(stored)
        if any(network.overlaps(block) for block in LOOPBACK_BLOCKS)
    ]


def loopback_warning(entries: Iterable[str]) -> str:
    """What the operator is told when an allow-list names loopback `entries` ("" if none)."""
    listed = ", ".join(entries)
    if not listed:
        return ""
    return (
        f"Warning: the allowed networks include loopback ({listed}). The subscriber's URL may "
        "then point at this service's own host, and its deliveries reach any port of any "
        "process listening there. Allow loopback only for a subscriber on the same host."
    )
