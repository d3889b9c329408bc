"""The leased cache: per-process answers that are never stale. This file is its whole API.

**What may be served from memory.** An answer a reader computed with `cached(key, compute=,
depends_on=)`, only in a process that holds a valid *lease* (a thread of the process renews it
in Redis every quarter lease, KEYSERVICE_LEASED_CACHE_LEASE_SECONDS), only in the lease epoch
it was stored in, and only until its age (KEYSERVICE_LEASED_CACHE_MAX_AGE_SECONDS) or its
`Depends.valid_until` passes. Without a valid lease the reader asks PostgreSQL (a *bypass*);
there is no other path. A hit costs a dict lookup and a clock read: no I/O.

**What makes it stale.** A committed write of a row its reader's query read. Each reader
declares what it reads beside its query (`Sources`); every model there is *tracked* (its
default manager a `TrackedManager`), so every write path of its rows — save, delete and
cascades, queryset update/delete, bulk writes, many-to-many edits — announces the names the
row touches (`Topic` and id: a user, a project, a service token). Every holder drops the
entries depending on them before the writer answers.

**What a write costs.** A write of a tracked model announces twice, before its statement and
after its commit, and each announcement returns only when every lease holder has applied it
or its lease has expired: a few Redis round trips, plus at most one lease while a holder
hangs. If Redis cannot take the first announcement the write is refused with
`CacheUnavailable` (its transaction rolls back; the APIs and `RefusedWriteMiddleware` answer
503): a change the caches would not hear of never happens. Writes of ignored fields only
(a sign-in's last_login) announce nothing.

docs/scaling.md, "Why the leased cache is never stale", proves it.
"""

from core.leasedcache._announce import (
    announce_committed,
    announce_pending,
    holders_forget,
    invalidate_after_migrate,
    invalidate_all,
)
from core.leasedcache._cache import Depends, Outcome, cache_clear, cache_size, cached, outcomes
from core.leasedcache._config import announcing, enabled
from core.leasedcache._holder import lease_holder, lease_holder_stop
from core.leasedcache._leases import LeaseHolder
from core.leasedcache._names import WILDCARD, Topic, dependency
from core.leasedcache._refused import (
    CacheRefusal,
    CacheUnavailable,
    RefusedWriteMiddleware,
)
from core.leasedcache._sources import Source, Sources, readers, sources_install
from core.leasedcache._tracking import (
    TrackedManager,
    TrackedQuerySet,
    Tracking,
    tracked_models,
    tracking_of,
)

__all__ = [
    "WILDCARD",
    "CacheRefusal",
    "CacheUnavailable",
    "Depends",
    "LeaseHolder",
    "Outcome",
    "RefusedWriteMiddleware",
    "Source",
    "Sources",
    "Topic",
    "TrackedManager",
    "TrackedQuerySet",
    "Tracking",
    "announce_committed",
    "announce_pending",
    "announcing",
    "cache_clear",
    "cache_size",
    "cached",
    "dependency",
    "enabled",
    "holders_forget",
    "invalidate_after_migrate",
    "invalidate_all",
    "lease_holder",
    "lease_holder_stop",
    "outcomes",
    "readers",
    "sources_install",
    "tracked_models",
    "tracking_of",
]
