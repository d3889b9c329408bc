"""The verify cache: per-process answers of the one credential query, never stale.

An entry is keyed by what the request asks (key digest, project, service-token digest,
scope) and holds the answer with the values of its stamps (core.stamps: the key owner's,
the project's, the token's and the global one) **read before** the query that produced it.
A request serves an entry only if one MGET finds every stamp unchanged (and the entry is
younger than KEYSERVICE_VERIFY_CACHE_TTL, and its `valid_until` has not passed): no database
round trip. Otherwise it runs the query (one round trip), having read the stamps first.

Which stamps an answer depends on is known only from the answer (the owner's and project's
primary keys), so a first miss stores a *hint* (the stamp keys, no answer); the next miss
reads those stamps before its query and stores the answer only if the query names the same
stamps and none is pending. Every write path of the rows behind the answer bumps them
(core.stamped): the proof is docs/scaling.md, "Why the verify cache is never stale".

With leases (KEYSERVICE_VERIFY_CACHE_LEASES, core.leases) the process also holds a lease:
while it is valid, a hit is served from memory with no Redis command at all, and a miss stores
its answer at once (no hint) unless a change touching its stamps was applied meanwhile; every
write waits until this process dropped what it changes. Without a valid lease (starting, Redis
unreachable, the lease lapsed) the stamp path above answers.

Redis unreachable or slow: `stamps_read` answers None and the request is a bypass, answered
from PostgreSQL. Bounded: an LRU of KEYSERVICE_VERIFY_CACHE_SIZE entries.
"""

from __future__ import annotations

import os
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Generic, TypeVar

from django.conf import settings
from django.utils import timezone

from core.leases import Lease, LeaseHolder
from core.metrics import verify_cache_count
from core.stamps import (
    GLOBAL,
    lease_seconds,
    stamp_is_pending,
    stamps_enabled,
    stamps_read,
    stamps_url,
)

T = TypeVar("T")


class Outcome(StrEnum):
    """How a lookup was answered: from an entry (hit), from PostgreSQL with the cache in use
    (miss), or from PostgreSQL with the cache off or its Redis unavailable (bypass)."""

    HIT = "hit"
    MISS = "miss"
    BYPASS = "bypass"


# Per-process totals (tests, measurements); `_observe` also counts keyservice_verify_cache_total.
outcomes: Counter[Outcome] = Counter()


def _observe(outcome: Outcome) -> None:
    outcomes[outcome] += 1
    verify_cache_count(result=outcome.value)


@dataclass(frozen=True, slots=True)
class Stamps:
    """What an answer depends on: its stamp keys (the global one is added), and until when
    it may be served at most (a key's expiry; None for none)."""

    keys: tuple[str, ...]
    valid_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class _Entry(Generic[T]):
    keys: tuple[str, ...]
    values: tuple[str, ...] | None  # None: a hint (which stamps to read first next time)
    answer: T | None
    born: float  # time.monotonic()
    valid_until: datetime | None
    epoch: int | None = None  # stored under this lease epoch: served without a stamp read


class _Lru:
    """The entries, and which entries depend on each stamp (so a change drops exactly them)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, _Entry[object]] = OrderedDict()
        self._by_stamp: dict[str, set[Hashable]] = {}

    def get(self, key: Hashable) -> _Entry[object] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: Hashable, entry: _Entry[object]) -> None:
        limit = max(1, int(settings.KEYSERVICE_VERIFY_CACHE_SIZE))
        with self._lock:
            self._pop(key)
            self._entries[key] = entry
            for name in entry.keys:
                self._by_stamp.setdefault(name, set()).add(key)
            while len(self._entries) > limit:
                self._pop(next(iter(self._entries)))

    def _pop(self, key: Hashable) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        for name in entry.keys:
            dependants = self._by_stamp.get(name)
            if dependants is not None:
                dependants.discard(key)
                if not dependants:
                    del self._by_stamp[name]

    def discard(self, key: Hashable) -> None:
        with self._lock:
            self._pop(key)

    def drop_depending(self, names: frozenset[str] | None) -> None:
        """Drop every entry that depends on one of the stamps `names` (None: every entry)."""
        with self._lock:
            if names is None:
                self._entries.clear()
                self._by_stamp.clear()
                return
            for name in names:
                for key in list(self._by_stamp.get(name, ())):
                    self._pop(key)

    def clear(self) -> None:
        self.drop_depending(None)

    def __len__(self) -> int:
        return len(self._entries)


_entries = _Lru()


def verify_cache_enabled() -> bool:
    return bool(settings.KEYSERVICE_VERIFY_CACHE) and stamps_enabled()


class _Holders:
    """This process's lease holder: started on first use, and again after a change of URL or
    a dead thread; none when leases are off. A forked child starts its own (the parent's
    thread does not come along)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.current: LeaseHolder | None = None
        os.register_at_fork(after_in_child=self._forget)

    def _forget(self) -> None:
        self._lock = threading.Lock()  # another thread may have held it at the fork
        self.current = None

    @staticmethod
    def _usable(holder: LeaseHolder | None, url: str) -> bool:
        return holder is not None and holder.url == url and holder.alive()

    def get(self) -> LeaseHolder | None:
        if not settings.KEYSERVICE_VERIFY_CACHE_LEASES:
            if self.current is not None:
                self.stop()
            return None
        url = stamps_url()
        holder = self.current
        if self._usable(holder, url):
            return holder
        with self._lock:
            holder = self.current
            if not self._usable(holder, url):
                if holder is not None:
                    holder.stop()
                holder = self.current = LeaseHolder(
                    url=url,
                    lease_seconds=lease_seconds(),
                    pending_seconds=float(settings.KEYSERVICE_VERIFY_CACHE_PENDING_TTL),
                    wildcard=GLOBAL,
                    on_invalidate=_entries.drop_depending,
                )
            return holder

    def stop(self) -> None:
        with self._lock:
            if self.current is not None:
                self.current.stop()
            self.current = None


_holders = _Holders()


def verify_cache_lease() -> LeaseHolder | None:
    """This process's lease holder (tests wait on it), started if leases are on."""
    return _holders.get() if verify_cache_enabled() else None


def verify_cache_leases_stop() -> None:
    """Give this process's lease back (tests; a process's exit does it too)."""
    _holders.stop()


def verify_cache_clear() -> None:
    """Forget every entry of this process (tests; entries are never needed for correctness)."""
    _entries.clear()


def verify_cache_size() -> int:
    return len(_entries)


def _servable(entry: _Entry[object], values: list[str] | None) -> bool:
    """May `entry` answer: its stamps read as `values` (None: vouched for by the lease)?"""
    if values is not None and (entry.values is None or entry.values != tuple(values)):
        return False
    if time.monotonic() - entry.born >= float(settings.KEYSERVICE_VERIFY_CACHE_TTL):
        return False
    return entry.valid_until is None or timezone.now() < entry.valid_until


def verify_cache_get(
    key: Hashable,
    *,
    compute: Callable[[], T],
    stamps_of: Callable[[T], Stamps | None],
    observe: bool = True,
) -> tuple[T, Outcome]:
    """The answer for `key`: a valid entry's, else `compute()` (the one query), stored when
    `stamps_of(answer)` says it may be (None: never cached, e.g. a refused key). `observe`:
    counted in `outcomes` and the metrics (credential lookups; not what a view adds)."""
    answer, outcome = _get(key, compute=compute, stamps_of=stamps_of)
    if observe:
        _observe(outcome)
    return answer, outcome


def _get(
    key: Hashable, *, compute: Callable[[], T], stamps_of: Callable[[T], Stamps | None]
) -> tuple[T, Outcome]:
    if not verify_cache_enabled():
        return compute(), Outcome.BYPASS
    entry = _entries.get(key)
    holder = _holders.get()
    if holder is not None:
        epoch = holder.epoch_if_leased()
        if epoch is not None:
            if entry is not None and entry.epoch == epoch and _servable(entry, None):
                return entry.answer, Outcome.HIT  # type: ignore[return-value]  # set with epoch
            lease = holder.token()
            if lease is not None:
                return _leased_miss(key, lease, holder, compute=compute, stamps_of=stamps_of)
    values: list[str] | None = None
    if entry is not None:
        values = stamps_read(entry.keys)  # before the query: the heart of the proof
        if values is None:
            return compute(), Outcome.BYPASS
        if _servable(entry, values):
            return entry.answer, Outcome.HIT  # type: ignore[return-value]  # set when values are
    answer, depends = _query(key, compute, stamps_of)
    if depends is None:
        return answer, Outcome.MISS
    keys = (GLOBAL, *depends.keys)
    now = time.monotonic()
    if (
        entry is not None
        and values is not None
        and keys == entry.keys
        and not any(stamp_is_pending(v) for v in values)
    ):
        _entries.put(key, _Entry(keys, tuple(values), answer, now, depends.valid_until))
    else:
        _entries.put(key, _Entry(keys, None, None, now, None))
    return answer, Outcome.MISS


def _leased_miss(
    key: Hashable,
    lease: Lease,
    holder: LeaseHolder,
    *,
    compute: Callable[[], T],
    stamps_of: Callable[[T], Stamps | None],
) -> tuple[T, Outcome]:
    """A miss under a valid lease: the one query, stored at once unless a change touching
    the answer's stamps was applied since `lease` was taken (core.leases)."""
    answer, depends = _query(key, compute, stamps_of)
    if depends is None:
        return answer, Outcome.MISS
    keys = (GLOBAL, *depends.keys)
    entry: _Entry[object] = _Entry(
        keys, None, answer, time.monotonic(), depends.valid_until, lease.epoch
    )
    if not holder.store_if_current(lease, keys, lambda: _entries.put(key, entry)):
        _entries.discard(key)
    return answer, Outcome.MISS


def _query(
    key: Hashable, compute: Callable[[], T], stamps_of: Callable[[T], Stamps | None]
) -> tuple[T, Stamps | None]:
    """The one query and what its answer depends on; a refusal (None) is never cached, and
    drops any entry `key` had."""
    answer = compute()
    depends = stamps_of(answer)
    if depends is None:
        _entries.discard(key)
    return answer, depends
