from core.tests.conftest import (  # noqa: F401  (shared fixtures)
    outage_warning_due,
    redis_cache,
    redis_server,
)
