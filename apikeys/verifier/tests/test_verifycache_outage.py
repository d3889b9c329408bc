"""The verifier's cache when Redis is unreachable, restarted or slow to confirm a write, and its
bounds (size, age, valid_until)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from apikeys.models import ApiKey
from apikeys.revocation import apikey_revoke
from apikeys.services import apikey_issue
from apikeys.verifier.tests.verifycache_support import verify, warm
from core.errors import ApplicationError
from core.leasedcache import (
    CacheRefusal,
    Depends,
    Outcome,
    Topic,
    announce_pending,
    cache_size,
    cached,
    dependency,
    lease_holder,
    lease_holder_stop,
    outcomes,
)
from lifecycle.events import KeyRevokeReason
from tests.support.services import free_port

pytestmark = pytest.mark.django_db


def test_an_unreachable_redis_is_bypassed_and_refuses_writes(
    client, owner, showroom, token, verify_cache, committed, settings, django_assert_num_queries
):
    with committed():
        key = apikey_issue(user=owner).plaintext
    warm(client, token, key, owner, showroom)
    settings.KEYSERVICE_LEASED_CACHE_REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # closed
    outcomes.clear()
    for _ in range(2):
        with django_assert_num_queries(1):
            assert verify(client, token, key, owner, showroom).status_code == 200
    assert outcomes == {Outcome.BYPASS: 2}
    api_key = ApiKey.objects.get(user=owner, revoked_at=None)
    with pytest.raises(ApplicationError) as refused:
        apikey_revoke(api_key=api_key, reason=KeyRevokeReason.REVOKED_BY_OPERATOR)
    assert refused.value.reason is CacheRefusal.UNAVAILABLE
    api_key.refresh_from_db()
    assert api_key.revoked_at is None  # nothing half-written


def test_entries_from_before_a_redis_restart_are_not_trusted_after_it(
    client, owner, showroom, token, verify_cache, committed, settings, redis_server
):
    settings.KEYSERVICE_LEASED_CACHE_REDIS_URL = redis_server.url
    with committed():
        key = apikey_issue(user=owner).plaintext
    assert lease_holder().await_lease(10)  # this process's holder, now on that Redis
    warm(client, token, key, owner, showroom)
    redis_server.stop()
    assert verify(client, token, key, owner, showroom).status_code == 200  # bypassed
    with pytest.raises(ApplicationError), committed():
        apikey_issue(user=owner)  # refused: nothing could announce it
    redis_server.start()  # empty: no marker, no holders, no stream
    assert lease_holder().await_lease(10)  # holding again, in a new epoch
    outcomes.clear()
    assert verify(client, token, key, owner, showroom).status_code == 200
    assert outcomes == {Outcome.MISS: 1}  # the entry from before is not served
    assert verify(client, token, key, owner, showroom).status_code == 200
    assert outcomes[Outcome.HIT] == 1  # resumed (the miss stored in the new epoch)


def test_nothing_is_stored_under_a_change_announced_and_not_yet_committed(
    client, owner, showroom, token, verify_cache, committed
):
    with committed():
        key = apikey_issue(user=owner).plaintext
    announce_pending([dependency(Topic.USER, owner.pk)])  # a write in flight
    for _ in range(4):
        assert verify(client, token, key, owner, showroom).status_code == 200
    assert outcomes == {Outcome.MISS: 4}


def test_a_change_announced_whose_commit_never_came_stops_blocking_stores_after_a_while(
    client, owner, showroom, token, verify_cache, committed, settings
):
    settings.KEYSERVICE_LEASED_CACHE_PENDING_SECONDS = 1
    lease_holder_stop()  # a holder reads the setting when it starts
    assert lease_holder().await_lease(10)
    with committed():
        key = apikey_issue(user=owner).plaintext
    announced = time.monotonic()
    announce_pending([dependency(Topic.USER, owner.pk)])
    warm_calls = 0
    while outcomes[Outcome.HIT] == 0 and warm_calls < 40:
        assert verify(client, token, key, owner, showroom).status_code == 200
        warm_calls += 1
        time.sleep(0.1)
    assert outcomes[Outcome.HIT] == 1
    assert time.monotonic() - announced >= 1  # not before the mark expired


def test_refused_credentials_are_never_cached(client, owner, showroom, token, verify_cache):
    for _ in range(3):
        response = verify(client, token, "spx_" + "0" * 40, owner, showroom)
        assert response.status_code == 401
    assert cache_size() == 0


def test_the_cache_holds_at_most_its_size(
    client, owner, showroom, configurator, token, verify_cache, committed, settings
):
    settings.KEYSERVICE_LEASED_CACHE_SIZE = 1
    with committed():
        key = apikey_issue(user=owner).plaintext
    for project in (showroom, configurator, showroom):
        assert verify(client, token, key, owner, project).status_code == 200
    assert cache_size() == 1
    assert outcomes[Outcome.HIT] == 0  # each evicted the other


def test_an_entry_older_than_the_ttl_is_not_served(
    client, owner, showroom, token, verify_cache, committed, settings
):
    settings.KEYSERVICE_LEASED_CACHE_MAX_AGE_SECONDS = 0
    with committed():
        key = apikey_issue(user=owner).plaintext
    for _ in range(4):
        assert verify(client, token, key, owner, showroom).status_code == 200
    assert outcomes == {Outcome.MISS: 4}


def test_an_entry_past_its_valid_until_is_not_served(verify_cache):
    def outcomes_until(valid_until):
        def depends_on(answer):
            return Depends([(Topic.USER, 1)], valid_until=valid_until)

        key = ("k", valid_until)
        return [cached(key, compute=lambda: "a", depends_on=depends_on)[1] for _ in "abc"]

    miss, hit = Outcome.MISS, Outcome.HIT
    assert outcomes_until(timezone.now() + timedelta(hours=1)) == [miss, hit, hit]
    assert outcomes_until(timezone.now() - timedelta(seconds=1)) == [miss, miss, miss]
