"""One definition of "the client" for every per-client limit (`client_identity`).

Which address: REMOTE_ADDR or, behind KEYSERVICE_NUM_PROXIES = N trusted proxies, the N-th
X-Forwarded-For entry from the right (what the outermost trusted proxy appended; entries a
client writes itself are ignored) — `client_address_raw`.

Its spellings: the raw value comes in many spellings of one address: `203.0.113.5:40000`
(Azure Application Gateway and IIS ARR append the client's port), `[2001:db8::1]:443`,
`2001:DB8:0::1`, `::ffff:203.0.113.5`. All of them are the canonical IP address
(`client_address_normalize`). A value that is no IP address is kept as one opaque identity,
hashed to a bounded size.

Who: one IPv4 address is one client, but one IPv6 subscriber is handed a whole prefix (a /64
at least, often a /56 or /48) and may send from any address in it. An IPv6 address therefore
counts as its network of KEYSERVICE_CLIENT_IPV6_PREFIX bits (64 by default): every address of
one /64 shares one budget, two /64s have two (`client_address_group`). IPv4 (and IPv4-mapped
IPv6, which is IPv4) stays the full address.

Every per-client limit keys on `client_identity`: the API's throttles (api.auth, api.leak_views)
and sign-in's rate limits (allauth, through accounts.adapters.AccountAdapter.get_client_ip).
"""

from __future__ import annotations

import hashlib
import ipaddress
from collections.abc import Mapping

from django.conf import settings

_OPAQUE_PREFIX = "opaque:"


def _parse(value: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    candidates = [value]
    if value.startswith("["):  # [v6] or [v6]:port
        host, sep, rest = value[1:].partition("]")
        if sep and (not rest or (rest[0] == ":" and rest[1:].isdigit())):
            candidates = [host]
    elif value.count(":") == 1:  # v4:port
        host, _, port = value.partition(":")
        if port.isdigit():
            candidates = [host]
    for candidate in candidates:
        try:
            return ipaddress.ip_address(candidate)
        except ValueError:
            continue
    return None


def client_address_raw(meta: Mapping[str, object]) -> str:
    """The client address as the server was told it (a WSGI environ or a request's META):
    REMOTE_ADDR or, behind KEYSERVICE_NUM_PROXIES = N trusted proxies, the N-th
    X-Forwarded-For entry from the right (the leftmost when there are fewer); "" for none."""
    remote = meta.get("REMOTE_ADDR")
    remote_addr = remote if isinstance(remote, str) else ""
    proxies = int(settings.KEYSERVICE_NUM_PROXIES)
    forwarded = meta.get("HTTP_X_FORWARDED_FOR")
    if proxies <= 0 or not isinstance(forwarded, str):
        return remote_addr
    entries = forwarded.split(",")
    return entries[-min(proxies, len(entries))].strip()


def client_address_normalize(raw: str | None) -> str:
    """The canonical client IP of `raw` (port and brackets removed, IPv6 compressed and
    lower-case, IPv4-mapped IPv6 as IPv4); "" for none; any other value as a bounded hash."""
    value = (raw or "").strip()
    if not value:
        return ""
    address = _parse(value)
    if address is None:
        digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        return _OPAQUE_PREFIX + digest
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return str(address)


def client_address_group(address: str) -> str:
    """The client a canonical address (`client_address_normalize`) belongs to: an IPv6
    address as its network of KEYSERVICE_CLIENT_IPV6_PREFIX bits (`2001:db8:1:2::/64`); an
    IPv4 address, an opaque identity or "" as it is."""
    if ":" not in address or address.startswith(_OPAQUE_PREFIX):
        return address
    prefix = int(settings.KEYSERVICE_CLIENT_IPV6_PREFIX)
    return str(ipaddress.IPv6Network((address, prefix), strict=False))


def client_identity(meta: Mapping[str, object]) -> str:
    """Who a request counts as, for every per-client limit: its address (`client_address_raw`),
    canonical (`client_address_normalize`), an IPv6 one as its /KEYSERVICE_CLIENT_IPV6_PREFIX
    network (`client_address_group`); "" when the server gave no address."""
    return client_address_group(client_address_normalize(client_address_raw(meta)))
