"""Writers announce what they change: before the commit (refused when Redis cannot take it)
and after it, each time waiting until every lease holder has applied it.

- `announce_pending(names)` before the write's statement (so before its transaction
  commits): every holder drops the entries depending on `names` and stores nothing under
  them until the after-commit announcement (or KEYSERVICE_LEASED_CACHE_PENDING_SECONDS). If
  Redis cannot take it, the write is refused (`CacheUnavailable`, raised inside the
  transaction, which rolls it back): a write the caches would not hear about never happens.
- `announce_committed(names)` after the commit (transaction.on_commit: before the writer
  answers): every holder drops the entries again and lifts the pending mark, so answers
  computed from here on may be stored. A failure is logged: the marks then expire on their
  own (the one timing assumption, docs/scaling.md).

Each returns once every holder acknowledged the change or its lease expired (core.leasedcache.
_leases): a write costs two Redis round trips plus the slowest holder's acknowledgement, at
most one lease (KEYSERVICE_LEASED_CACHE_LEASE_SECONDS) when a holder hangs. With no Redis
configured nothing is announced (and no process may cache).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable

import redis
from redis.exceptions import RedisError

from core.leasedcache import _config
from core.leasedcache._names import WILDCARD
from core.leasedcache._publish import leases_forget, leases_publish
from core.leasedcache._refused import CacheUnavailable

logger = logging.getLogger(__name__)


class _Client:
    """One redis-py client per process for the configured URL, with short socket timeouts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._url: str | None = None
        self._client: redis.Redis | None = None

    def get(self) -> redis.Redis | None:
        url = _config.redis_url()
        if not url:
            return None
        with self._lock:
            if self._client is None or self._url != url:
                timeout = _config.redis_timeout_seconds()
                self._client = redis.Redis.from_url(
                    url,
                    socket_timeout=timeout,
                    socket_connect_timeout=timeout,
                    decode_responses=True,
                )
                self._url = url
            return self._client


_client = _Client()


def announce_pending(names: Iterable[str]) -> None:
    """Before a write of `names`: every holder drops their entries and stores none until the
    write is announced committed. Raises CacheUnavailable when Redis cannot take it."""
    names = sorted(set(names))
    client = _client.get()
    if client is None or not names:
        return
    try:
        leases_publish(client, names, phase="p", lease_seconds=_config.lease_seconds())
    except (RedisError, OSError) as exc:
        logger.warning("write refused: the leased cache's Redis (%s)", type(exc).__name__)
        raise CacheUnavailable() from exc


def announce_committed(names: Iterable[str]) -> None:
    """After the commit of a write of `names`: every holder drops their entries again and may
    store them afresh. A failure is logged; the pending marks then expire on their own."""
    names = sorted(set(names))
    client = _client.get()
    if client is None or not names:
        return
    try:
        leases_publish(client, names, phase="c", lease_seconds=_config.lease_seconds())
    except (RedisError, OSError) as exc:
        logger.error(
            "leased cache: a commit not announced (%s): %d name(s) stay pending until "
            "KEYSERVICE_LEASED_CACHE_PENDING_SECONDS passes",
            type(exc).__name__,
            len(names),
        )


def invalidate_all() -> None:
    """Every process drops every entry (after `migrate`; `manage.py verify_cache_invalidate`).
    Raises CacheUnavailable when Redis cannot take it."""
    announce_pending([WILDCARD])
    announce_committed([WILDCARD])


def holders_forget() -> None:
    """Every lease holder starts over in a new epoch and the next write waits a whole lease:
    after a failover or a restore of the cache's Redis, whose set of holders may have lost
    some (`manage.py verify_cache_invalidate`). Raises CacheUnavailable."""
    client = _client.get()
    if client is None:
        return
    try:
        leases_forget(client)
    except (RedisError, OSError) as exc:
        raise CacheUnavailable() from exc


def invalidate_after_migrate(**_: object) -> None:
    """post_migrate: drop every entry. A Redis that cannot take it does not fail the migration
    (processes started with the new code hold no entries): it is logged."""
    try:
        invalidate_all()
    except CacheUnavailable:
        logger.warning("leased cache not invalidated after migrate: run verify_cache_invalidate")
