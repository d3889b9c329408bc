"""Webhooks: one attempt's time limit, test sends, TLS trust, the queue, retries and secret overlap.

Deliveries run on their own Celery queue so a slow receiver never delays key emails; private
addresses are refused unless KEYSERVICE_WEBHOOK_ALLOW_PRIVATE (local development only).
"""

from keyservice.settings.env import env

# --- Webhooks ------------------------------------------------------------------------------
# Seconds one webhook attempt may take in total: name lookup, connecting, TLS, sending and
# reading the status line and headers together (no redirects are followed).
KEYSERVICE_WEBHOOK_TIMEOUT = env.float("KEYSERVICE_WEBHOOK_TIMEOUT", default=10)
# Test webhooks send inline, each holding a web worker up to the timeout: at most this many at
# once across all projects (and one per project), so they can never hold every worker. Keep it
# below GUNICORN_WORKERS.
KEYSERVICE_WEBHOOK_TEST_CONCURRENCY = env.int("KEYSERVICE_WEBHOOK_TEST_CONCURRENCY", default=1)
# CA bundle (PEM file) to verify https webhook receivers with; empty: certifi's bundle.
KEYSERVICE_WEBHOOK_CA_BUNDLE = env.str("KEYSERVICE_WEBHOOK_CA_BUNDLE", default="")
# Webhook deliveries run on their own Celery queue (compose: the worker-webhooks service), so
# a slow receiver never delays key emails on the default queue.
KEYSERVICE_WEBHOOKS_QUEUE = env.str("KEYSERVICE_WEBHOOKS_QUEUE", default="webhooks")
KEYSERVICE_WEBHOOK_MAX_ATTEMPTS = env.int("KEYSERVICE_WEBHOOK_MAX_ATTEMPTS", default=6)
KEYSERVICE_WEBHOOK_RETRY_BASE_SECONDS = env.float(
    "KEYSERVICE_WEBHOOK_RETRY_BASE_SECONDS", default=30
)
# True lets webhooks reach private, loopback and link-local addresses (local development only).
KEYSERVICE_WEBHOOK_ALLOW_PRIVATE = env.bool("KEYSERVICE_WEBHOOK_ALLOW_PRIVATE", default=False)
# Pending deliveries overdue by this much are re-enqueued by webhooks.tasks.webhook_sweep.
KEYSERVICE_WEBHOOK_STALE_SECONDS = env.int("KEYSERVICE_WEBHOOK_STALE_SECONDS", default=120)
# After a secret rotation, deliveries are signed with the new and the previous secret (two
# `v1=`) for this many seconds, then with the new one only (the previous one is dropped by the
# sweep). 0: the new one only, at once.
KEYSERVICE_WEBHOOK_SECRET_OVERLAP_SECONDS = env.int(
    "KEYSERVICE_WEBHOOK_SECRET_OVERLAP_SECONDS", default=24 * 3600
)
