"""Lifecycle events for internal subscribers: attempts, backoff, the sweep and retention.

Deliveries go out on the webhooks queue (lifecycle/); each attempt has a wall-clock limit and
the backoff doubles from its base.
"""

from keyservice.settings.env import env

# --- Lifecycle events for internal subscribers (lifecycle/, on the webhooks queue) ---------
# One attempt's wall-clock limit, the attempts in all, and the backoff's base (doubling).
KEYSERVICE_LIFECYCLE_TIMEOUT = env.float("KEYSERVICE_LIFECYCLE_TIMEOUT", default=5)
KEYSERVICE_LIFECYCLE_MAX_ATTEMPTS = env.int("KEYSERVICE_LIFECYCLE_MAX_ATTEMPTS", default=10)
KEYSERVICE_LIFECYCLE_RETRY_BASE_SECONDS = env.float(
    "KEYSERVICE_LIFECYCLE_RETRY_BASE_SECONDS", default=5
)
# Pending deliveries overdue by this much are re-enqueued by lifecycle.tasks.lifecycle_sweep.
KEYSERVICE_LIFECYCLE_STALE_SECONDS = env.int("KEYSERVICE_LIFECYCLE_STALE_SECONDS", default=120)
# Delivered lifecycle deliveries (pending and failed ones are always kept).
KEYSERVICE_LIFECYCLE_RETENTION_DAYS = env.int("KEYSERVICE_LIFECYCLE_RETENTION_DAYS", default=30)
