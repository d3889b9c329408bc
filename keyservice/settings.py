"""Settings, read from the environment (and `.env` at the repository root when present).

Development defaults are safe to run locally; with DJANGO_DEBUG off every secret must be
given explicitly and well-formed, or the process refuses to start (see `keyservice.secrets`).
"""

from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import environ
from django.core.exceptions import ImproperlyConfigured

from accounts.addresses import UnusableEmailAddress, email_domain_canonical
from devstack.env_file import env_file_path
from devstack.locations import default_database_url
from keyservice.secrets import load_secrets

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# Real environment variables win over the file; KEYSERVICE_ENV_FILE="" reads no file at all.
_env_file = env_file_path()
if _env_file is not None:
    env.read_env(str(_env_file), overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)

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
    # A write the verify cache's stamps cannot announce: a 503 page, nothing changed.
    "core.outage.StampOutageMiddleware",
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

# PostgreSQL only, everywhere. Unset: this checkout's private server (devstack/: `make run` and
# `make test` start it, data and socket under var/); production points DATABASE_URL elsewhere.
if not DEBUG and "DATABASE_URL" not in env:
    raise ImproperlyConfigured(
        "DATABASE_URL is required with DJANGO_DEBUG off (postgres://user:password@host/name)."
    )
DATABASES = {"default": env.db("DATABASE_URL", default=default_database_url())}
if DATABASES["default"].get("ENGINE") != "django.db.backends.postgresql":
    raise ImproperlyConfigured(
        "DATABASE_URL must name a PostgreSQL database (postgres://user:password@host:5432/name):"
        " keyservice runs on PostgreSQL only. Leave it unset in development: `make run` and"
        " `make test` start a private PostgreSQL for this checkout."
    )
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# gunicorn's gevent workers run many requests at once in one process, each in a greenlet
# with a connection of its own: there (gunicorn.conf.py sets it) a process shares at most
# this many connections through psycopg's pool, checked out for a request and given back at
# its end; a request that finds all in use waits up to KEYSERVICE_DB_POOL_TIMEOUT seconds.
# 0 (Celery, manage.py): one persistent connection per thread, as DJANGO_CONN_MAX_AGE says.
KEYSERVICE_DB_POOL_SIZE = env.int("KEYSERVICE_DB_POOL_SIZE", default=0)
if KEYSERVICE_DB_POOL_SIZE > 0:
    DATABASES["default"]["CONN_MAX_AGE"] = 0  # the pool keeps the connections (Django's rule)
    DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
        "min_size": 1,
        "max_size": KEYSERVICE_DB_POOL_SIZE,
        "timeout": env.float("KEYSERVICE_DB_POOL_TIMEOUT", default=10.0),
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

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

AUTH_USER_MODEL = "accounts.User"
# allauth's backend; sessions only for accounts whose address is verified (accounts.backends).
AUTHENTICATION_BACKENDS = ["accounts.backends.VerifiedAccountBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

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

LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGOUT_REDIRECT_URL = "account_login"

# --- Sign-in (django-allauth) ------------------------------------------------------------
KEYSERVICE_PASSWORD_LOGIN = env.bool("KEYSERVICE_PASSWORD_LOGIN", default=DEBUG)
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# A password sign-up proves its address (the emailed link) before the account can do anything;
# Google sign-in needs no link: an address Google does not vouch for is refused
# (accounts.adapters). allauth requires "none" when only Google sign-in is offered.
ACCOUNT_EMAIL_VERIFICATION = "mandatory" if KEYSERVICE_PASSWORD_LOGIN else "none"
# Sign-up, sign-in and password reset answer the same whether or not an account exists.
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_FORMS = {
    "signup": "accounts.signup_form.SignupForm",
    "login": "accounts.login_form.LoginForm",  # the typed address in canonical form
}
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_GET = False
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
SOCIALACCOUNT_ADAPTER = "accounts.adapters.SocialAccountAdapter"
# Disconnecting a sign-in identity is audited and ends the other sessions (accounts.access).
SOCIALACCOUNT_FORMS = {"disconnect": "accounts.disconnect_form.IdentityDisconnectForm"}
# Without password sign-in, allauth offers only third-party (Google) sign-in.
SOCIALACCOUNT_ONLY = not KEYSERVICE_PASSWORD_LOGIN
SOCIALACCOUNT_EMAIL_VERIFICATION = "none"
SOCIALACCOUNT_AUTO_SIGNUP = True
SOCIALACCOUNT_EMAIL_AUTHENTICATION = True
# Email authentication matches only a verified local address, and an identity joining an
# existing account makes its password unusable, revokes its key, ends its other sessions and
# detaches its other identities (accounts.adapters.SocialAccountAdapter).
SOCIALACCOUNT_EMAIL_AUTHENTICATION_AUTO_CONNECT = True
SOCIALACCOUNT_LOGIN_ON_GET = False
GOOGLE_CLIENT_ID = env.str("GOOGLE_CLIENT_ID", default="")
GOOGLE_CLIENT_SECRET = env.str("GOOGLE_CLIENT_SECRET", default="")
# Google's endpoints: the tests point them at a fake Google server (tests/e2e/fake_google.py).
KEYSERVICE_GOOGLE_AUTHORIZE_URL = env.str(
    "KEYSERVICE_GOOGLE_AUTHORIZE_URL", default="https://accounts.google.com/o/oauth2/v2/auth"
)
KEYSERVICE_GOOGLE_TOKEN_URL = env.str(
    "KEYSERVICE_GOOGLE_TOKEN_URL", default="https://oauth2.googleapis.com/token"
)
KEYSERVICE_GOOGLE_CERTS_URL = env.str(
    "KEYSERVICE_GOOGLE_CERTS_URL", default="https://www.googleapis.com/oauth2/v1/certs"
)
KEYSERVICE_GOOGLE_USERINFO_URL = env.str(
    "KEYSERVICE_GOOGLE_USERINFO_URL", default="https://www.googleapis.com/oauth2/v2/userinfo"
)
KEYSERVICE_GOOGLE_ISSUER = env.str(
    "KEYSERVICE_GOOGLE_ISSUER", default="https://accounts.google.com"
)
SOCIALACCOUNT_PROVIDERS = {
    "google": {
        # allauth's Google provider with the endpoints above (accounts/google/__init__.py).
        "provider_class": "accounts.google.GoogleProvider",
        "SCOPE": ["openid", "profile", "email"],
        "AUTH_PARAMS": {"prompt": "select_account"},
        "OAUTH_PKCE_ENABLED": True,
        **(
            {"APPS": [{"client_id": GOOGLE_CLIENT_ID, "secret": GOOGLE_CLIENT_SECRET, "key": ""}]}
            if GOOGLE_CLIENT_ID
            else {}
        ),
    }
}

# --- Email ---------------------------------------------------------------------------------
if "EMAIL_URL" in env:
    vars().update(env.email_url("EMAIL_URL"))
elif "EMAIL_HOST" in env:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = env.str("EMAIL_HOST")
    EMAIL_PORT = env.int("EMAIL_PORT", default=25)
    EMAIL_HOST_USER = env.str("EMAIL_HOST_USER", default="")
    EMAIL_HOST_PASSWORD = env.str("EMAIL_HOST_PASSWORD", default="")
    EMAIL_USE_TLS = env.bool("EMAIL_USE_TLS", default=False)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=15)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="keyservice <keys@localhost>")

# --- Celery --------------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")

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
# Without Redis (the test suite), tasks run in-process; "localhost" spares kombu a warning.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# What a task prints (the console email backend in development) is logged at INFO, not WARNING.
CELERY_WORKER_REDIRECT_STDOUTS_LEVEL = "INFO"
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 2,
    "socket_timeout": 5,
    # Must exceed the longest retry countdown, or Redis re-delivers a task still waiting.
    "visibility_timeout": 3600,
}
# A request must never hang on a dead broker: fail fast, the outbox sweep re-sends later.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BEAT_SCHEDULE = {
    "outbox-sweep": {
        "task": "outbox.tasks.outbox_sweep",
        "schedule": timedelta(seconds=env.int("KEYSERVICE_OUTBOX_SWEEP_SECONDS", default=60)),
    },
    "builds-hand-over-sweep": {
        "task": "builds.tasks.builds_hand_over_sweep",
        "schedule": timedelta(seconds=60),
    },
    "webhook-sweep": {
        "task": "webhooks.tasks.webhook_sweep",
        "schedule": timedelta(seconds=60),
    },
    "key-usage-collect": {
        "task": "apikeys.tasks.usage_collect_task",
        "schedule": timedelta(seconds=env.int("KEYSERVICE_USAGE_COLLECT_SECONDS", default=30)),
    },
    "lifecycle-sweep": {
        "task": "lifecycle.tasks.lifecycle_sweep",
        "schedule": timedelta(seconds=60),
    },
    # apikeys.expiry: reminders 7 days and 1 day before a key expires, its `expired` event.
    "key-expiry-scan": {
        "task": "apikeys.tasks.apikey_expiry_scan",
        "schedule": timedelta(seconds=env.int("KEYSERVICE_KEY_EXPIRY_SCAN_SECONDS", default=600)),
    },
    # A drain for public leak reports left waiting when a drain message was lost.
    "leak-reports-sweep": {
        "task": "apikeys.tasks.leak_reports_sweep_task",
        "schedule": timedelta(seconds=60),
    },
    # Daily: delete key events, outbox emails and webhook deliveries past their retention.
    "history-prune": {
        "task": "core.tasks.retention_prune",
        "schedule": timedelta(days=1),
    },
}

# --- Teams ---------------------------------------------------------------------------------
KEYSERVICE_INVITATION_DAYS = env.int("KEYSERVICE_INVITATION_DAYS", default=7)
# Invitation emails (no mail-bombing relay): per owner per day (new and resent), and resends
# of one address per owner at most once every N minutes and M times a day.
KEYSERVICE_INVITATIONS_PER_DAY = env.int("KEYSERVICE_INVITATIONS_PER_DAY", default=50)
KEYSERVICE_INVITATION_RESEND_MINUTES = env.int("KEYSERVICE_INVITATION_RESEND_MINUTES", default=10)
KEYSERVICE_INVITATION_RESENDS_PER_DAY = env.int("KEYSERVICE_INVITATION_RESENDS_PER_DAY", default=5)
# "open" (anyone may sign up, like the hosted platform) or "invite-only" (only addresses with a
# pending invitation); optionally only addresses of these domains (comma-separated), kept in
# the canonical form addresses are compared in (IDNA A-labels: accounts.addresses).
KEYSERVICE_SIGNUP = env.str("KEYSERVICE_SIGNUP", default="open")
try:
    KEYSERVICE_SIGNUP_DOMAINS = [
        email_domain_canonical(d.strip().lstrip("@"))
        for d in env.list("KEYSERVICE_SIGNUP_DOMAINS", default=[])
    ]
except UnusableEmailAddress as exc:
    raise ImproperlyConfigured(f"KEYSERVICE_SIGNUP_DOMAINS: {exc}") from None
if KEYSERVICE_SIGNUP not in ("open", "invite-only"):
    raise ImproperlyConfigured('KEYSERVICE_SIGNUP must be "open" or "invite-only".')

# --- keyservice ----------------------------------------------------------------------------
KEYSERVICE_KEY_PREFIX = env.str("KEYSERVICE_KEY_PREFIX", default="spx_")
# The longest lifetime, in days, a requested key may have (apikeys.lifetime); unset: keys may
# never expire. With a cap, "never" and the lifetimes above it are not offered (or accepted).
KEYSERVICE_KEY_MAX_LIFETIME_DAYS = env.int("KEYSERVICE_KEY_MAX_LIFETIME_DAYS", default=None)
if KEYSERVICE_KEY_MAX_LIFETIME_DAYS is not None and KEYSERVICE_KEY_MAX_LIFETIME_DAYS < 1:
    raise ImproperlyConfigured("KEYSERVICE_KEY_MAX_LIFETIME_DAYS must be at least 1 (or unset).")
# False: the key email only says that a key was issued (with its hint), never the key itself.
KEYSERVICE_EMAIL_INCLUDES_KEY = env.bool("KEYSERVICE_EMAIL_INCLUDES_KEY", default=True)
KEYSERVICE_OUTBOX_MAX_ATTEMPTS = env.int("KEYSERVICE_OUTBOX_MAX_ATTEMPTS", default=6)
KEYSERVICE_OUTBOX_RETRY_BASE_SECONDS = env.float("KEYSERVICE_OUTBOX_RETRY_BASE_SECONDS", default=30)
# Pending rows older than this are re-enqueued by the sweep (their first enqueue was lost).
KEYSERVICE_OUTBOX_STALE_SECONDS = env.int("KEYSERVICE_OUTBOX_STALE_SECONDS", default=120)

# Key usage (apikeys.usage): counted in each process, flushed to Redis every N seconds by a
# thread (0: no thread), moved to PostgreSQL by the usage-collect task every M seconds.
KEYSERVICE_USAGE = env.bool("KEYSERVICE_USAGE", default=True)
KEYSERVICE_USAGE_FLUSH_SECONDS = env.float("KEYSERVICE_USAGE_FLUSH_SECONDS", default=10)
KEYSERVICE_USAGE_REDIS_URL = env.str("KEYSERVICE_USAGE_REDIS_URL", default=REDIS_URL)
KEYSERVICE_USAGE_REDIS_TIMEOUT = env.float("KEYSERVICE_USAGE_REDIS_TIMEOUT", default=0.25)
KEYSERVICE_USAGE_BUFFER_KEYS = env.int("KEYSERVICE_USAGE_BUFFER_KEYS", default=100_000)

# --- Retention (the daily history-prune task and `manage.py prune_history`) ----------------
# Key audit events older than this many days are deleted.
KEYSERVICE_AUDIT_RETENTION_DAYS = env.int("KEYSERVICE_AUDIT_RETENTION_DAYS", default=365)
# Sent and skipped outbox emails (pending and failed ones are always kept).
KEYSERVICE_OUTBOX_RETENTION_DAYS = env.int("KEYSERVICE_OUTBOX_RETENTION_DAYS", default=30)
# Delivered webhook deliveries and their attempts (pending and failed ones are always kept).
KEYSERVICE_WEBHOOK_RETENTION_DAYS = env.int("KEYSERVICE_WEBHOOK_RETENTION_DAYS", default=30)
# Daily key usage counts (the dashboard shows 30 days).
KEYSERVICE_USAGE_RETENTION_DAYS = env.int("KEYSERVICE_USAGE_RETENTION_DAYS", default=90)

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
CELERY_TASK_ROUTES = ("webhooks.routing.webhook_route", "apikeys.routing.leak_reports_route")
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

# --- Client addresses ----------------------------------------------------------------------
# Who a request counts as, for every per-client limit (the API's and sign-in's alike):
# core.clientip.client_identity. Trusted proxies in front (compose: 1, the TLS proxy): the
# client address is the N-th X-Forwarded-For entry from the right, so behind the proxy one
# client's failures never count against everyone.
KEYSERVICE_NUM_PROXIES = env.int("KEYSERVICE_NUM_PROXIES", default=0)
# An IPv6 client is its network of this many bits (one subscriber holds a whole /64 at least):
# every address of one /64 shares one budget. IPv4 clients are their full address.
KEYSERVICE_CLIENT_IPV6_PREFIX = env.int("KEYSERVICE_CLIENT_IPV6_PREFIX", default=64)
if not 1 <= KEYSERVICE_CLIENT_IPV6_PREFIX <= 128:
    raise ImproperlyConfigured("KEYSERVICE_CLIENT_IPV6_PREFIX must be between 1 and 128.")
# Sign-in's limits take the client from accounts.adapters.AccountAdapter.get_client_ip (that
# same identity); allauth's own reading of X-Forwarded-For is given the same count all the same.
ALLAUTH_TRUSTED_PROXY_COUNT = KEYSERVICE_NUM_PROXIES

# --- Public leak reports (apikeys.leak_reports) ----------------------------------------------
# Reports to POST /pixelStripeApi/keys/revoke wait in the broker's Redis; one drain task at a
# time revokes up to BATCH reports in one transaction, on its own Celery queue (compose: the
# worker-leak-reports service), so a flood never delays key emails on the default queue. Past
# PENDING_MAX waiting reports, new ones are refused (503).
KEYSERVICE_LEAK_REPORTS_QUEUE = env.str("KEYSERVICE_LEAK_REPORTS_QUEUE", default="leak-reports")
KEYSERVICE_LEAK_REPORTS_BATCH = env.int("KEYSERVICE_LEAK_REPORTS_BATCH", default=50)
KEYSERVICE_LEAK_REPORTS_PENDING_MAX = env.int("KEYSERVICE_LEAK_REPORTS_PENDING_MAX", default=10_000)
if not 1 <= KEYSERVICE_LEAK_REPORTS_BATCH <= 1000:
    raise ImproperlyConfigured("KEYSERVICE_LEAK_REPORTS_BATCH must be between 1 and 1000.")

# --- REST API ------------------------------------------------------------------------------
# Plain HTTP on the public API: for local development only (403 "HTTPS required" otherwise).
KEYSERVICE_ALLOW_HTTP = env.bool("KEYSERVICE_ALLOW_HTTP", default=DEBUG)
KEYSERVICE_BUILDS_QUEUE = env.str("KEYSERVICE_BUILDS_QUEUE", default="builds")
REST_FRAMEWORK: dict[str, Any] = {
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    # Atomic counters in the cache (core.ratelimit); failing open when the cache is down.
    "DEFAULT_THROTTLE_RATES": {
        "upload": env.str("KEYSERVICE_THROTTLE_UPLOAD", default="1/120s"),
        "distribute": env.str("KEYSERVICE_THROTTLE_DISTRIBUTE", default="1/120s"),
        # Test webhooks per project (API and dashboard together): each one sends at once.
        "test_webhook": env.str("KEYSERVICE_THROTTLE_TEST_WEBHOOK", default="5/60s"),
        # Failed authentications per client address (a flood limit: valid credentials are
        # never refused by it); generous, so a stale-key integration keeps getting its 401.
        "auth_failures_client": env.str(
            "KEYSERVICE_THROTTLE_AUTH_FAILURES_CLIENT", default="240/120s"
        ),
        # Reports to the public revocation endpoint (POST /pixelStripeApi/keys/revoke) per
        # client address, each of up to 100 strings.
        "key_reports_client": env.str("KEYSERVICE_THROTTLE_KEY_REPORTS_CLIENT", default="10/60s"),
        # Global budgets of the anonymous endpoints, all clients together: however many
        # addresses (or IPv6 networks) a flood comes from, it gets this much work done.
        "key_reports_global": env.str("KEYSERVICE_THROTTLE_KEY_REPORTS_GLOBAL", default="120/60s"),
        "github_scanning_global": env.str(
            "KEYSERVICE_THROTTLE_GITHUB_SCANNING_GLOBAL", default="600/60s"
        ),
        "schema_global": env.str("KEYSERVICE_THROTTLE_SCHEMA_GLOBAL", default="60/60s"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "keyservice API",
    "DESCRIPTION": "The public API (/pixelStripeApi, wire-compatible with the hosted platform) "
    'and the internal API (/internal/v1). Every error body is exactly {"message": "..."}.',
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Security ------------------------------------------------------------------------------
# HTTPS: redirect the dashboard to HTTPS (not the APIs: they answer 403 "HTTPS required", and
# not the health check that the container probes over plain HTTP).
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$", r"^pixelStripeApi/", r"^internal/"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): no inline scripts or styles anywhere; forms may post
# to ourselves and, for sign-in, redirect to Google's authorization endpoint.
_google_origin = "{0.scheme}://{0.netloc}".format(urlsplit(KEYSERVICE_GOOGLE_AUTHORIZE_URL))
CONTENT_SECURITY_POLICY = {
    # JSON APIs render no documents: skip building the header on their hot paths.
    "EXCLUDE_URL_PREFIXES": ["/pixelStripeApi/", "/internal/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", _google_origin],
    },
}
# GitHub secret scanning (POST /pixelStripeApi/keys/github-secret-scanning): where GitHub
# publishes the keys it signs reports with, the fetch's timeout (seconds, to connect and per
# read), how long the keys are kept (in each process and in the cache), and the shortest
# interval between fetches caused by a key id not among them (GitHub rotated its key).
KEYSERVICE_GITHUB_KEYS_URL = env.str(
    "KEYSERVICE_GITHUB_KEYS_URL",
    default="https://api.github.com/meta/public_keys/secret_scanning",
)
KEYSERVICE_GITHUB_KEYS_TIMEOUT = env.float("KEYSERVICE_GITHUB_KEYS_TIMEOUT", default=5)
KEYSERVICE_GITHUB_KEYS_CACHE_SECONDS = env.int("KEYSERVICE_GITHUB_KEYS_CACHE_SECONDS", default=3600)
KEYSERVICE_GITHUB_KEYS_REFRESH_SECONDS = env.int(
    "KEYSERVICE_GITHUB_KEYS_REFRESH_SECONDS", default=120
)
# Largest JSON body the APIs read; larger ones get 413 {"message": ...} unread.
KEYSERVICE_API_MAX_BODY_BYTES = env.int("KEYSERVICE_API_MAX_BODY_BYTES", default=65536)
# DRF's JSON parsing reads request.body, which Django refuses past this size: never below the
# APIs' own limit (a bigger body is their 413, not an error inside the parser).
DATA_UPLOAD_MAX_MEMORY_SIZE = max(2_621_440, KEYSERVICE_API_MAX_BODY_BYTES)
if env.bool("DJANGO_TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

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

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "core.logs.JsonFormatter"},
    },
    "filters": {
        "redact_secrets": {"()": "core.logs.RedactSecrets"},
        "request_id": {"()": "core.request_id.RequestIdFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": env.str("DJANGO_LOG_FORMAT", default="plain"),
            "filters": ["request_id", "redact_secrets"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    # runserver's request lines carry query strings: route them through the redacting handler.
    "loggers": {"django.server": {"handlers": ["console"], "level": "INFO", "propagate": False}},
}
