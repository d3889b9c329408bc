"""Atomic rate limits on the Django cache, shared by every process that shares the cache.

A limit of `N/<period>` is a fixed window that starts at the first hit of an identity and
lasts `period` seconds: the hits in it are counted with `cache.add` (starts the window,
atomic SET NX in Redis) and `cache.incr` (atomic INCR in Redis, under a lock in locmem), so
of any number of concurrent hits exactly N pass. The window ends `period` seconds after it
started however often a refused client retries: a window, never a permanent lock.

When the cache is unavailable the limit is not applied (fail open): a warning is logged
(at most once a minute per process) and the hit is allowed, so an outage of Redis never
takes the API down with it.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass

from django.core.cache import cache

from core.metrics import ratelimit_refusal_count
from core.quietlog import QuietWarning

logger = logging.getLogger(__name__)

_RATE = re.compile(r"^([0-9]+)/([0-9]*)([smhd])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True, slots=True)
class Rate:
    count: int
    seconds: int


@dataclass(frozen=True, slots=True)
class Decision:
    allowed: bool
    retry_after: float = 0.0  # seconds until the window ends (refusals only)


ALLOWED = Decision(allowed=True)


def rate_parse(text: str) -> Rate:
    """`<count>/<period>`, the period being `s`, `m`, `h`, `d` with an optional multiplier
    (`120s`, `2m`, `h`); ValueError otherwise."""
    match = _RATE.match(text.strip()) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"bad rate {text!r}: expected <count>/<period>, e.g. 1/120s")
    seconds = int(match.group(2) or 1) * _UNIT[match.group(3)]
    if seconds < 1:
        raise ValueError(f"bad rate {text!r}: the period must be at least one second")
    return Rate(count=int(match.group(1)), seconds=seconds)


def _digest(ident: str) -> str:
    return hashlib.sha256(str(ident).encode("utf-8", "surrogatepass")).hexdigest()[:32]


def ratelimit_hit(*, scope: str, ident: str, rate: Rate) -> Decision:
    """Count one hit of `ident` against `scope`'s limit; whether it may proceed.

    `scope` is a constant name (it labels the refusal metric, keyservice_ratelimit_refusals);
    who is limited goes in `ident`, never in `scope`."""
    key = f"ratelimit:{scope}:{_digest(ident)}"
    try:
        decision = _hit(key, rate, time.time())
    except Exception as exc:  # any cache failure: fail open
        _warn_unavailable(scope, exc)
        return ALLOWED
    if not decision.allowed:
        ratelimit_refusal_count(limit=scope)
    return decision


def _hit(key: str, rate: Rate, now: float) -> Decision:
    for _ in range(3):
        if cache.add(key, 1, timeout=rate.seconds):
            cache.add(f"{key}:t", now, timeout=rate.seconds)
            return _first(rate)
        try:
            count = cache.incr(key)
        except ValueError:  # the window ended between add and incr: start the next one
            continue
        if count == 1:
            # Django's Redis incr is EXISTS then INCR: a key that expired in between was
            # re-created by INCR without a TTL. Give it one: it is a new window.
            cache.touch(key, rate.seconds)
            cache.set(f"{key}:t", now, timeout=rate.seconds)
            return _first(rate)
        if count <= rate.count:
            return ALLOWED
        return Decision(allowed=False, retry_after=_remaining(key, rate, now))
    return ALLOWED  # the window kept ending under us: nothing left to count against


def _first(rate: Rate) -> Decision:
    return ALLOWED if rate.count >= 1 else Decision(allowed=False, retry_after=rate.seconds)


def _remaining(key: str, rate: Rate, now: float) -> float:
    started = cache.get(f"{key}:t")
    if not isinstance(started, int | float):
        # No start time (a counter without one can only be a window just starting, or one
        # re-created without a TTL): bound it to one period from now.
        cache.touch(key, rate.seconds)
        cache.add(f"{key}:t", now, timeout=rate.seconds)
        return float(rate.seconds)
    return min(float(rate.seconds), max(1.0, started + rate.seconds - now))


_unavailable = QuietWarning(logger)


def _warn_unavailable(scope: str, exc: Exception) -> None:
    _unavailable.warn(
        "rate limit %s not applied: the cache is unavailable (%s); failing open",
        scope,
        type(exc).__name__,
    )


@contextmanager
def concurrency_slot(*, scope: str, ident: str, limit: int, ttl: int) -> Iterator[bool]:
    """Whether one more of `ident`'s `scope` may run now, beside those already running: at most
    `limit` at once across every process sharing the cache (atomic incr/decr). The slot is
    given back when the block ends; `ttl` bounds how long a slot of a killed process is kept.
    Fails open (True) when the cache is unavailable, like the rate limits."""
    key = f"concurrency:{scope}:{_digest(ident)}"
    try:
        cache.add(key, 0, timeout=ttl)
        running = cache.incr(key)
    except Exception as exc:  # unavailable cache, or the key expired in between: fail open
        _warn_unavailable(scope, exc)
        yield True
        return
    if running > limit:
        ratelimit_refusal_count(limit=scope)
    try:
        yield running <= limit
    finally:
        with suppress(Exception):  # expired meanwhile, or unavailable: nothing to give back
            cache.decr(key)
