"""The leased cache's settings (keyservice/settings/cache.py), read at each use: tests and
`override_settings` change them while a process runs."""

from __future__ import annotations

from django.conf import settings


def redis_url() -> str:
    """The Redis of the change stream and the leases; "" turns the whole mechanism off."""
    return str(getattr(settings, "KEYSERVICE_LEASED_CACHE_REDIS_URL", "") or "")


def announcing() -> bool:
    """Do writers announce (a Redis configured)? Every process that writes must agree."""
    return bool(redis_url())


def enabled() -> bool:
    """May this process serve answers from memory (the cache on and a Redis to lease from)?"""
    return bool(getattr(settings, "KEYSERVICE_LEASED_CACHE", False)) and announcing()


def size() -> int:
    return max(1, int(settings.KEYSERVICE_LEASED_CACHE_SIZE))


def max_age_seconds() -> float:
    return float(settings.KEYSERVICE_LEASED_CACHE_MAX_AGE_SECONDS)


def redis_timeout_seconds() -> float:
    return float(settings.KEYSERVICE_LEASED_CACHE_REDIS_TIMEOUT_SECONDS)


def pending_seconds() -> float:
    return float(settings.KEYSERVICE_LEASED_CACHE_PENDING_SECONDS)


def lease_seconds() -> float:
    """How long a lease lasts; every process must agree on it."""
    return float(settings.KEYSERVICE_LEASED_CACHE_LEASE_SECONDS)
