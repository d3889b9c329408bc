"""Work coalesced into bounded batches: however many items arrive, one task message at a time.

Producers push items (strings) onto a Redis list; only the push that finds no drain scheduled
is told to schedule one (`Pushed.SCHEDULE`: an atomic flag), so a flood of N items queues one
task message, not N. The drain task takes up to `count` items (`take`), handles them, drops
them (`done`), and asks whether more wait (`finish`): if so it schedules itself once more.
Items wait in Redis, not in the queue, so the queue holds at most one drain message whatever
comes in, and other tasks on other queues never wait behind a flood.

Guarantees (every step is one Lua script, atomic in Redis):

- no item is stranded: `finish` clears the flag and re-claims it in one step when items
  wait, and a push either sees the flag (the drain will see the item) or sets it (and
  schedules); a lost drain message (a flag set for nothing) expires after `flag_seconds`, and
  `claim` (a periodic sweep) schedules a drain for items left waiting;
- at least once: a taken batch stays in Redis until `done`; a drain that died before (a
  killed worker, a failed transaction) leaves it for the next `take`, which hands the same
  batch out again before taking new items. Handling an item twice must be harmless;
- bounded: past `capacity` waiting items a push is refused (`Pushed.FULL`).

One drain at a time is the design (the flag); two at once (a flag that expired under a long
drain) may handle one batch twice, never lose one.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import redis

MAX_BATCH = 1000  # items one take may move (one Lua call's arguments)

_PUSH = """
if redis.call('LLEN', KEYS[1]) >= tonumber(ARGV[2]) then return 2 end
redis.call('RPUSH', KEYS[1], ARGV[1])
if redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[3]) then return 1 end
return 0
"""

_TAKE = """
redis.call('SET', KEYS[3], '1', 'EX', ARGV[2])
local taken = redis.call('LRANGE', KEYS[2], 0, -1)
if #taken > 0 then return taken end
local items = redis.call('LRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)
if #items > 0 then
  redis.call('LTRIM', KEYS[1], #items, -1)
  redis.call('RPUSH', KEYS[2], unpack(items))
end
return items
"""

_FINISH = """
redis.call('DEL', KEYS[3])
if redis.call('LLEN', KEYS[1]) + redis.call('LLEN', KEYS[2]) == 0 then return 0 end
redis.call('SET', KEYS[3], '1', 'EX', ARGV[1])
return 1
"""

_CLAIM = """
if redis.call('LLEN', KEYS[1]) + redis.call('LLEN', KEYS[2]) == 0 then return 0 end
if redis.call('SET', KEYS[3], '1', 'NX', 'EX', ARGV[1]) then return 1 end
return 0
"""


class Pushed(Enum):
    QUEUED = 0  # a drain is already scheduled: it will take this item too
    SCHEDULE = 1  # the caller must schedule a drain (or `release` if it cannot)
    FULL = 2  # `capacity` items wait already: refused, nothing stored


@dataclass(frozen=True, slots=True)
class Coalesced:
    """The items of one kind of work, under `name` in that Redis (`<name>:pending`,
    `<name>:taken`, `<name>:scheduled`)."""

    client: redis.Redis
    name: str
    capacity: int
    flag_seconds: int = 300  # how long a scheduled drain may take to start, or one batch

    @property
    def keys(self) -> list[str]:
        return [f"{self.name}:pending", f"{self.name}:taken", f"{self.name}:scheduled"]

    def push(self, item: str) -> Pushed:
        """Store `item` for the drain. Raises redis.RedisError when Redis is unavailable."""
        pending, _, scheduled = self.keys
        outcome = self.client.eval(
            _PUSH, 2, pending, scheduled, item, self.capacity, self.flag_seconds
        )
        return Pushed(int(outcome))

    def release(self) -> None:
        """The caller told to schedule a drain could not (the broker refused): the next push
        (or `claim`) schedules one instead."""
        self.client.delete(self.keys[2])

    def take(self, count: int) -> list[str]:
        """Up to `count` items for this drain, oldest first: the batch a drain that died
        left (again), else new ones. They stay in Redis until `done`."""
        if not 1 <= count <= MAX_BATCH:
            raise ValueError(f"count must be 1 to {MAX_BATCH}")
        items = self.client.eval(_TAKE, 3, *self.keys, count, self.flag_seconds)
        return [item.decode() if isinstance(item, bytes) else str(item) for item in items]

    def done(self) -> None:
        """The taken batch is handled (its transaction committed): drop it."""
        self.client.delete(self.keys[1])

    def finish(self) -> bool:
        """This drain ends: whether items still wait, in which case the caller must schedule
        the next drain (the flag is already its own)."""
        return bool(self.client.eval(_FINISH, 3, *self.keys, self.flag_seconds))

    def claim(self) -> bool:
        """For a periodic sweep: whether items wait with no drain scheduled (a lost message);
        if so the flag is now the caller's and it must schedule a drain."""
        return bool(self.client.eval(_CLAIM, 3, *self.keys, self.flag_seconds))

    def waiting(self) -> int:
        """Items waiting or taken (for tests and metrics)."""
        pending, taken, _ = self.keys
        return int(self.client.llen(pending)) + int(self.client.llen(taken))
