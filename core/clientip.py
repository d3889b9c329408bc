"""One definition of "the client address" for every per-address limit.

The raw value (REMOTE_ADDR, or the X-Forwarded-For entry the trusted proxies wrote) comes in
many spellings of one address: `203.0.113.5:40000` (Azure Application Gateway and IIS ARR
append the client's port), `[2001:db8::1]:443`, `2001:DB8:0::1`, `::ffff:203.0.113.5`. All
of them are the canonical IP address, as allauth's sign-in limits see it
(allauth.core.internal.httpkit.clean_client_ip, extended to bare brackets and IPv4-mapped
IPv6). A value that is no IP address is kept as one opaque identity, hashed to a bounded size.
"""

from __future__ import annotations

import hashlib
import ipaddress

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
