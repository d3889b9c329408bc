"""Base62 and the CRC32 checksum written in it: the shape of API keys (apikeys.crypto) and of
what the log filter recognises as one (core.logs), from one definition."""

from __future__ import annotations

import zlib

BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
CHECKSUM_CHARS = 6  # 62**6 > 2**32


def base62(number: int, width: int) -> str:
    """`number` in `width` base62 digits (most significant first)."""
    chars = []
    for _ in range(width):
        number, rem = divmod(number, 62)
        chars.append(BASE62[rem])
    return "".join(reversed(chars))


def crc_checksum(body: str) -> str:
    """The CRC32 of `body` in CHECKSUM_CHARS base62 digits (any text: never raises)."""
    return base62(zlib.crc32(body.encode("utf-8", "surrogatepass")), CHECKSUM_CHARS)
