from core.tests.conftest import (  # noqa: F401  (shared fixtures)
    redis_cache,
    redis_server,
)
