"""Settings for the test suite: fixed test secrets, then the real settings.

DATABASE_URL and REDIS_URL come from the environment (CI sets both: PostgreSQL and Redis).
Tests that need a real broker use REDIS_URL explicitly; the app itself runs tasks eagerly
unless a test opts into the broker.
"""

import os

os.environ["KEYSERVICE_ENV_FILE"] = ""  # a developer's .env never leaks into the tests
os.environ.setdefault("DJANGO_SECRET_KEY", "test-secret-key-" + "x" * 40)
os.environ.setdefault("KEYSERVICE_ENCRYPTION_KEY", "ab" * 32)
os.environ.setdefault("KEYSERVICE_DIGEST_SECRET", "test-digest-secret-" + "y" * 30)
os.environ.setdefault("KEYSERVICE_PASSWORD_LOGIN", "true")
os.environ.setdefault("DJANGO_DEBUG", "false")
# The test suite decides per test whether Celery uses the real broker (see conftest.py).
TEST_REDIS_URL = os.environ.pop("REDIS_URL", "")
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
    vars().update(environ.Env.email_url_config(os.environ["KEYSERVICE_TEST_WORKER_EMAIL_URL"]))  # noqa: F405
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
