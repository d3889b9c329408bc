"""This process's lease holder: started on first use (or at start-up, `lease_holder()`), and
again after a change of URL or a dead thread; none while the cache is off. A forked child
starts its own (the parent's thread does not come along)."""

from __future__ import annotations

import os
import threading

from core.leasedcache import _config
from core.leasedcache._leases import LeaseHolder
from core.leasedcache._names import WILDCARD
from core.leasedcache._store import entries


class _Holders:
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

    def get(self) -> LeaseHolder:
        url = _config.redis_url()
        holder = self.current
        if holder is not None and self._usable(holder, url):
            return holder
        with self._lock:
            holder = self.current
            if holder is None or not self._usable(holder, url):
                if holder is not None:
                    holder.stop()
                holder = self.current = LeaseHolder(
                    url=url,
                    lease_seconds=_config.lease_seconds(),
                    pending_seconds=_config.pending_seconds(),
                    wildcard=WILDCARD,
                    on_invalidate=entries.drop_depending,
                )
            return holder

    def stop(self) -> None:
        with self._lock:
            if self.current is not None:
                self.current.stop()
            self.current = None


holders = _Holders()


def lease_holder() -> LeaseHolder | None:
    """This process's lease holder, started if the cache is on (else None, and none runs)."""
    return holders.get() if _config.enabled() else None


def lease_holder_stop() -> None:
    """Give this process's lease back (tests; a process's exit does it too)."""
    holders.stop()
