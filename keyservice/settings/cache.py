"""The leased cache (core/leasedcache/): its Redis, its size and lifetime, the leases.

Every process that writes keys, users, projects, memberships, tokens, uploads or webhooks
must use the same Redis URL and lease length (docs/scaling.md). The names before issue 23
(KEYSERVICE_VERIFY_CACHE*) are read as deprecated aliases for one release;
KEYSERVICE_VERIFY_CACHE_LEASES is gone (leases are the one protocol).
"""

import warnings

from keyservice.settings.env import REDIS_URL, env, env_renamed

if "KEYSERVICE_VERIFY_CACHE_LEASES" in env:
    warnings.warn(
        "KEYSERVICE_VERIFY_CACHE_LEASES is no longer read: leases are the leased cache's one "
        "protocol (docs/configuration.md)",
        FutureWarning,
        stacklevel=1,
    )

# The Redis of the change stream and the leases; defaults to the broker's (REDIS_URL). ""
# turns the cache off and writers announce nothing: then no process may have the cache on.
KEYSERVICE_LEASED_CACHE_REDIS_URL = env_renamed(
    "KEYSERVICE_LEASED_CACHE_REDIS_URL",
    old="KEYSERVICE_VERIFY_CACHE_REDIS_URL",
    cast=env.str,
    default=REDIS_URL,
)
# May this process answer from memory (while it holds a lease)? Writers announce regardless.
KEYSERVICE_LEASED_CACHE = env_renamed(
    "KEYSERVICE_LEASED_CACHE",
    old="KEYSERVICE_VERIFY_CACHE",
    cast=env.bool,
    default=bool(KEYSERVICE_LEASED_CACHE_REDIS_URL),
)
# Entries per process (an LRU), and the oldest an entry may be served.
KEYSERVICE_LEASED_CACHE_SIZE = env_renamed(
    "KEYSERVICE_LEASED_CACHE_SIZE",
    old="KEYSERVICE_VERIFY_CACHE_SIZE",
    cast=env.int,
    default=100_000,
)
KEYSERVICE_LEASED_CACHE_MAX_AGE_SECONDS = env_renamed(
    "KEYSERVICE_LEASED_CACHE_MAX_AGE_SECONDS",
    old="KEYSERVICE_VERIFY_CACHE_TTL",
    cast=env.float,
    default=600,
)
# A writer's announcement that Redis has not answered within this is refused (503).
KEYSERVICE_LEASED_CACHE_REDIS_TIMEOUT_SECONDS = env_renamed(
    "KEYSERVICE_LEASED_CACHE_REDIS_TIMEOUT_SECONDS",
    old="KEYSERVICE_VERIFY_CACHE_REDIS_TIMEOUT",
    cast=env.float,
    default=0.1,
)
# How long a write announced before its commit and never after keeps its names uncacheable.
KEYSERVICE_LEASED_CACHE_PENDING_SECONDS = env_renamed(
    "KEYSERVICE_LEASED_CACHE_PENDING_SECONDS",
    old="KEYSERVICE_VERIFY_CACHE_PENDING_TTL",
    cast=env.int,
    default=300,
)
# A lease's length: every write waits for each holder's acknowledgement, or this long for a
# holder that hangs (a dead process delays writes by at most that). Every process must agree.
KEYSERVICE_LEASED_CACHE_LEASE_SECONDS = env_renamed(
    "KEYSERVICE_LEASED_CACHE_LEASE_SECONDS",
    old="KEYSERVICE_VERIFY_CACHE_LEASE_SECONDS",
    cast=env.float,
    default=2.0,
)
