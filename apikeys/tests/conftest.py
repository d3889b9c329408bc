from core.tests.conftest import redis_server  # noqa: F401  (shared fixture)
