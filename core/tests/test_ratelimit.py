"""core.ratelimit: atomic counters on a shared cache (Redis), windows that end, fail open."""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import redis
from django.core.cache import cache

from api.throttles import UploadThrottle
from core.checks import throttle_rates_check
from core.ratelimit import Rate, rate_parse, ratelimit_hit


def _concurrently(n: int, action) -> list:
    barrier = threading.Barrier(n)

    def run(i: int):
        barrier.wait()
        return action(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


@pytest.mark.parametrize("limit", [1, 5])
def test_of_twenty_concurrent_hits_on_redis_exactly_the_limit_pass(redis_cache, limit):
    rate = Rate(count=limit, seconds=120)
    results = _concurrently(20, lambda i: ratelimit_hit(scope="t", ident="u1", rate=rate))
    assert sum(r.allowed for r in results) == limit
    assert all(1 <= r.retry_after <= 120 for r in results if not r.allowed)


def test_of_twenty_concurrent_uploads_throttled_at_one_per_120s_exactly_one_passes(
    redis_cache, settings
):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"upload": "1/120s"},
    }
    results = _concurrently(20, lambda i: UploadThrottle("user-1").allow_request(None, None))
    assert results.count(True) == 1
    assert UploadThrottle("user-2").allow_request(None, None)  # per identity


def test_a_window_ends_however_often_a_refused_client_retries(redis_cache):
    rate = Rate(count=1, seconds=1)
    assert ratelimit_hit(scope="t", ident="u", rate=rate).allowed
    deadline = time.monotonic() + 0.9
    while time.monotonic() < deadline:  # hammering does not extend the window
        assert not ratelimit_hit(scope="t", ident="u", rate=rate).allowed
        time.sleep(0.05)
    time.sleep(0.3)
    assert ratelimit_hit(scope="t", ident="u", rate=rate).allowed


def test_a_counter_left_without_a_ttl_heals_instead_of_locking_forever(redis_cache):
    """Django's Redis incr is EXISTS then INCR: a key expiring in between is re-created by
    INCR with no TTL. Such a counter must still end."""
    rate = Rate(count=1, seconds=1)
    key = cache.make_key("ratelimit:t:" + hashlib.sha256(b"u").hexdigest()[:32])
    raw = redis.Redis.from_url(redis_cache.url)
    raw.set(key, 5)  # over the limit, no TTL, no start time
    assert not ratelimit_hit(scope="t", ident="u", rate=rate).allowed
    assert 0 < raw.ttl(key) <= 1
    time.sleep(1.2)
    assert ratelimit_hit(scope="t", ident="u", rate=rate).allowed
    raw.close()


def test_retry_after_counts_down_to_the_end_of_the_window(redis_cache):
    rate = Rate(count=1, seconds=120)
    ratelimit_hit(scope="t", ident="u", rate=rate)
    time.sleep(1.1)
    refused = ratelimit_hit(scope="t", ident="u", rate=rate)
    assert not refused.allowed and 117 <= refused.retry_after <= 119


def test_with_redis_down_every_hit_is_allowed_and_a_warning_is_logged(
    redis_cache, caplog, outage_warning_due
):
    redis_cache.stop()
    rate = Rate(count=1, seconds=120)
    with caplog.at_level(logging.WARNING, logger="core.ratelimit"):
        results = [ratelimit_hit(scope="t", ident="u", rate=rate) for _ in range(3)]
    assert all(r.allowed for r in results)
    assert "failing open" in caplog.text


@pytest.mark.parametrize(
    ("text", "rate"),
    [
        ("1/120s", Rate(1, 120)),
        ("30/2m", Rate(30, 120)),
        ("5/h", Rate(5, 3600)),
        ("50/d", Rate(50, 86400)),
    ],
)
def test_rates_parse_drfs_form_and_counts_of_seconds(text, rate):
    assert rate_parse(text) == rate


@pytest.mark.parametrize("text", ["", "1", "1/0s", "x/s", "1/120", "1/²s", "-1/s", "1/5w"])
def test_malformed_rates_are_refused(text):
    with pytest.raises(ValueError):
        rate_parse(text)


def test_a_malformed_configured_rate_fails_the_system_checks(settings):
    assert throttle_rates_check() == []
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"upload": "1 per 2 minutes"},
    }
    [error] = throttle_rates_check()
    assert error.id == "core.E001" and "upload" in error.msg
