"""The development stack: this checkout's private PostgreSQL 16 and Redis, and `make run`.

Development and tests only; production points DATABASE_URL and REDIS_URL at real servers.

    stack_attach(environ)        use the private servers for whatever of DATABASE_URL and
                                 REDIS_URL the environment leaves unset, until exit (pytest)
    stack_attach_in_development()    the same for manage.py, with DJANGO_DEBUG on
    stack_use(env) / stack_leave()   the same, by hand
    default_database_url()       the private PostgreSQL's URL (the settings' default)
    PrivatePostgres, PrivateRedis    one server in a folder of its own (tests start their own)
    python -m devstack up|down|status|env|run    the command line (`make help`)
"""

from devstack.errors import DevstackError
from devstack.locations import default_database_url
from devstack.postgres import PrivatePostgres
from devstack.redis import PrivateRedis
from devstack.stack import stack_attach, stack_leave, stack_use

__all__ = [
    "DevstackError",
    "PrivatePostgres",
    "PrivateRedis",
    "default_database_url",
    "stack_attach",
    "stack_leave",
    "stack_use",
]
