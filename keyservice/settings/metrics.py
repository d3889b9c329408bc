"""Metrics: the bearer token of /metrics and the Celery workers' own /metrics listener.

An empty token turns /metrics off (404); a token shorter than 32 characters stops the process
at start.
"""

from django.core.exceptions import ImproperlyConfigured

from keyservice.settings.env import env

# --- Metrics (core.metrics, docs/operations.md "Metrics") ------------------------------------
# The bearer token Prometheus scrapes /metrics with; empty: /metrics answers 404.
KEYSERVICE_METRICS_TOKEN = env.str("KEYSERVICE_METRICS_TOKEN", default="")
if KEYSERVICE_METRICS_TOKEN and len(KEYSERVICE_METRICS_TOKEN) < 32:
    raise ImproperlyConfigured(
        "KEYSERVICE_METRICS_TOKEN must be at least 32 characters (e.g. openssl rand -hex 32)."
    )
# Celery workers: the port their own /metrics listens on (0: none), with the same token.
KEYSERVICE_WORKER_METRICS_PORT = env.int("KEYSERVICE_WORKER_METRICS_PORT", default=0)
KEYSERVICE_WORKER_METRICS_ADDR = env.str("KEYSERVICE_WORKER_METRICS_ADDR", default="127.0.0.1")
