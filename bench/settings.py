"""Benchmark settings: the production settings (keyservice.settings, DEBUG off, PostgreSQL,
Redis cache and broker, persistent connections) plus the bench-only app and the two peers.

Everything comes from the environment that bench/config.py sets: DATABASE_URL, CACHE_URL,
REDIS_URL, EMAIL_URL, the secrets and DJANGO_TRUST_X_FORWARDED_PROTO (the load generator
says `X-Forwarded-Proto: https`, as a TLS-terminating proxy would). The only departures from
production are listed here: extra apps and URLs, the upload throttle (so a load run measures
the endpoint rather than 429s) and a Celery queue of its own.
"""

import os

os.environ.setdefault("KEYSERVICE_ENV_FILE", "")  # a developer's .env never leaks in

from keyservice.settings import *  # noqa: F403
from keyservice.settings import INSTALLED_APPS, REST_FRAMEWORK

INSTALLED_APPS = [*INSTALLED_APPS, "rest_framework_api_key", "knox", "bench"]
ROOT_URLCONF = "bench.urls"

# Upload/distribute throttles effectively off for the run (1/120s per userId in production).
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {
        **REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
        "upload": "100000000/1s",
        "distribute": "100000000/1s",
    },
}

# Peer configuration: knox tokens never expire and are never refreshed (no writes on a
# request), like keyservice keys; djangorestframework-api-key uses its default SHA-512 hasher.
REST_KNOX = {"TOKEN_TTL": None, "AUTO_REFRESH": False}

CELERY_TASK_DEFAULT_QUEUE = os.environ.get("BENCH_CELERY_QUEUE", "bench-celery")
KEYSERVICE_BUILDS_QUEUE = os.environ.get("BENCH_BUILDS_QUEUE", "bench-builds")

# collectstatic (the manifest that DEBUG-off pages need) writes here, not to the repository's
# staticfiles/ that a developer's server may be using.
STATIC_ROOT = BASE_DIR / "bench" / "out" / "static"  # noqa: F405
