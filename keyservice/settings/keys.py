"""API keys: their prefix and lifetime cap, the key email and its outbox, usage and leak reports.

The key email goes through the outbox (attempts, backoff, the sweep's stale age); usage is
counted in each process and flushed to Redis (the broker's unless KEYSERVICE_USAGE_REDIS_URL
says otherwise); public leak reports wait in Redis for a batched drain on their own queue.
"""

from django.core.exceptions import ImproperlyConfigured

from keyservice.settings.env import REDIS_URL, env

# --- Keys, the key email's outbox, key usage ---------------------------------------------
KEYSERVICE_KEY_PREFIX = env.str("KEYSERVICE_KEY_PREFIX", default="spx_")
# The longest lifetime, in days, a requested key may have (apikeys.lifetime); unset: keys may
# never expire. With a cap, "never" and the lifetimes above it are not offered (or accepted).
KEYSERVICE_KEY_MAX_LIFETIME_DAYS = env.int("KEYSERVICE_KEY_MAX_LIFETIME_DAYS", default=None)
if KEYSERVICE_KEY_MAX_LIFETIME_DAYS is not None and KEYSERVICE_KEY_MAX_LIFETIME_DAYS < 1:
    raise ImproperlyConfigured("KEYSERVICE_KEY_MAX_LIFETIME_DAYS must be at least 1 (or unset).")
# The longest overlap on renewal, in seconds (apikeys.overlap): with it, Request API Key may
# keep the previous key working for up to this long. 0 (the default): the platform's contract,
# the previous key stops at once and no overlap is offered. At most 30 days.
KEYSERVICE_KEY_OVERLAP_MAX_SECONDS = env.int("KEYSERVICE_KEY_OVERLAP_MAX_SECONDS", default=0)
if not 0 <= KEYSERVICE_KEY_OVERLAP_MAX_SECONDS <= 30 * 86400:
    raise ImproperlyConfigured(
        "KEYSERVICE_KEY_OVERLAP_MAX_SECONDS must be between 0 (no overlap) and 2592000 (30 days)."
    )
# False: the key email only says that a key was issued (with its hint), never the key itself.
KEYSERVICE_EMAIL_INCLUDES_KEY = env.bool("KEYSERVICE_EMAIL_INCLUDES_KEY", default=True)
KEYSERVICE_OUTBOX_MAX_ATTEMPTS = env.int("KEYSERVICE_OUTBOX_MAX_ATTEMPTS", default=6)
KEYSERVICE_OUTBOX_RETRY_BASE_SECONDS = env.float("KEYSERVICE_OUTBOX_RETRY_BASE_SECONDS", default=30)
# Pending rows older than this are re-enqueued by the sweep (their first enqueue was lost).
KEYSERVICE_OUTBOX_STALE_SECONDS = env.int("KEYSERVICE_OUTBOX_STALE_SECONDS", default=120)

# Key usage (apikeys.usage.counting): counted in each process, flushed to Redis every N seconds by a
# thread (0: no thread), moved to PostgreSQL by the usage-collect task every M seconds.
KEYSERVICE_USAGE = env.bool("KEYSERVICE_USAGE", default=True)
KEYSERVICE_USAGE_FLUSH_SECONDS = env.float("KEYSERVICE_USAGE_FLUSH_SECONDS", default=10)
KEYSERVICE_USAGE_REDIS_URL = env.str("KEYSERVICE_USAGE_REDIS_URL", default=REDIS_URL)
KEYSERVICE_USAGE_REDIS_TIMEOUT = env.float("KEYSERVICE_USAGE_REDIS_TIMEOUT", default=0.25)
KEYSERVICE_USAGE_BUFFER_KEYS = env.int("KEYSERVICE_USAGE_BUFFER_KEYS", default=100_000)

# --- Public leak reports (apikeys.leaks.reports) ----------------------------------------------
# Reports to POST /pixelStripeApi/keys/revoke wait in the broker's Redis; one drain task at a
# time revokes up to BATCH reports in one transaction, on its own Celery queue (compose: the
# worker-leak-reports service), so a flood never delays key emails on the default queue. Past
# PENDING_MAX waiting reports, new ones are refused (503).
KEYSERVICE_LEAK_REPORTS_QUEUE = env.str("KEYSERVICE_LEAK_REPORTS_QUEUE", default="leak-reports")
KEYSERVICE_LEAK_REPORTS_BATCH = env.int("KEYSERVICE_LEAK_REPORTS_BATCH", default=50)
KEYSERVICE_LEAK_REPORTS_PENDING_MAX = env.int("KEYSERVICE_LEAK_REPORTS_PENDING_MAX", default=10_000)
if not 1 <= KEYSERVICE_LEAK_REPORTS_BATCH <= 1000:
    raise ImproperlyConfigured("KEYSERVICE_LEAK_REPORTS_BATCH must be between 1 and 1000.")
