"""The parsers for values taken from request input: one for positive integers in query
strings, one for URLs. Each answers None for anything it does not accept (the view names the
field in a 400), and never raises on hostile text: non-ASCII digits (`²`, `١٢`), thousands of
digits, brackets that are not an IPv6 literal, control characters."""

from __future__ import annotations

import ipaddress
import re
import unicodedata
from urllib.parse import SplitResult, urlsplit

MAX_INT_DIGITS = 9  # up to 999 999 999: every page or limit anyone means
MAX_URL_LENGTH = 2048

# `[0-9]`, not `\d` (which matches any Unicode digit, e.g. Arabic-Indic ones).
_ASCII_DIGITS = re.compile(rf"[0-9]{{1,{MAX_INT_DIGITS}}}")


def positive_int(raw: object) -> int | None:
    """`raw` as an integer ≥ 1 if it is 1 to MAX_INT_DIGITS ASCII digits, else None."""
    if not isinstance(raw, str) or _ASCII_DIGITS.fullmatch(raw) is None:
        return None
    value = int(raw)
    return value if value >= 1 else None


def _unsafe_character(value: str) -> bool:
    """Whitespace, backslashes, and control, format, surrogate, private-use or unassigned
    characters: parsers disagree about them, so no accepted URL contains one."""
    return any(c.isspace() or c == "\\" or unicodedata.category(c).startswith("C") for c in value)


def http_url(value: object, *, max_length: int = MAX_URL_LENGTH) -> SplitResult | None:
    """`value` split, if it is an absolute http(s) URL with a host (and a valid port)."""
    if not isinstance(value, str) or not 0 < len(value) <= max_length:
        return None
    if _unsafe_character(value):
        return None
    try:
        parts = urlsplit(value)
        hostname = parts.hostname
        parts.port  # noqa: B018  (raises ValueError for a port that is not 0-65535)
    except ValueError:  # e.g. "[" or "]" that is not an IPv6 literal
        return None
    if parts.scheme not in ("http", "https") or not hostname:
        return None
    if "[" in parts.netloc and not _is_ipv6(hostname):  # e.g. IPvFuture "[v1.x]"
        return None
    return parts


def _is_ipv6(text: str) -> bool:
    try:
        ipaddress.IPv6Address(text)
    except ValueError:
        return False
    return True
