"""The verify cache: its Redis, its size and lifetime, the version stamps and the leases.

A verbatim move of the settings' verify-cache block (apikeys/verifycache.py, core/stamps.py,
core/leases.py; docs/scaling.md). Its Redis defaults to the broker's (REDIS_URL); "" turns
the cache off.
"""

from keyservice.settings.env import REDIS_URL, env

# The verify cache (apikeys/verifycache.py, docs/scaling.md): per-process answers validated
# on every request against version stamps in this Redis (core/stamps.py). Every process that
# writes keys, users, projects, memberships or tokens must use the same URL; "" turns the
# stamps (and so the cache) off.
KEYSERVICE_VERIFY_CACHE_REDIS_URL = env.str("KEYSERVICE_VERIFY_CACHE_REDIS_URL", default=REDIS_URL)
KEYSERVICE_VERIFY_CACHE = env.bool(
    "KEYSERVICE_VERIFY_CACHE", default=bool(KEYSERVICE_VERIFY_CACHE_REDIS_URL)
)
KEYSERVICE_VERIFY_CACHE_SIZE = env.int("KEYSERVICE_VERIFY_CACHE_SIZE", default=100_000)
KEYSERVICE_VERIFY_CACHE_TTL = env.float("KEYSERVICE_VERIFY_CACHE_TTL", default=600)
# Past this a stamp read counts as unavailable (the request answers from PostgreSQL).
KEYSERVICE_VERIFY_CACHE_REDIS_TIMEOUT = env.float(
    "KEYSERVICE_VERIFY_CACHE_REDIS_TIMEOUT", default=0.1
)
# How long a write's "pending" stamp lasts if its after-commit bump never comes.
KEYSERVICE_VERIFY_CACHE_PENDING_TTL = env.int("KEYSERVICE_VERIFY_CACHE_PENDING_TTL", default=300)
# Leases (core/leases.py): while a process holds one, its hits ask Redis nothing; every write
# waits until each holder applied it or let its lease lapse. Every process must agree on the
# lease length (a dead process delays writes by at most that long).
KEYSERVICE_VERIFY_CACHE_LEASES = env.bool("KEYSERVICE_VERIFY_CACHE_LEASES", default=True)
KEYSERVICE_VERIFY_CACHE_LEASE_SECONDS = env.float(
    "KEYSERVICE_VERIFY_CACHE_LEASE_SECONDS", default=2.0
)
