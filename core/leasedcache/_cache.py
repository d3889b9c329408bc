"""`cached`: an answer from this process's memory while it holds a lease, else PostgreSQL's.

Under a valid lease (core.leasedcache._leases) a hit costs no I/O at all: a dict lookup and a
clock read. A miss runs `compute` (the reader's one query) and stores its answer at once,
unless a change touching what it depends on was applied since the miss began. Without a valid
lease (starting, the lease lapsed, Redis unreachable) `compute` answers and nothing is stored:
a *bypass*. An entry is also dropped by size (LRU), age (KEYSERVICE_LEASED_CACHE_MAX_AGE_SECONDS)
and its own `valid_until` (a key's expiry).
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from django.utils import timezone

from core.leasedcache import _config
from core.leasedcache._holder import holders
from core.leasedcache._leases import Lease, LeaseHolder
from core.leasedcache._names import WILDCARD, Topic, dependency
from core.leasedcache._store import Entry, entries
from core.metrics import verify_cache_count

T = TypeVar("T")


class Outcome(StrEnum):
    """How a lookup was answered: from memory (hit), from PostgreSQL under a lease and stored
    (miss), or from PostgreSQL with the cache off or no valid lease, storing nothing (bypass)."""

    HIT = "hit"
    MISS = "miss"
    BYPASS = "bypass"


# Per-process totals (tests, measurements); observed lookups also count in the metrics
# (keyservice_verify_cache_total).
outcomes: Counter[Outcome] = Counter()


@dataclass(frozen=True, slots=True, init=False)
class Depends:
    """What an answer depends on (`on`: (topic, id) pairs; every answer also depends on the
    wildcard), and until when it may be served at most (a key's expiry; None for none)."""

    names: tuple[str, ...]
    valid_until: datetime | None

    def __init__(
        self, on: Iterable[tuple[Topic, object]], *, valid_until: datetime | None = None
    ) -> None:
        names = (WILDCARD, *(dependency(topic, pk) for topic, pk in on))
        object.__setattr__(self, "names", names)
        object.__setattr__(self, "valid_until", valid_until)


def cached(
    key: Hashable,
    *,
    compute: Callable[[], T],
    depends_on: Callable[[T], Depends | None],
    observe: bool = True,
) -> tuple[T, Outcome]:
    """The answer for `key`: a current entry's, else `compute()` (the one query), stored when
    `depends_on(answer)` says what it depends on (None: never cached, e.g. a refusal).
    `observe`: counted in `outcomes` and the metrics (the verifier; not what a view adds)."""
    answer, outcome = _get(key, compute=compute, depends_on=depends_on)
    if observe:
        outcomes[outcome] += 1
        verify_cache_count(result=outcome.value)
    return answer, outcome


def _servable(entry: Entry[object], epoch: int) -> bool:
    if entry.epoch != epoch:
        return False
    if time.monotonic() - entry.born >= _config.max_age_seconds():
        return False
    return entry.valid_until is None or timezone.now() < entry.valid_until


def _get(
    key: Hashable, *, compute: Callable[[], T], depends_on: Callable[[T], Depends | None]
) -> tuple[T, Outcome]:
    if not _config.enabled():
        return compute(), Outcome.BYPASS
    holder = holders.get()
    epoch = holder.epoch_if_leased()
    if epoch is not None:
        entry = entries.get(key)
        if entry is not None and _servable(entry, epoch):
            return entry.answer, Outcome.HIT  # type: ignore[return-value]  # stored from T
        lease = holder.token()
        if lease is not None:
            return _leased_miss(key, lease, holder, compute=compute, depends_on=depends_on)
    return compute(), Outcome.BYPASS


def _leased_miss(
    key: Hashable,
    lease: Lease,
    holder: LeaseHolder,
    *,
    compute: Callable[[], T],
    depends_on: Callable[[T], Depends | None],
) -> tuple[T, Outcome]:
    """A miss under a valid lease: the one query, stored at once unless a change touching
    what the answer depends on was applied (or pending) since `lease` was taken."""
    answer = compute()
    depends = depends_on(answer)
    if depends is None:
        entries.discard(key)  # a refusal is never cached, and drops what `key` had
        return answer, Outcome.MISS
    entry: Entry[object] = Entry(
        depends.names, answer, time.monotonic(), depends.valid_until, lease.epoch
    )
    if not holder.store_if_current(lease, depends.names, lambda: entries.put(key, entry)):
        entries.discard(key)
    return answer, Outcome.MISS


def cache_clear() -> None:
    """Forget every entry of this process (tests; entries are never needed for correctness)."""
    entries.clear()


def cache_size() -> int:
    return len(entries)
