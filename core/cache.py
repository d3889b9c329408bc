"""A Redis cache that degrades instead of failing.

Nothing a request needs to be correct lives in the cache: rate-limit counters (the API's, in
core.ratelimit, and sign-in's, in allauth) and copies of remote data (Google's signing certs).
So when Redis is unreachable or times out, reads miss and writes are dropped, with a warning
(at most once a minute per process), and the dashboard, sign-in and the APIs keep answering.
`add` answers True as if it had stored the value: the cache's users take `add` as "first hit"
or "lock taken" (core.ratelimit, allauth's rate-limit lock), so a limit fails open instead of
refusing everyone. `incr` still raises: core.ratelimit decides on its own (it fails open).
keyservice/settings/__init__.py uses this backend whenever CACHE_URL is a Redis URL.

Django's Redis client builds a new `redis.Redis` object for every operation
(`RedisCacheClient.get_client`), whose constructor fills a dict of ~170 response callbacks:
CPU on every rate-limit check. This backend keeps one client per connection pool instead
(redis.Redis is thread-safe; the pool holds the connections and resets itself in a forked
child), so an operation costs its round trip only (docs/performance.md).
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import RedisError

from core.quietlog import QuietWarning

logger = logging.getLogger(__name__)

UNAVAILABLE = (RedisError, OSError)


_quiet = QuietWarning(logger)


def _unavailable(operation: str, exc: BaseException) -> None:
    _quiet.warn(
        "cache unavailable (%s on %s): reads miss and writes are dropped",
        type(exc).__name__,
        operation,
    )


class ReusingRedisCacheClient(RedisCacheClient):
    """Django's client, with one `redis.Redis` per connection pool instead of one per call."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[int, Any] = {}

    def get_client(self, key: Any = None, *, write: bool = False) -> Any:
        django: Any = self  # RedisCacheClient's private attributes are missing from the stubs
        index = django._get_connection_pool_index(write)
        client = self._clients.get(index)
        if client is None:  # the pool as Django's _get_connection_pool makes it, for `index`
            if index not in django._pools:
                django._pools[index] = django._pool_class.from_url(
                    django._servers[index], **django._pool_options
                )
            client = django._client(connection_pool=django._pools[index])
            self._clients[index] = client
        return client


class FailSoftRedisCache(RedisCache):
    def __init__(self, server: Any, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = ReusingRedisCacheClient

    def add(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> bool:
        try:
            return super().add(key, value, timeout, version)
        except UNAVAILABLE as exc:
            _unavailable("add", exc)
            return True  # fail open: nothing is counted, no lock excludes anyone

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        try:
            return super().get(key, default, version)
        except UNAVAILABLE as exc:
            _unavailable("get", exc)
            return default

    def set(
        self, key: Any, value: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> None:
        try:
            super().set(key, value, timeout, version)
        except UNAVAILABLE as exc:
            _unavailable("set", exc)

    def touch(self, key: Any, timeout: Any = DEFAULT_TIMEOUT, version: int | None = None) -> bool:
        try:
            return super().touch(key, timeout, version)
        except UNAVAILABLE as exc:
            _unavailable("touch", exc)
            return False

    def delete(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().delete(key, version)
        except UNAVAILABLE as exc:
            _unavailable("delete", exc)
            return False

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        try:
            return super().get_many(keys, version)
        except UNAVAILABLE as exc:
            _unavailable("get_many", exc)
            return {}

    def has_key(self, key: Any, version: int | None = None) -> bool:
        try:
            return super().has_key(key, version)
        except UNAVAILABLE as exc:
            _unavailable("has_key", exc)
            return False

    def set_many(
        self, data: dict[Any, Any], timeout: Any = DEFAULT_TIMEOUT, version: int | None = None
    ) -> list[Any]:
        try:
            return super().set_many(data, timeout, version)
        except UNAVAILABLE as exc:
            _unavailable("set_many", exc)
            return list(data)

    def delete_many(self, keys: Any, version: int | None = None) -> None:
        try:
            super().delete_many(keys, version)
        except UNAVAILABLE as exc:
            _unavailable("delete_many", exc)
