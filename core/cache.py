"""A Redis cache that degrades instead of failing.

Nothing a request needs to be correct lives in the cache: rate-limit counters (the API's, in
core.ratelimit, and sign-in's, in allauth) and copies of remote data (Google's signing certs).
So when Redis is unreachable or times out, reads miss and writes are dropped, with a warning
(at most once a minute per process), and the dashboard, sign-in and the APIs keep answering.
`add` answers True as if it had stored the value: the cache's users take `add` as "first hit"
or "lock taken" (core.ratelimit, allauth's rate-limit lock), so a limit fails open instead of
refusing everyone. `incr` still raises: core.ratelimit decides on its own (it fails open).
keyservice/settings/__init__.py uses this backend whenever CACHE_URL is a Redis URL.
"""

from __future__ import annotations

import logging
from typing import Any

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
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


class FailSoftRedisCache(RedisCache):
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
