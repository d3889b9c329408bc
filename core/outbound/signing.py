"""Signatures of outbound requests: `X-Keyservice-Signature: t=<unix time>,v1=<hex HMAC-SHA256>`.

The MAC covers `f"{t}.".encode() + body` with the receiver's secret (a project's webhook
secret, a lifecycle subscriber's), so a receiver can check both origin and freshness. `t` is
the time of each attempt, so a retry's signature header differs from the first attempt's
while its body is the same bytes. While a rotated secret still signs (the caller passes it in
`previous_secrets`), the header carries a second `v1` under it. `signature_verify` is the
receiver-side check (documented for customers, used by the tests).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import time
from collections.abc import Sequence

SIGNATURE_HEADER = "X-Keyservice-Signature"
EVENT_HEADER = "X-Keyservice-Event"
# The delivery's id (its row's public id): the same on every attempt of one delivery.
# Not signed: the body is (and is byte-identical on every attempt), so a receiver that must
# resist replays within the signature's tolerance deduplicates on a hash of the body.
DELIVERY_HEADER = "X-Keyservice-Delivery"


def signature_compute(*, secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(
    *,
    secret: str,
    body: bytes,
    timestamp: int | None = None,
    previous_secrets: Sequence[str] = (),
) -> str:
    """`t=<t>,v1=<MAC under secret>`, then one more `v1=` per previous secret still signing
    (a rotation's overlap: a receiver holding either secret verifies the attempt)."""
    t = int(time.time()) if timestamp is None else timestamp
    macs = [
        signature_compute(secret=s, timestamp=t, body=body) for s in (secret, *previous_secrets)
    ]
    return ",".join([f"t={t}", *(f"v1={mac}" for mac in macs)])


def signed_headers(
    *, secret: str, body: bytes, event: str, delivery_id: str, previous_secrets: Sequence[str] = ()
) -> dict[str, str]:
    """The headers of one attempt of a JSON delivery: its event, its delivery id (the same on
    every attempt) and this attempt's signature."""
    return {
        "Content-Type": "application/json",
        EVENT_HEADER: event,
        DELIVERY_HEADER: delivery_id,
        # Signs this attempt's time with the body, so a retry is fresh for the receiver's
        # replay window while the body stays byte-identical.
        SIGNATURE_HEADER: signature_header(
            secret=secret, body=body, previous_secrets=previous_secrets
        ),
    }


def signature_verify(
    *,
    secret: str,
    header: str,
    body: bytes,
    tolerance_seconds: int = 300,
    now: float | None = None,
) -> bool:
    """True when `header` signs exactly `body` with `secret`, within `tolerance_seconds`.

    Never raises: a malformed header (anything but `t=<ASCII digits>` exactly once and one or
    more `v1=<64 hex digits>`, comma-separated; other `key=value` schemes are ignored) is
    simply not a valid signature.
    """
    parsed = _signature_parse(header)
    if parsed is None or not isinstance(secret, str) or not isinstance(body, bytes):
        return False
    if not secret.isascii():  # our secrets are hex; anything else cannot have signed it
        return False
    timestamp, candidates = parsed
    current = time.time() if now is None else now
    if not abs(current - timestamp) <= tolerance_seconds:
        return False
    expected = signature_compute(secret=secret, timestamp=timestamp, body=body)
    # Check every v1 (a sender may send several while rotating secrets), each in constant time.
    matches = [hmac.compare_digest(expected, candidate) for candidate in candidates]
    return any(matches)


_TIMESTAMP = re.compile(r"[0-9]{1,12}", re.ASCII)
_V1 = re.compile(r"[0-9a-f]{64}", re.ASCII)
_KEY = re.compile(r"[a-z][a-z0-9]{0,15}", re.ASCII)


def _signature_parse(header: object) -> tuple[int, list[str]] | None:
    """(timestamp, v1 candidates), or None for a malformed header."""
    if not isinstance(header, str) or len(header) > 4096:
        return None
    timestamps: list[int] = []
    candidates: list[str] = []
    for part in header.split(","):
        key, sep, value = part.strip().partition("=")
        if not sep or not _KEY.fullmatch(key):
            return None
        if key == "t":
            if not _TIMESTAMP.fullmatch(value):
                return None
            timestamps.append(int(value))
        elif key == "v1":
            if not _V1.fullmatch(value):
                return None
            candidates.append(value)
    if len(timestamps) != 1 or not candidates:
        return None
    return timestamps[0], candidates
