"""The address guard (against SSRF): which addresses an outbound request may reach.

By default (PUBLIC_ONLY, customers' webhooks) only public unicast addresses: private,
loopback, link-local (incl. the cloud metadata address 169.254.169.254), multicast, reserved,
unspecified, IPv6 unique- or site-local and IPv4 embedded in IPv6 are refused. The caller
says otherwise with an AddressPolicy: the operator's switch for private targets
(`allow_private`), or an allow-list of private networks (an internal subscriber's).

The name is resolved once per attempt, here; every address must be permitted, and the
connection goes to one of exactly these addresses (core/outbound/transport.py connects to the IP,
for https with SNI and certificate check on the name), so a second lookup can never swap in
another address (DNS rebinding). A name that does not resolve and a name that resolves to a
non-public address are refused with one message, so the refusal reveals nothing about
internal names or addresses.
"""

from __future__ import annotations

import ipaddress
import socket
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.outbound.url_policy import OutboundUrl

# IANA's special-purpose registries (IPv4 and IPv6), written out rather than left to the
# `ipaddress` tables of whichever Python runs us (3.11's miss 192.0.0.0/24, 192.88.99.0/24 and
# 3fff::/20, among others): no webhook goes to any of these, globally reachable or not
# (192.0.0.9/10 and the AS112/AMT anycast blocks are no receivers either).
_SPECIAL_PURPOSE = tuple(
    ipaddress.ip_network(net)
    for net in (
        "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16",
        "172.16.0.0/12", "192.0.0.0/24", "192.0.2.0/24", "192.31.196.0/24", "192.52.193.0/24",
        "192.88.99.0/24", "192.168.0.0/16", "192.175.48.0/24", "198.18.0.0/15",
        "198.51.100.0/24", "203.0.113.0/24", "224.0.0.0/4", "240.0.0.0/4",
        "::/128", "::1/128", "::ffff:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64",
        "100:0:0:1::/64", "2001::/23", "2001:db8::/32", "2002::/16", "2620:4f:8000::/48",
        "3fff::/20", "5f00::/16", "fc00::/7", "fe80::/10", "fec0::/10", "ff00::/8",
    )
)  # fmt: skip
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
NOT_PUBLIC = "Refused: the host does not resolve to a public address"


class UrlRefused(Exception):
    """The URL may not be called. The message is safe to show to the project's users."""


class AddressRefused(UrlRefused):
    """The URL's literal IP is one the address policy does not permit (url_check)."""


class HostRefused(UrlRefused):
    """The host did not resolve, or not only to public addresses (one message for both)."""

    def __init__(self) -> None:
        super().__init__(NOT_PUBLIC)


def address_is_forbidden(address: str) -> bool:
    """True for any address that is not a public unicast address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    # IPv6 forms that embed an IPv4 address (mapped, 6to4, Teredo, NAT64) lie wholly in blocks
    # of _SPECIAL_PURPOSE: refused whatever they embed.
    return _forbidden(ip)


def _forbidden(ip: IPAddress) -> bool:
    return (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or getattr(ip, "is_site_local", False)
        or not ip.is_global
        or any(ip.version == net.version and ip in net for net in _SPECIAL_PURPOSE)
    )


def address_is_allowed(address: str, *, networks: tuple[IPNetwork, ...]) -> bool:
    """True for a non-public `address` inside one of `networks` (an internal subscriber's
    allow-list). Link-local (the cloud metadata address), multicast and unspecified addresses
    are never allowed, whatever the list says."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if ip.is_link_local or ip.is_multicast or ip.is_unspecified:
        return False
    return any(ip.version == net.version and ip in net for net in networks)


@dataclass(frozen=True)
class AddressPolicy:
    """Which addresses a target may resolve to: public ones, and besides them any address
    with `allow_private` (the operator's switch, for development) or the non-public ones
    inside `allowed_networks` (address_is_allowed: an internal subscriber's allow-list)."""

    allow_private: bool = False
    allowed_networks: tuple[IPNetwork, ...] = ()

    def permits(self, address: str) -> bool:
        return (
            self.allow_private
            or not address_is_forbidden(address)
            or address_is_allowed(address, networks=self.allowed_networks)
        )


PUBLIC_ONLY = AddressPolicy()


def addresses_resolve(
    *, url: OutboundUrl, policy: AddressPolicy, timeout: float
) -> tuple[str, ...]:
    """The addresses to connect to, each checked; HostRefused when there are none, or when
    any is one `policy` does not permit. The lookup is bounded by `timeout` (it runs in a
    daemon thread); a lookup still running then is refused like a name that does not resolve.
    """
    if url.address is not None:
        addresses: tuple[str, ...] = (url.address,)
    else:
        addresses = _lookup(url.host, url.port, timeout)
    if not addresses:
        raise HostRefused()
    if not all(policy.permits(a) for a in addresses):
        raise HostRefused()
    return addresses


def _lookup(host: str, port: int, timeout: float) -> tuple[str, ...]:
    found: list[tuple[str, ...]] = []

    def resolve() -> None:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (OSError, UnicodeError):
            return
        found.append(tuple(dict.fromkeys(str(info[4][0]) for info in infos)))

    thread = threading.Thread(target=resolve, name="outbound-dns", daemon=True)
    thread.start()
    thread.join(timeout)
    return found[0] if found else ()
