"""Leases: a process answers from memory only while it holds one, and is never stale.

A process that holds a lease has promised every writer to hear each change before the writer
answers:

- **Holding.** A `LeaseHolder` thread reads the change stream (`ks:v:changes`, a Redis
  stream) with a blocking XREAD, applies each change (its `on_invalidate` drops the entries
  that depend on the changed names), then renews its lease: `SET ks:v:lease:<holder>
  <last change applied> PX <lease>` (with SADD to `ks:v:holders`, in one script). The lease's
  value is its acknowledgement. The process may serve entries from memory only while its
  lease is valid by its own clock: until `t + 0.8 × lease`, `t` taken *before* the renewal was
  sent (Redis expires the key at the earliest at `t + lease`). Without a valid lease it asks
  PostgreSQL.
- **Publishing.** Every write announces the names it changes (before its commit and after
  it): `leases_publish` (core.leasedcache._publish) adds them to the stream and returns
  only when every holder in `ks:v:holders` has acknowledged that change or its lease key
  has expired. A holder whose key expired has passed its own deadline: it serves nothing
  from memory until it renews, and a renewal after a lapse starts a new *epoch* whose
  entries are only those stored after it.
- **Storing.** A miss under a lease takes a token (epoch, generation, time) before its query
  and stores the answer only if, at store time, the epoch is the same, no change applied
  since the token names a name the answer depends on, none of them was pending since the
  token (a change announced before its commit and not yet after it), and the token is
  younger than TOKEN_MAX_AGE. A change applied after the store drops the entry.

docs/scaling.md, "Why the leased cache is never stale", proves it. This module knows nothing
of what the names cover (it is told the wildcard name that stands for everything).
"""

from __future__ import annotations

import atexit
import logging
import secrets
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import islice
from typing import Any

import redis
from redis.exceptions import RedisError

from core.leasedcache._scripts import RENEW
from core.quietlog import QuietWarning

logger = logging.getLogger(__name__)
_quiet = QuietWarning(logger)

STREAM = "ks:v:changes"
HOLDERS = "ks:v:holders"
LEASE_PREFIX = "ks:v:lease:"
# Names this Redis's lifetime: a Redis restarted empty (or failed over, or flushed) has none,
# so holders know their lease did not survive; whoever creates it also sets YOUNG for a
# whole lease, and every writer waits while it exists (leases granted before may still run).
MARKER = "ks:v:leases"
YOUNG = "ks:v:leases:young"
# A miss whose query took longer than this stores nothing (bounds what the store check keeps).
TOKEN_MAX_AGE = 30.0
# The stream keeps a minute of changes (a holder that read less recently has no lease).
STREAM_KEEP_MS = 60_000
# A holder may serve until this share of its lease has passed (the rest absorbs latency).
SAFE_SHARE = 0.8
# Changes remembered for the store check (the newest last; the generation counts them all):
# a token older than this many changes never stores.
LOG_SIZE = 4096

Invalidate = Callable[[frozenset[str] | None], None]  # None: everything


@dataclass(frozen=True, slots=True)
class Lease:
    """What a miss remembers before its query: the epoch and the changes applied so far."""

    epoch: int
    generation: int
    taken: float  # time.monotonic()


class LeaseHolder:
    """One per process (and Redis URL): the thread that holds the lease and applies changes."""

    def __init__(
        self,
        *,
        url: str,
        lease_seconds: float,
        pending_seconds: float,
        wildcard: str,
        on_invalidate: Invalidate,
    ) -> None:
        self.url = url
        self.id = secrets.token_hex(8)
        self._lease = lease_seconds
        self._pending_seconds = pending_seconds
        self._wildcard = wildcard
        self._on_invalidate = on_invalidate
        self._lock = threading.Lock()
        self._deadline = 0.0  # time.monotonic() until which entries may be served
        self._epoch = 0
        self._generation = 0
        self._log: deque[frozenset[str] | None] = deque(maxlen=LOG_SIZE)  # None: everything
        self._pending: dict[str, list[float]] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="leased-cache-holder", daemon=True)
        self._thread.start()
        atexit.register(self.stop)

    # --- the hot path ---------------------------------------------------------------------

    def epoch_if_leased(self) -> int | None:
        """The current epoch while the lease is valid (no lock, no I/O), else None. The
        deadline is read first: a renewal after a lapse sets the new epoch before the new
        deadline, so a valid deadline read here is never paired with the epoch before it."""
        if time.monotonic() >= self._deadline:
            return None
        return self._epoch

    def token(self) -> Lease | None:
        with self._lock:
            if time.monotonic() >= self._deadline:
                return None
            return Lease(self._epoch, self._generation, time.monotonic())

    def store_if_current(self, lease: Lease, keys: Iterable[str], put: Callable[[], None]) -> bool:
        """Run `put` (store an answer depending on `keys`, computed after `lease` was taken)
        only if no change applied since touches `keys` and the lease held throughout."""
        names = frozenset(keys)
        with self._lock:
            now = time.monotonic()
            if now >= self._deadline or self._epoch != lease.epoch:
                return False
            since = self._generation - lease.generation
            if since > len(self._log):
                return False
            if any(
                changed is None or changed & names for changed in islice(reversed(self._log), since)
            ):
                return False
            if now - lease.taken > TOKEN_MAX_AGE:
                return False
            # Pending since the token was taken (a mark that expired since counts too).
            if any(t > lease.taken for name in names for t in self._pending.get(name, ())):
                return False
            put()
            return True

    def await_lease(self, timeout: float) -> bool:
        """Wait up to `timeout` seconds until the lease is valid (tests, the bench)."""
        deadline = time.monotonic() + timeout
        while self.epoch_if_leased() is None:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.005)
        return True

    def alive(self) -> bool:
        return self._thread.is_alive() and not self._stop.is_set()

    def stop(self) -> None:
        """Give the lease back (writers stop waiting for this process at once)."""
        if self._stop.is_set():
            return
        self._stop.set()
        self._lapse()
        if self._thread is not threading.current_thread():
            self._thread.join(timeout=self._lease / 4 + 0.5)  # it gives the lease back itself
        if self._thread.is_alive():
            client = redis.Redis.from_url(self.url, socket_timeout=0.2, socket_connect_timeout=0.2)
            self._give_back(client)
            client.close()

    # --- the thread -----------------------------------------------------------------------

    def _run(self) -> None:
        client = redis.Redis.from_url(
            self.url,
            socket_timeout=self._lease,
            socket_connect_timeout=self._lease,
            decode_responses=True,
        )
        block_ms = max(1, int(self._lease * 1000 / 4))
        last: str | None = None
        marker = ""
        while not self._stop.is_set():
            try:
                if last is None:  # (re)anchor: everything older is dead with the old epoch
                    newest = client.xrevrange(STREAM, count=1)
                    last = str(newest[0][0]) if newest else "0-0"
                else:
                    batch: Any = client.xread({STREAM: last}, block=block_ms, count=1000)
                    for _, changes in batch or []:
                        for change_id, fields in changes:
                            self._apply(fields)
                            last = str(change_id)
                if self._stop.is_set():
                    break
                sent = time.monotonic()
                known = str(
                    client.eval(
                        RENEW,
                        4,
                        MARKER,
                        LEASE_PREFIX + self.id,
                        HOLDERS,
                        YOUNG,
                        secrets.token_hex(8),
                        last,
                        marker,
                        int(self._lease * 1000),
                        self.id,
                    )
                )
                if known != marker:  # a Redis that lost its holders: start over
                    marker, last = known, None
                    self._lapse()
                    continue
                self._renewed(sent=sent, at=time.monotonic())
            except (RedisError, OSError) as exc:
                _quiet.warn("leased cache: lease not renewed (%s)", type(exc).__name__)
                self._stop.wait(min(0.5, self._lease / 4))
        self._give_back(client)
        client.close()

    def _give_back(self, client: redis.Redis) -> None:
        try:
            with client.pipeline(transaction=True) as pipe:
                pipe.delete(LEASE_PREFIX + self.id)
                pipe.srem(HOLDERS, self.id)
                pipe.execute()
        except (RedisError, OSError):
            pass  # the lease expires by itself

    def _apply(self, fields: dict[str, str]) -> None:
        names = frozenset(fields.get("keys", "").split())
        everything = self._wildcard in names
        now = time.monotonic()
        with self._lock:
            self._generation += 1
            self._log.append(None if everything else names)
            for name in names:
                marks = self._pending.setdefault(name, [])
                marks[:] = [t for t in marks if t > now - 2 * TOKEN_MAX_AGE]
                if fields.get("phase") == "p":
                    marks.append(now + self._pending_seconds)
                elif marks:
                    marks.pop(0)
                if not marks:
                    del self._pending[name]
            self._on_invalidate(None if everything else names)

    def _lapse(self) -> None:
        with self._lock:
            self._deadline = 0.0

    def _renewed(self, *, sent: float, at: float) -> None:
        with self._lock:
            if at >= self._deadline:
                # Lapsed (or first): writers may have stopped waiting for us, so nothing
                # stored before may be served again.
                self._epoch += 1
            self._deadline = sent + SAFE_SHARE * self._lease
