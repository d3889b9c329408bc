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

Redis unreachable or slow: `stamps_read` answers None and the request is a bypass, answered
from PostgreSQL. Bounded: an LRU of KEYSERVICE_VERIFY_CACHE_SIZE entries.
"""

from __future__ import annotations

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

from core.metrics import verify_cache_count
from core.stamps import GLOBAL, stamp_is_pending, stamps_enabled, stamps_read

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


class _Lru:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, _Entry[object]] = OrderedDict()

    def get(self, key: Hashable) -> _Entry[object] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: Hashable, entry: _Entry[object]) -> None:
        limit = max(1, int(settings.KEYSERVICE_VERIFY_CACHE_SIZE))
        with self._lock:
            self._entries[key] = entry
            self._entries.move_to_end(key)
            while len(self._entries) > limit:
                self._entries.popitem(last=False)

    def discard(self, key: Hashable) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        return len(self._entries)


_entries = _Lru()


def verify_cache_enabled() -> bool:
    return bool(settings.KEYSERVICE_VERIFY_CACHE) and stamps_enabled()


def verify_cache_clear() -> None:
    """Forget every entry of this process (tests; entries are never needed for correctness)."""
    _entries.clear()


def verify_cache_size() -> int:
    return len(_entries)


def _servable(entry: _Entry[object], values: list[str]) -> bool:
    if entry.values is None or entry.values != tuple(values):
        return False
    if time.monotonic() - entry.born >= float(settings.KEYSERVICE_VERIFY_CACHE_TTL):
        return False
    return entry.valid_until is None or timezone.now() < entry.valid_until


def verify_cache_get(
    key: Hashable, *, compute: Callable[[], T], stamps_of: Callable[[T], Stamps | None]
) -> tuple[T, Outcome]:
    """The answer for `key`: a valid entry's, else `compute()` (the one query), stored when
    `stamps_of(answer)` says it may be (None: never cached, e.g. a refused key)."""
    if not verify_cache_enabled():
        return _done(compute(), Outcome.BYPASS)
    entry = _entries.get(key)
    values: list[str] | None = None
    if entry is not None:
        values = stamps_read(entry.keys)  # before the query: the heart of the proof
        if values is None:
            return _done(compute(), Outcome.BYPASS)
        if _servable(entry, values):
            return _done(entry.answer, Outcome.HIT)  # type: ignore[arg-type]  # set when values are
    answer = compute()
    depends = stamps_of(answer)
    if depends is None:
        _entries.discard(key)
        return _done(answer, Outcome.MISS)
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
    return _done(answer, Outcome.MISS)


def _done(answer: T, outcome: Outcome) -> tuple[T, Outcome]:
    _observe(outcome)
    return answer, outcome
