"""Version stamps in Redis: what lets a per-process cache prove its entries are current.

A stamp is a Redis string `ks:v:<kind>:<id>` (kind `u` user, `p` project, `t` service token,
`g` the one global stamp, id "0") whose value is a fresh random token after every change of
the rows it covers. A cache entry records the values of its stamps *read before* the database
read that produced it; an entry is served only while every one of its stamps still has that
value (`stamps_read`, one MGET). docs/scaling.md, "Why the verify cache is never stale",
proves it; core.stamped makes every write path of a covered model call the two bumps:

- `stamps_bump_pending` before the write (so before its transaction commits): the stamps
  become `pending:<random>` (with a TTL). Readers never store an entry under a pending
  stamp. If Redis cannot take it, the write is refused (`StampRefusal.UNAVAILABLE`, an
  ApplicationError raised inside the transaction, which rolls it back): a write the caches
  would not hear about never happens.
- `stamps_bump_committed` after the commit (transaction.on_commit: before the writer
  answers): a new random value. If it fails, the pending value expires into "missing",
  which readers treat as a miss and re-initialise with a new random value (SET NX).

Every bump is also published to the processes that hold a lease (core.leases), and returns
only once each has applied it: their hits then need no MGET at all.

Readers fail soft: Redis unreachable or slower than the socket timeout → `None`, the caller
bypasses its cache (and skips Redis for a second). With no stamp URL configured
(KEYSERVICE_VERIFY_CACHE_REDIS_URL, default REDIS_URL) nothing is bumped and nothing may
be cached: the caches are off.
"""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections.abc import Iterable, Sequence
from enum import StrEnum
from typing import Any

import redis
from django.conf import settings
from redis.exceptions import RedisError

from core.errors import ApplicationError
from core.leases import leases_forget, leases_publish
from core.quietlog import QuietWarning

logger = logging.getLogger(__name__)
_quiet = QuietWarning(logger)

PREFIX = "ks:v:"
PENDING = "pending:"
GLOBAL = f"{PREFIX}g:0"
# After a failed read, readers leave Redis alone this long (no timeout paid per request).
READ_BACKOFF_SECONDS = 1.0
# Settled stamps expire after a week (an expired stamp is a miss, never a stale hit): Redis
# holds one small string per user, project and token recently read or written.
STAMP_TTL_SECONDS = 7 * 24 * 3600


class StampKind(StrEnum):
    USER = "u"
    PROJECT = "p"
    TOKEN = "t"  # noqa: S105 (a stamp kind)


class StampRefusal(StrEnum):
    UNAVAILABLE = "stamps_unavailable"


UNAVAILABLE_MESSAGE = (
    "This change cannot be made right now: the verify cache's Redis is unreachable. "
    "Nothing was changed; try again shortly."
)


def stamp_key(kind: StampKind, pk: object) -> str:
    return f"{PREFIX}{kind.value}:{pk}"


def _fresh() -> str:
    return secrets.token_hex(16)


class _Client:
    """One redis-py client per process for the configured URL, with short socket timeouts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._url: str | None = None
        self._client: redis.Redis | None = None
        self.read_blocked_until = 0.0

    def get(self) -> redis.Redis | None:
        url = stamps_url()
        if not url:
            return None
        with self._lock:
            if self._client is None or self._url != url:
                timeout = float(settings.KEYSERVICE_VERIFY_CACHE_REDIS_TIMEOUT)
                self._client = redis.Redis.from_url(
                    url,
                    socket_timeout=timeout,
                    socket_connect_timeout=timeout,
                    decode_responses=True,
                )
                self._url = url
                self.read_blocked_until = 0.0
            return self._client


_client = _Client()


def stamps_reset() -> None:
    """Forget a failed read's back-off (tests: Redis is back at once)."""
    _client.read_blocked_until = 0.0


def stamps_url() -> str:
    return str(getattr(settings, "KEYSERVICE_VERIFY_CACHE_REDIS_URL", "") or "")


def lease_seconds() -> float:
    """How long a lease lasts (core.leases); every process must agree on it."""
    return float(settings.KEYSERVICE_VERIFY_CACHE_LEASE_SECONDS)


def stamps_enabled() -> bool:
    """Are stamps kept (a Redis configured)? Writers bump only then; caches need it."""
    return bool(stamps_url())


def stamps_read(keys: Sequence[str]) -> list[str] | None:
    """The current values of `keys`, missing ones initialised to a new random value (SET NX,
    so concurrent readers agree on one); None when Redis is unavailable or backing off."""
    client = _client.get()
    if client is None or time.monotonic() < _client.read_blocked_until:
        return None
    try:
        values: list[Any] = client.mget(keys)
        missing = [k for k, v in zip(keys, values, strict=True) if v is None]
        if missing:
            with client.pipeline(transaction=False) as pipe:
                for key in missing:
                    pipe.set(key, _fresh(), nx=True, ex=STAMP_TTL_SECONDS)
                pipe.mget(keys)
                values = pipe.execute()[-1]
    except (RedisError, OSError) as exc:
        _client.read_blocked_until = time.monotonic() + READ_BACKOFF_SECONDS
        _quiet.warn("verify cache bypassed: stamps unreadable (%s)", type(exc).__name__)
        return None
    if any(v is None for v in values):
        return None  # expired between the two reads: treat as unavailable this once
    return [str(v) for v in values]


def stamp_is_pending(value: str) -> bool:
    return value.startswith(PENDING)


def stamps_bump_pending(keys: Iterable[str]) -> None:
    """Before a write: mark `keys` pending (readers store nothing under them). Raises
    ApplicationError(StampRefusal.UNAVAILABLE) when Redis cannot take it."""
    keys = sorted(set(keys))
    client = _client.get()
    if client is None or not keys:
        return
    ttl = int(settings.KEYSERVICE_VERIFY_CACHE_PENDING_TTL)
    try:
        with client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.set(key, PENDING + _fresh(), ex=ttl)
            pipe.execute()
        leases_publish(client, keys, phase="p", lease_seconds=lease_seconds())
    except (RedisError, OSError) as exc:
        logger.warning("write refused: verify stamps unwritable (%s)", type(exc).__name__)
        raise ApplicationError(StampRefusal.UNAVAILABLE, UNAVAILABLE_MESSAGE) from exc


def stamps_bump_committed(keys: Iterable[str]) -> None:
    """After the commit: new random values. A failure is logged; the pending values then
    expire into missing stamps, which no cache entry matches."""
    keys = sorted(set(keys))
    client = _client.get()
    if client is None or not keys:
        return
    try:
        with client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.set(key, _fresh(), ex=STAMP_TTL_SECONDS)
            pipe.execute()
        leases_publish(client, keys, phase="c", lease_seconds=lease_seconds())
    except (RedisError, OSError) as exc:
        logger.error(
            "verify stamps not bumped after commit (%s): %d stamp(s) stay pending until "
            "KEYSERVICE_VERIFY_CACHE_PENDING_TTL passes",
            type(exc).__name__,
            len(keys),
        )


def stamps_bump_global() -> None:
    """Invalidate every cached answer (after `migrate`; `manage.py verify_cache_invalidate`)."""
    stamps_bump_pending([GLOBAL])
    stamps_bump_committed([GLOBAL])


def stamps_leases_forget() -> None:
    """Every lease holder starts over (its entries are no longer served without a stamp read)
    and the next write waits a whole lease: after a failover or a restore of the stamps'
    Redis, whose set of holders may have lost some (`manage.py verify_cache_invalidate`)."""
    client = _client.get()
    if client is None:
        return
    try:
        leases_forget(client)
    except (RedisError, OSError) as exc:
        raise ApplicationError(StampRefusal.UNAVAILABLE, UNAVAILABLE_MESSAGE) from exc


def stamps_bump_after_migrate(**_: object) -> None:
    """post_migrate: bump the global stamp. A Redis that cannot take it does not fail the
    migration (processes started with the new code hold no entries): it is logged."""
    try:
        stamps_bump_global()
    except ApplicationError:
        logger.warning("verify stamps not bumped after migrate: run verify_cache_invalidate")
