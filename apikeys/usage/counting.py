"""Key usage, collected off the request path: no database write and no network round trip.

A request that presented a key whose row the verifier found (active or retired) adds one
use to this process's buffer (`usage_record`: a dict update under a lock). A daemon thread
per process moves the buffer to Redis every KEYSERVICE_USAGE_FLUSH_SECONDS
(`usage_flush_local`: one pipelined round trip, HINCRBY counters and a "newest wins" last
use); the periodic task apikeys.tasks.usage_collect moves Redis to PostgreSQL
(apikeys.usage.collect). Without Redis (development) the thread writes the buffer to the
database itself.

What a crash can lose: the buffer of the process that crashed, at most one flush interval
of its uses (10 s by default). A collector that crashes loses nothing: a batch taken from
Redis stays there until the database transaction that applied it has committed, and a
batch is applied at most once (apikeys.usage.models.UsageBatch).
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache

import redis
from django.conf import settings

from apikeys.usage.models import Surface
from core.clientip import client_address_normalize
from core.quietlog import QuietWarning

logger = logging.getLogger(__name__)
_unavailable = QuietWarning(logger)

COUNTS = "ks:usage:counts"  # field "<key_pk>:<YYYY-MM-DD>:<a|r|x>" → uses
LAST = "ks:usage:last"  # field "<key_pk>" → "<unix ts>|<address>|<surface>|<a|r|x>"
ACCEPTED, REFUSED, RETIRED = "a", "r", "x"  # x: refused, the key was retired

# "Newest wins" for the last use of each key: one script call per flush.
_SET_NEWER = """
for i = 1, #ARGV, 2 do
  local old = redis.call('HGET', KEYS[1], ARGV[i])
  local new_at = tonumber(string.match(ARGV[i+1], '^[^|]+'))
  if not old or tonumber(string.match(old, '^[^|]+')) < new_at then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[i+1])
  end
end
return 1
"""


@dataclass(slots=True)
class LastUse:
    at: float  # unix time
    address: str
    surface: str
    kind: str  # ACCEPTED, REFUSED or RETIRED

    def encode(self) -> str:
        return f"{self.at:.3f}|{self.address}|{self.surface}|{self.kind}"

    @classmethod
    def decode(cls, text: str) -> LastUse | None:
        parts = text.split("|")
        if len(parts) != 4 or parts[3] not in (ACCEPTED, REFUSED, RETIRED):
            return None
        try:
            return cls(at=float(parts[0]), address=parts[1], surface=parts[2], kind=parts[3])
        except ValueError:
            return None


class UsageBuffer:
    """One process's uses since its last flush, bounded to KEYSERVICE_USAGE_BUFFER_KEYS keys
    (past that, uses of new keys are dropped and counted in the log)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.counts: defaultdict[tuple[int, int, str], int] = defaultdict(int)
        self.last: dict[int, LastUse] = {}
        self.dropped = 0

    def add(self, *, key_pk: int, kind: str, surface: str, address: str, now: float) -> None:
        day = int(now // 86400)  # the UTC day, as days since 1970-01-01 (cheap on the hot path)
        with self._lock:
            if key_pk not in self.last and len(self.last) >= settings.KEYSERVICE_USAGE_BUFFER_KEYS:
                self.dropped += 1
                return
            self.counts[(key_pk, day, kind)] += 1
            self.last[key_pk] = LastUse(at=now, address=address, surface=surface, kind=kind)

    def take(self) -> tuple[dict[tuple[int, int, str], int], dict[int, LastUse], int]:
        with self._lock:
            taken = (dict(self.counts), self.last, self.dropped)
            self.counts, self.last, self.dropped = defaultdict(int), {}, 0
        return taken

    def put_back(self, counts: dict[tuple[int, int, str], int], last: dict[int, LastUse]) -> None:
        """Return what a failed flush took (Redis down): kept for the next flush, bounded."""
        with self._lock:
            for field, n in counts.items():
                if field[0] in self.last or len(self.last) < settings.KEYSERVICE_USAGE_BUFFER_KEYS:
                    self.counts[field] += n
            for key_pk, use in last.items():
                mine = self.last.get(key_pk)
                room = mine is not None or len(self.last) < settings.KEYSERVICE_USAGE_BUFFER_KEYS
                if room and (mine is None or mine.at < use.at):
                    self.last[key_pk] = use


_buffer = UsageBuffer()
_flusher_pid: int | None = None


def usage_record(
    *, key_pk: int | None, accepted: bool, retired: bool, surface: Surface, address: str
) -> None:
    """Count one use of the key row `key_pk` (None: no row matched; nothing to count).
    `address` is the raw client address (core.clientip.client_address_raw); it is
    normalised at flush time, once per key (core.clientip), not on the request path."""
    if key_pk is None or not settings.KEYSERVICE_USAGE:
        return
    kind = RETIRED if retired else (ACCEPTED if accepted else REFUSED)
    _buffer.add(key_pk=key_pk, kind=kind, surface=surface.value, address=address, now=time.time())
    if _flusher_pid != os.getpid() and settings.KEYSERVICE_USAGE_FLUSH_SECONDS > 0:
        _flusher_start()


def usage_buffer_take() -> tuple[dict[tuple[int, int, str], int], dict[int, LastUse]]:
    """Empty this process's buffer (tests; the flush)."""
    counts, last, dropped = _buffer.take()
    if dropped:
        logger.warning("key usage: %d use(s) dropped, the buffer was full", dropped)
    return counts, last


@cache
def usage_redis(url: str) -> redis.Redis:
    timeout = settings.KEYSERVICE_USAGE_REDIS_TIMEOUT
    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)


def usage_flush_local() -> int:
    """Move this process's buffer to Redis (or, without Redis, to the database). Returns the
    number of keys flushed; on a Redis error the uses stay in the buffer for the next try."""
    counts, last = usage_buffer_take()
    if not last and not counts:
        return 0
    for use in last.values():
        use.address = client_address_normalize(use.address)
    by_date = {(key_pk, _day_iso(day), kind): n for (key_pk, day, kind), n in counts.items()}
    url = settings.KEYSERVICE_USAGE_REDIS_URL
    if not url:
        from apikeys.usage.collect import usage_apply  # the module imports this one

        usage_apply(counts=by_date, last=last)
        return len(last)
    try:
        pipe = usage_redis(url).pipeline(transaction=False)
        for (key_pk, day_iso, kind), n in by_date.items():
            pipe.hincrby(COUNTS, f"{key_pk}:{day_iso}:{kind}", n)
        args: list[str] = []
        for key_pk, use in last.items():
            args += [str(key_pk), use.encode()]
        pipe.eval(_SET_NEWER, 1, LAST, *args)
        pipe.execute()
    except redis.RedisError as exc:
        _unavailable.warn("key usage: Redis unavailable, kept in memory: %s", exc)
        _buffer.put_back(counts, last)
        return 0
    return len(last)


def _day_iso(day: int) -> str:
    return (date(1970, 1, 1) + timedelta(days=day)).isoformat()


def _flusher_start() -> None:
    """Start this process's flush thread (once per process: a forked worker starts its own)."""
    global _flusher_pid
    with _buffer._lock:
        if _flusher_pid == os.getpid():
            return
        _flusher_pid = os.getpid()
    thread = threading.Thread(target=_flush_forever, name="key-usage-flush", daemon=True)
    thread.start()
    atexit.register(_flush_quietly)


def _flush_forever() -> None:
    while True:
        time.sleep(settings.KEYSERVICE_USAGE_FLUSH_SECONDS)
        _flush_quietly()


def _flush_quietly() -> None:
    try:
        usage_flush_local()
    except Exception:  # a flush thread must never die; the next interval tries again
        logger.exception("key usage: flush failed")
