"""Webhook signatures: `X-Keyservice-Signature: t=<unix time>,v1=<hex HMAC-SHA256>`.

The MAC covers `f"{t}.".encode() + body` with the project's webhook secret, so a receiver can
check both origin and freshness. `signature_verify` is the receiver-side check (documented for
customers, used by the tests).
"""

from __future__ import annotations

import hashlib
import hmac
import time

SIGNATURE_HEADER = "X-Keyservice-Signature"
EVENT_HEADER = "X-Keyservice-Event"


def signature_compute(*, secret: str, timestamp: int, body: bytes) -> str:
    message = f"{timestamp}.".encode() + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(*, secret: str, body: bytes, timestamp: int | None = None) -> str:
    t = int(time.time()) if timestamp is None else timestamp
    return f"t={t},v1={signature_compute(secret=secret, timestamp=t, body=body)}"


def signature_verify(
    *,
    secret: str,
    header: str,
    body: bytes,
    tolerance_seconds: int = 300,
    now: float | None = None,
) -> bool:
    """True when `header` signs exactly `body` with `secret`, within `tolerance_seconds`."""
    timestamp: int | None = None
    candidates: list[str] = []
    for part in (header or "").split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isdigit():
            timestamp = int(value)
        elif key == "v1" and value:
            candidates.append(value)
    if timestamp is None or not candidates:
        return False
    current = time.time() if now is None else now
    if abs(current - timestamp) > tolerance_seconds:
        return False
    expected = signature_compute(secret=secret, timestamp=timestamp, body=body)
    # Check every v1 (a sender may send several while rotating secrets), each in constant time.
    matches = [hmac.compare_digest(expected.encode(), c.encode()) for c in candidates]
    return any(matches)
