import pytest

from core import ratelimit
from tests.support.services import RedisServer


@pytest.fixture
def redis_server():
    """A throwaway redis-server of this test's own (the cache may be flushed or stopped)."""
    server = RedisServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def redis_cache(settings, redis_server):
    """The default cache on that Redis, as production configures it (CACHE_URL=redis://)."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis_server.url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    return redis_server


@pytest.fixture
def outage_warning_due(monkeypatch):
    """The fail-open warning is logged at most once a minute per process: due now."""
    ratelimit._unavailable.due_now()
