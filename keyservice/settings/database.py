"""The database: PostgreSQL only, its connections and, under gevent, their pool.

With DJANGO_DEBUG off DATABASE_URL is required; unset in development, it names this
checkout's private PostgreSQL (devstack/). KEYSERVICE_DB_POOL_SIZE turns on psycopg's pool for
gunicorn's gevent workers (gunicorn.conf.py sets it); otherwise each thread keeps one
persistent connection for DJANGO_CONN_MAX_AGE seconds.
"""

from django.core.exceptions import ImproperlyConfigured

from devstack.locations import default_database_url
from keyservice.settings.env import DEBUG, env

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
# The hot readers' fixed queries (the credential lookup, the public read's extras) run as
# prepared statements, planned once per connection (core/onerow.py); everything else is sent
# as Django sends it. Off behind a pooler in transaction mode that cannot keep prepared
# statements (PgBouncer before 1.21, or without max_prepared_statements).
KEYSERVICE_DB_PREPARED = env.bool("KEYSERVICE_DB_PREPARED", default=True)
DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
    5 if KEYSERVICE_DB_PREPARED else None  # psycopg's default; None: never prepare
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
