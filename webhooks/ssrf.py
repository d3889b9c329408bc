"""The SSRF guard: which webhook URLs keyservice may call.

Only http and https. The host is resolved before every request and refused when any of its
addresses is not a public unicast address (private, loopback, link-local incl. the cloud
metadata address 169.254.169.254, multicast, reserved, unspecified, IPv6 unique- or
site-local, and IPv4 embedded in IPv6), unless the operator allows private targets.

DNS rebinding: for http the request goes to the validated address itself (Host header set to
the original host), so a second lookup cannot swap in another address. For https the
hostname is kept (certificate and SNI need it), which leaves a small window between our
lookup and the HTTP client's own; a rebinding attacker would also need a certificate valid
for their hostname on the internal target, so the residual risk is accepted.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit, urlunsplit

ALLOWED_SCHEMES = {"http": 80, "https": 443}
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class WebhookUrlRefused(Exception):
    """The URL may not be called. The message is safe to show to the project's users."""


@dataclass(frozen=True)
class WebhookTarget:
    url: SplitResult
    host: str
    port: int
    addresses: tuple[str, ...]

    @property
    def host_header(self) -> str:
        return self.url.netloc.rpartition("@")[2]

    def pinned_url(self, address: str) -> str:
        """The URL with its host replaced by `address` (credentials, port and path kept)."""
        userinfo, at, _ = self.url.netloc.rpartition("@")
        literal = f"[{address}]" if ":" in address else address
        netloc = f"{userinfo}{at}{literal}:{self.port}"
        return urlunsplit((self.url.scheme, netloc, self.url.path or "/", self.url.query, ""))


def address_is_forbidden(address: str) -> bool:
    """True for any address that is not a public unicast address."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    return any(_forbidden(candidate) for candidate in (ip, *_embedded_ipv4(ip)))


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
    )


def _embedded_ipv4(ip: IPAddress) -> list[IPAddress]:
    if not isinstance(ip, ipaddress.IPv6Address):
        return []
    embedded: list[IPAddress] = [a for a in (ip.ipv4_mapped, ip.sixtofour) if a is not None]
    if ip.teredo:
        embedded.extend(ip.teredo)
    if ip in _NAT64:
        embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return embedded


def webhook_target_resolve(*, url: str, allow_private: bool) -> WebhookTarget:
    """Parse and resolve `url`; raise WebhookUrlRefused when it may not be called.

    A name that does not resolve raises socket.gaierror (an OSError): a transient failure.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ALLOWED_SCHEMES:
        raise WebhookUrlRefused("Refused: only http and https URLs are allowed")
    host = parts.hostname
    if not host:
        raise WebhookUrlRefused("Refused: the URL has no host")
    try:
        port = parts.port or ALLOWED_SCHEMES[scheme]
    except ValueError:
        raise WebhookUrlRefused("Refused: the URL has an invalid port") from None
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = tuple(dict.fromkeys(str(info[4][0]) for info in infos))
    if not addresses:
        raise socket.gaierror(f"{host} has no address")
    if not allow_private and any(address_is_forbidden(a) for a in addresses):
        raise WebhookUrlRefused(f"Refused: {host} resolves to a private address")
    return WebhookTarget(
        url=parts._replace(scheme=scheme), host=host, port=port, addresses=addresses
    )
