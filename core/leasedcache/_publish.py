"""The writer's side of the leases (core.leasedcache._leases describes the protocol): announce a
change on the stream and wait until every lease holder has applied it or lost its lease."""

from __future__ import annotations

import secrets
import time
from collections.abc import Iterable

import redis
from redis.exceptions import RedisError

from core.leasedcache._leases import HOLDERS, LEASE_PREFIX, MARKER, STREAM, STREAM_KEEP_MS, YOUNG
from core.leasedcache._scripts import PUBLISH, WAITING

# A writer polls the acknowledgements after POLL_FIRST seconds, doubling the pause up to
# POLL_CLOSE for the first POLL_CLOSE_FOR seconds (the usual wait: every holder is a thread
# woken by the change; a pause of 5 ms overshot 12 holders' 3 ms by as much again,
# docs/performance.md), then up to POLL_SPARSE (a holder that hangs costs Redis little).
POLL_FIRST = 0.0002
POLL_CLOSE = 0.001
POLL_CLOSE_FOR = 0.025
POLL_SPARSE = 0.005


class LeaseTimeout(RedisError):
    """A holder neither acknowledged a change nor let its lease expire in time."""


def leases_publish(
    client: redis.Redis, keys: Iterable[str], *, phase: str, lease_seconds: float
) -> None:
    """Announce that `keys` change (`phase` "p": before the commit, "c": after it) and return
    once every holder has applied it or lost its lease. Raises RedisError/OSError (a
    LeaseTimeout after twice the lease and a second)."""
    names = " ".join(sorted(set(keys)))
    if not names:
        return
    change = str(client.eval(PUBLISH, 1, STREAM, phase, names, STREAM_KEEP_MS))
    started = time.monotonic()
    deadline = started + 2 * lease_seconds + 1
    pause = POLL_FIRST
    while True:
        waiting = int(
            client.eval(
                WAITING,
                3,
                HOLDERS,
                MARKER,
                YOUNG,
                change,
                LEASE_PREFIX,
                secrets.token_hex(8),
                int(lease_seconds * 1000),
            )
        )
        if waiting == 0:
            return
        if waiting < 0:
            time.sleep(-waiting / 1000)  # until every lease the lost Redis granted ran out
            continue
        if time.monotonic() > deadline:
            raise LeaseTimeout(f"change {change} not acknowledged")
        time.sleep(pause)
        pause = poll_pause_after(pause, waited=time.monotonic() - started)


def leases_forget(client: redis.Redis) -> None:
    """Make every holder treat its lease as lapsed, and the next writer wait a whole lease
    (after a failover or a restore, when the holders' set may have lost members)."""
    client.delete(MARKER)


def leases_mark(client: redis.Redis) -> None:
    """Give a Redis known to have no holders its marker (tests, after deleting the keys)."""
    client.set(MARKER, secrets.token_hex(8))


def poll_pause_after(pause: float, *, waited: float) -> float:
    """The next pause: closely while the holders answer as usual, sparingly while one hangs."""
    return min(pause * 2, POLL_CLOSE if waited < POLL_CLOSE_FOR else POLL_SPARSE)
