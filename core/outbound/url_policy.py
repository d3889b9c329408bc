"""The URL policy: an outbound URL parsed once, by the parser of the client that connects
(urllib3).

`url_parse` is the only place an outbound URL string (a webhook's, a lifecycle subscriber's)
is read. It refuses every form
that two URL parsers could read differently, and returns the parts the connecting code uses
as they are (scheme, host, port, request target); nothing parses the string again. The same
check runs when a URL is saved (with a message for the form field) and before every send.

Refused: any scheme but http/https; userinfo (any `@` in the authority); backslashes;
whitespace, control and non-ASCII characters anywhere (international names go in punycode);
a fragment; any `%` in the authority; percent-encoded delimiters (`%2F %3F %23 %40 %5C`),
`%25` and encoded control characters anywhere; host names that are not plain DNS labels;
IP literals in any but their canonical form (decimal `2130706433`, octal `0177.0.0.1`, hex
`0x7f.1`, short `127.1`, leading zeros, IPv4-mapped or -embedded IPv6, zone ids) and the
unspecified addresses `0.0.0.0` and `::`; an empty host; ports outside 1-65535 or written
with leading zeros.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

from urllib3.exceptions import LocationParseError
from urllib3.util import parse_url
from urllib3.util.url import _URI_RE  # the grammar parse_url itself splits with

from core.hostnames import dns_name_is_valid
from core.outbound.address_guard import (
    PUBLIC_ONLY,
    AddressPolicy,
    AddressRefused,
    UrlRefused,
)

DEFAULT_PORTS = {"http": 80, "https": 443}
MAX_LENGTH = 2048

_PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]*")
_ENCODED_FORBIDDEN = re.compile(r"%(?:2f|3f|23|40|5c|25|[01][0-9a-f]|7f)", re.IGNORECASE)
# A bracketed host may hold dots (`[::ffff:198.51.100.4]`): _host refuses it as a host.
_AUTHORITY = re.compile(r"(?P<host>\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(?P<port>[1-9][0-9]{0,4}))?")
# Something after the host that is meant as a port: a colon with no `]` after it. Only the
# last colon can be one (`[^\]:]`), so each character is read once (`:[^\]]*$` read the rest
# of the text again from every colon: quadratic on `:::…]`).
_PORT_TAIL = re.compile(r":[^\]:]*$")
_NUMERIC_LABEL = re.compile(r"[0-9]+|0x[0-9a-f]*")

MESSAGE_SCHEME = "Enter a URL that starts with http:// or https://."
MESSAGE_CHARACTERS = (
    "Use printable ASCII only: no spaces or control characters (write international "
    "domain names in punycode, other characters percent-encoded in the path)."
)
MESSAGE_BACKSLASH = "Webhook URLs may not contain backslashes."
MESSAGE_FRAGMENT = "Remove the #fragment: it is never sent."
MESSAGE_USERINFO = "Webhook URLs may not contain a user name or password (no @ before the host)."
MESSAGE_ENCODED = (
    "Percent-encoded delimiters (%2F %3F %23 %40 %5C %25) and control characters are not "
    "allowed, and the host may not be percent-encoded."
)
MESSAGE_HOST = (
    "Write the host as a domain name or a canonical IP address "
    "(like 203.0.113.10 or [2001:db8::10])."
)
MESSAGE_PORT = "The port must be a number from 1 to 65535, without leading zeros."
MESSAGE_LENGTH = f"Webhook URLs are at most {MAX_LENGTH} characters."
MESSAGE_PRIVATE = "Webhooks can only be sent to public addresses."


@dataclass(frozen=True)
class OutboundUrl:
    """An outbound URL as urllib3 parsed it. `host` is a lowercase name or a canonical IP."""

    scheme: str
    host: str
    port: int
    target: str  # path and query, as sent on the request line
    address: str | None  # the IP when `host` is an IP literal

    @property
    def host_header(self) -> str:
        literal = f"[{self.host}]" if ":" in self.host else self.host
        if self.port == DEFAULT_PORTS[self.scheme]:
            return literal
        return f"{literal}:{self.port}"


def url_parse(url: str) -> OutboundUrl:
    """Parse `url` once; raise UrlRefused (with a message for the user) when refused."""
    if not isinstance(url, str) or not url:
        raise UrlRefused(MESSAGE_SCHEME)
    if len(url) > MAX_LENGTH:
        raise UrlRefused(MESSAGE_LENGTH)
    if "\\" in url:
        raise UrlRefused(MESSAGE_BACKSLASH)
    if not _PRINTABLE_ASCII.fullmatch(url):
        raise UrlRefused(MESSAGE_CHARACTERS)
    if "#" in url:
        raise UrlRefused(MESSAGE_FRAGMENT)
    if _ENCODED_FORBIDDEN.search(url):
        raise UrlRefused(MESSAGE_ENCODED)
    match = _URI_RE.match(url)
    scheme, authority = (match.group(1), match.group(2)) if match else (None, None)
    if (scheme or "").lower() not in DEFAULT_PORTS or authority is None:
        raise UrlRefused(MESSAGE_SCHEME)
    if "@" in authority:
        raise UrlRefused(MESSAGE_USERINFO)
    if "%" in authority:
        raise UrlRefused(MESSAGE_ENCODED)
    shape = _AUTHORITY.fullmatch(authority.lower())
    if shape is None:
        port_meant = _PORT_TAIL.search(authority) and not authority.startswith(":")
        raise UrlRefused(MESSAGE_PORT if port_meant else MESSAGE_HOST)
    if shape["port"] and int(shape["port"]) > 65535:
        raise UrlRefused(MESSAGE_PORT)
    try:
        parsed = parse_url(url)
    except LocationParseError:
        raise UrlRefused(MESSAGE_HOST) from None
    if parsed.scheme not in DEFAULT_PORTS or parsed.auth is not None or parsed.fragment:
        raise UrlRefused(MESSAGE_SCHEME)
    port = parsed.port if parsed.port is not None else DEFAULT_PORTS[parsed.scheme]
    if not 1 <= port <= 65535:
        raise UrlRefused(MESSAGE_PORT)
    host, address = _host(parsed.host or "")
    return OutboundUrl(
        scheme=parsed.scheme,
        host=host,
        port=port,
        target=parsed.request_uri,
        address=address,
    )


def url_check(*, url: str, policy: AddressPolicy = PUBLIC_ONLY) -> OutboundUrl:
    """The check when a URL is saved: the syntax, and a literal IP must be one `policy`
    permits (AddressRefused, a UrlRefused, when not). A name is resolved and checked at every
    send, not here."""
    parsed = url_parse(url)
    if parsed.address is not None and not policy.permits(parsed.address):
        raise AddressRefused(MESSAGE_PRIVATE)
    return parsed


def _host(host: str) -> tuple[str, str | None]:
    """The host as urllib3 normalised it, and its IP if it is a (canonical) IP literal."""
    host = host.lower()
    if host.startswith("["):
        try:
            ip = ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise UrlRefused(MESSAGE_HOST) from None
        canonical = str(ip)
        if canonical != host[1:-1] or ip.ipv4_mapped is not None:
            raise UrlRefused(MESSAGE_HOST)
        if ip.is_unspecified:
            raise UrlRefused(MESSAGE_PRIVATE)
        return canonical, canonical
    labels = host.split(".")
    if not host or len(host) > 253:
        raise UrlRefused(MESSAGE_HOST)
    if _NUMERIC_LABEL.fullmatch(labels[-1]) or (labels[-1] == "" and len(labels) > 1):
        # Looks like IPv4 to some parser (WHATWG, inet_aton): only the dotted quad is allowed.
        try:
            ip4 = ipaddress.IPv4Address(host)
        except ValueError:
            raise UrlRefused(MESSAGE_HOST) from None
        if str(ip4) != host:
            raise UrlRefused(MESSAGE_HOST)
        if ip4.is_unspecified:  # "this host" to some stacks: never, even with private allowed
            raise UrlRefused(MESSAGE_PRIVATE)
        return host, host
    if not dns_name_is_valid(host):
        raise UrlRefused(MESSAGE_HOST)
    return host, None
