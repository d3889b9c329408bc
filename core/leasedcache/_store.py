"""This process's entries: an LRU of KEYSERVICE_LEASED_CACHE_SIZE answers, and which entries
depend on each name (so applying a change drops exactly them)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from core.leasedcache import _config

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Entry(Generic[T]):
    names: tuple[str, ...]  # what the answer depends on (the wildcard included)
    answer: T
    born: float  # time.monotonic()
    valid_until: datetime | None
    epoch: int  # the lease epoch it was stored in: served only in that epoch


class Store:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[Hashable, Entry[object]] = OrderedDict()
        self._by_name: dict[str, set[Hashable]] = {}

    def get(self, key: Hashable) -> Entry[object] | None:
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def put(self, key: Hashable, entry: Entry[object]) -> None:
        limit = _config.size()
        with self._lock:
            self._pop(key)
            self._entries[key] = entry
            for name in entry.names:
                self._by_name.setdefault(name, set()).add(key)
            while len(self._entries) > limit:
                self._pop(next(iter(self._entries)))

    def _pop(self, key: Hashable) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        for name in entry.names:
            dependants = self._by_name.get(name)
            if dependants is not None:
                dependants.discard(key)
                if not dependants:
                    del self._by_name[name]

    def discard(self, key: Hashable) -> None:
        with self._lock:
            self._pop(key)

    def drop_depending(self, names: frozenset[str] | None) -> None:
        """Drop every entry that depends on one of `names` (None: every entry)."""
        with self._lock:
            if names is None:
                self._entries.clear()
                self._by_name.clear()
                return
            for name in names:
                for key in list(self._by_name.get(name, ())):
                    self._pop(key)

    def clear(self) -> None:
        self.drop_depending(None)

    def __len__(self) -> int:
        return len(self._entries)


entries = Store()
