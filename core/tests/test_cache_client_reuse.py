"""core.cache.FailSoftRedisCache keeps one redis.Redis per connection pool (Django's backend
builds one per operation, ~170 response callbacks each time)."""

from __future__ import annotations

from typing import Any

from core.cache import FailSoftRedisCache


def test_every_operation_of_a_process_uses_the_same_redis_client_and_pool() -> None:
    backend: Any = FailSoftRedisCache("redis://127.0.0.1:1/0", {})  # _cache: not in the stubs
    client = backend._cache.get_client(write=True)  # no connection is made until a command
    assert backend._cache.get_client() is client
    assert backend._cache.get_client("another key", write=True) is client
    assert client.connection_pool is backend._cache._get_connection_pool(True)
