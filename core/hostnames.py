"""DNS host names (RFC 1123), in the lower-case form the apps store and compare."""

from __future__ import annotations

import re

MAX_DNS_NAME_LENGTH = 253
# 1-63 of a-z 0-9 -, not starting or ending with "-" (ASCII only: no IDN but its xn-- form).
_LABEL = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?")


def dns_name_is_valid(name: str) -> bool:
    """Whether `name` is a lower-case DNS host name: at most 253 characters, every
    dot-separated label valid. Says nothing about IP literals; callers decide on those."""
    return 0 < len(name) <= MAX_DNS_NAME_LENGTH and all(
        _LABEL.fullmatch(label) for label in name.split(".")
    )
