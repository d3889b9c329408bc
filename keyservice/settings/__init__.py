"""Settings, read from the environment (and `.env` at the repository root when present).

Development defaults are safe to run locally; with DJANGO_DEBUG off every secret must be
given explicitly and well-formed, or the process refuses to start (see `keyservice.secrets`).
This base holds what every process needs (secrets, hosts, apps, middleware, templates, the
Django cache, static files), then takes each topic's settings from its own module below
(`database`, `auth`, `email`, `celery`, `cache`, `keys`, `webhooks`, `security`, …); the base
and every topic read the environment through `keyservice.settings.env`.
"""

from pathlib import Path

from keyservice.secrets import load_secrets
from keyservice.settings.env import DEBUG as DEBUG
from keyservice.settings.env import REDIS_URL as REDIS_URL
from keyservice.settings.env import env

BASE_DIR = Path(__file__).resolve().parents[2]

_secrets = load_secrets(env, debug=DEBUG)
SECRET_KEY = _secrets.django_secret_key
KEYSERVICE_ENCRYPTION_KEY = _secrets.encryption_key
KEYSERVICE_OLD_ENCRYPTION_KEYS = _secrets.old_encryption_keys
KEYSERVICE_DIGEST_SECRET = _secrets.digest_secret

ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "allauth",
    "allauth.account",
    "allauth.socialaccount",
    "allauth.socialaccount.providers.google",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "core",
    "accounts",
    "audit",
    "projects",
    "teams",
    "apikeys",
    "outbox",
    "builds",
    "webhooks",
    "lifecycle",
    "api",
    "dashboard",
    "keyservice",  # last: fills every app's registries from keyservice/wiring.py
]

# The dashboard's chain. Its first entry sends the APIs' paths (core.chains.is_api_path) down
# KEYSERVICE_API_MIDDLEWARE instead: they need none of sessions, CSRF, messages, authentication,
# CSP, static files or allauth, and stop paying for them (docs/performance.md).
MIDDLEWARE = [
    "core.chains.ApiChainMiddleware",
    # Times the whole stack, in both chains (core.metrics_http; labels are URL patterns).
    "core.metrics_http.MetricsMiddleware",
    "core.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    # A write the leased cache cannot announce (core.leasedcache): a 503 page, nothing changed.
    "core.leasedcache.RefusedWriteMiddleware",
]
# The APIs' chain, in MIDDLEWARE's order: the metrics; request ids; the security headers, HSTS
# and the HTTPS redirect exemptions; Host validation (ALLOWED_HOSTS), APPEND_SLASH and
# Content-Length; and X-Frame-Options, all as the APIs answered before they had a chain of
# their own.
KEYSERVICE_API_MIDDLEWARE = [
    "core.metrics_http.MetricsMiddleware",
    "core.request_id.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "keyservice.urls"
WSGI_APPLICATION = "keyservice.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "keyservice.context_processors.site",
            ],
        },
    },
]

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}
if CACHES["default"]["BACKEND"].endswith(".RedisCache"):
    # A Redis that stops answering must not hang requests: past this the throttles fail
    # open (core.ratelimit) and the API keeps answering.
    _cache_timeout = env.float("KEYSERVICE_CACHE_SOCKET_TIMEOUT", default=0.25)
    CACHES["default"].setdefault("OPTIONS", {}).update(
        socket_connect_timeout=_cache_timeout, socket_timeout=_cache_timeout
    )
    # Reads miss and writes are dropped while Redis is down: sign-in and the dashboard keep
    # answering too (allauth's rate limits and Google's certs use the cache).
    CACHES["default"]["BACKEND"] = "core.cache.FailSoftRedisCache"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True
# The product's own wording of allauth's strings (sentence case): locale/en/LC_MESSAGES.
LOCALE_PATHS = [BASE_DIR / "locale"]

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

KEYSERVICE_ADMIN_PATH = env.str("KEYSERVICE_ADMIN_PATH", default="admin/")

# The topics, each in its own module. No topic sets another's settings, so their order does not
# matter; a topic that needs another's value imports it from that module (security: auth's).
# DEBUG and REDIS_URL, which several topics read, are defined in keyservice.settings.env.
from keyservice.settings.api import *  # noqa: E402, F403
from keyservice.settings.auth import *  # noqa: E402, F403
from keyservice.settings.cache import *  # noqa: E402, F403
from keyservice.settings.celery import *  # noqa: E402, F403
from keyservice.settings.client_addresses import *  # noqa: E402, F403
from keyservice.settings.database import *  # noqa: E402, F403
from keyservice.settings.email import *  # noqa: E402, F403
from keyservice.settings.keys import *  # noqa: E402, F403
from keyservice.settings.lifecycle import *  # noqa: E402, F403
from keyservice.settings.logging import *  # noqa: E402, F403
from keyservice.settings.metrics import *  # noqa: E402, F403
from keyservice.settings.retention import *  # noqa: E402, F403
from keyservice.settings.security import *  # noqa: E402, F403
from keyservice.settings.teams import *  # noqa: E402, F403
from keyservice.settings.webhooks import *  # noqa: E402, F403
