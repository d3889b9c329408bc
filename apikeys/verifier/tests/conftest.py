from apikeys.tests.conftest import (  # noqa: F401  (shared fixtures)
    committed,
    redis_cache,
    redis_server,
    token,
)
