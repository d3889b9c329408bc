"""The environment every settings topic reads, and the values several topics start from.

`env` reads real environment variables first, then `.env` at the repository root when present
(KEYSERVICE_ENV_FILE names another file; "" reads none). DEBUG and REDIS_URL are settings of
their own that more than one topic derives its defaults from (sign-in, the API, security; the
broker, the leased cache, key usage), so each topic imports them from here, not from the base.
"""

import warnings
from collections.abc import Callable
from typing import Any

import environ

from devstack.env_file import env_file_path

env = environ.Env()
# Real environment variables win over the file; KEYSERVICE_ENV_FILE="" reads no file at all.
_env_file = env_file_path()
if _env_file is not None:
    env.read_env(str(_env_file), overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)

# The broker's Redis (Celery); the leased cache and key usage use it unless told otherwise.
REDIS_URL = env.str("REDIS_URL", default="")


def env_renamed(name: str, *, old: str, cast: Callable[..., Any], default: Any) -> Any:
    """The setting `name`, read from `old` when only the old name is set (a deprecated alias,
    kept for one release: a FutureWarning says so). Both set: `name` wins."""
    if name not in env and old in env:
        warnings.warn(
            f"{old} is deprecated: it is read as {name}, which replaces it (docs/configuration.md)",
            FutureWarning,
            stacklevel=2,
        )
        return cast(old, default=default)
    return cast(name, default=default)
