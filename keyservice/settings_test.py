"""Settings for the test suite: fixed test secrets, then the real settings.

DATABASE_URL and REDIS_URL come from the environment (CI's production-shaped run sets both);
unset, the suite runs on this checkout's private PostgreSQL and Redis (devstack/), started if
need be and stopped after the last test process leaves. Tests that need a real broker use the
Redis explicitly; the app itself runs tasks eagerly unless a test opts into the broker.
"""

import os
from urllib.parse import urlsplit

import environ

from devstack import stack_attach

os.environ["KEYSERVICE_ENV_FILE"] = ""  # a developer's .env never leaks into the tests
# The tests' own subprocesses (gunicorn, Celery workers) inherit the suite's Redis.
_inherited_redis = os.environ.get("KEYSERVICE_TEST_REDIS_URL", "")
stack_attach(os.environ, configured={"REDIS_URL": _inherited_redis, **os.environ})
os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-" + "x" * 40)
os.environ.setdefault("KEYSERVICE_ENCRYPTION_KEY", "ab" * 32)
os.environ.setdefault("KEYSERVICE_DIGEST_SECRET", "test-digest-secret-" + "y" * 30)
os.environ.setdefault("KEYSERVICE_PASSWORD_LOGIN", "true")
os.environ.setdefault("DJANGO_DEBUG", "false")
# The test suite decides per test whether Celery uses the real broker (see conftest.py).
_redis = urlsplit(os.environ.pop("REDIS_URL", "") or _inherited_redis)
os.environ["KEYSERVICE_TEST_REDIS_URL"] = _redis.geturl()
# Parallel test processes (pytest-xdist's gw0, gw1, …) share that Redis: each gets two
# databases of its own, 2N for everything and 2N + 1 as its spare (TEST_REDIS_SPARE_URL).
_worker = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
if _worker > 7:
    raise RuntimeError("at most 8 parallel test processes (-n 8): Redis has 16 databases")
TEST_REDIS_URL = _redis._replace(path=f"/{2 * _worker}").geturl()
TEST_REDIS_SPARE_URL = _redis._replace(path=f"/{2 * _worker + 1}").geturl()
os.environ.pop("EMAIL_URL", None)
os.environ.pop("EMAIL_HOST", None)

from keyservice.settings import *  # noqa: E402,F403

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405  (no idle connections block DROP DATABASE)

# A real worker started by the tests (tests/support/worker.py) runs with these settings plus
# its broker and SMTP server from the environment.
if os.environ.get("KEYSERVICE_TEST_WORKER_BROKER"):
    CELERY_BROKER_URL = os.environ["KEYSERVICE_TEST_WORKER_BROKER"]
    CELERY_TASK_ALWAYS_EAGER = False
    CELERY_TASK_DEFAULT_QUEUE = os.environ["KEYSERVICE_TEST_WORKER_QUEUE"]
    vars().update(environ.Env.email_url_config(os.environ["KEYSERVICE_TEST_WORKER_EMAIL_URL"]))
# No usage flush thread unless a test's server asks for one: tests flush explicitly.
KEYSERVICE_USAGE_FLUSH_SECONDS = float(os.environ.get("KEYSERVICE_USAGE_FLUSH_SECONDS", "0"))
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
STORAGES["staticfiles"]["BACKEND"] = "django.contrib.staticfiles.storage.StaticFilesStorage"  # noqa: F405
SESSION_COOKIE_SECURE = False
SECURE_SSL_REDIRECT = False  # tests speak plain HTTP unless a test opts in
CSRF_COOKIE_SECURE = False
# GitHub's secret scanning keys: never fetched from GitHub in tests. Port 9 (discard) on
# loopback refuses at once; tests that need keys serve their own (apikeys/tests).
KEYSERVICE_GITHUB_KEYS_URL = "http://127.0.0.1:9/meta/public_keys/secret_scanning"
