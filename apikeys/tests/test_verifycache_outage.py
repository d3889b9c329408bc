"""The verify cache when Redis is unreachable, restarted or slow to confirm a write, and its
bounds (size, TTL, valid_until)."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import redis
from django.utils import timezone

from apikeys.models import ApiKey
from apikeys.revocation import apikey_revoke
from apikeys.services import apikey_issue
from apikeys.tests.verifycache_support import verify, warm
from apikeys.verifycache import Outcome, Stamps, outcomes, verify_cache_get, verify_cache_size
from core.errors import ApplicationError
from core.stamps import StampKind, StampRefusal, stamp_key, stamps_bump_pending
from lifecycle.events import KeyRevokeReason
from tests.support.services import free_port

pytestmark = pytest.mark.django_db


def test_an_unreachable_redis_is_bypassed_and_refuses_writes(
    client, owner, showroom, token, verify_cache, committed, settings, django_assert_num_queries
):
    with committed():
        key = apikey_issue(user=owner).plaintext
    warm(client, token, key, owner, showroom)
    settings.KEYSERVICE_VERIFY_CACHE_REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # closed
    outcomes.clear()
    for _ in range(2):
        with django_assert_num_queries(1):
            assert verify(client, token, key, owner, showroom).status_code == 200
    assert outcomes == {Outcome.BYPASS: 2}
    api_key = ApiKey.objects.get(user=owner, revoked_at=None)
    with pytest.raises(ApplicationError) as refused:
        apikey_revoke(api_key=api_key, reason=KeyRevokeReason.REVOKED_BY_OPERATOR)
    assert refused.value.reason is StampRefusal.UNAVAILABLE
    api_key.refresh_from_db()
    assert api_key.revoked_at is None  # nothing half-written


def test_entries_from_before_a_redis_restart_are_not_trusted_after_it(
    client, owner, showroom, token, verify_cache, committed, settings, redis_server
):
    from core.stamps import stamps_reset

    settings.KEYSERVICE_VERIFY_CACHE_REDIS_URL = redis_server.url
    with committed():
        key = apikey_issue(user=owner).plaintext
    warm(client, token, key, owner, showroom)
    redis_server.stop()
    assert verify(client, token, key, owner, showroom).status_code == 200  # bypassed
    with pytest.raises(ApplicationError), committed():
        apikey_issue(user=owner)  # refused: no stamp could announce it
    redis_server.start()  # empty: every stamp is missing
    stamps_reset()
    outcomes.clear()
    assert verify(client, token, key, owner, showroom).status_code == 200
    assert outcomes == {Outcome.MISS: 1}  # the entry from before is not served
    assert verify(client, token, key, owner, showroom).status_code == 200
    assert outcomes[Outcome.HIT] == 1  # resumed (the miss read fresh stamps first)


def test_nothing_is_stored_under_a_pending_stamp(
    client, owner, showroom, token, verify_cache, committed
):
    with committed():
        key = apikey_issue(user=owner).plaintext
    stamps_bump_pending([stamp_key(StampKind.USER, owner.pk)])  # a write in flight
    for _ in range(4):
        assert verify(client, token, key, owner, showroom).status_code == 200
    assert outcomes == {Outcome.MISS: 4}


def test_a_pending_stamp_whose_bump_never_came_expires_into_a_miss(
    client, owner, showroom, token, verify_cache, committed, settings
):
    settings.KEYSERVICE_VERIFY_CACHE_PENDING_TTL = 1
    with committed():
        key = apikey_issue(user=owner).plaintext
    stamps_bump_pending([stamp_key(StampKind.USER, owner.pk)])
    pending = redis.Redis.from_url(verify_cache).ttl(stamp_key(StampKind.USER, owner.pk))
    assert 0 < pending <= 1
    warm_calls = 0
    while outcomes[Outcome.HIT] == 0 and warm_calls < 40:
        assert verify(client, token, key, owner, showroom).status_code == 200
        warm_calls += 1
        time.sleep(0.1)
    assert outcomes[Outcome.HIT] == 1


def test_refused_credentials_are_never_cached(client, owner, showroom, token, verify_cache):
    for _ in range(3):
        response = verify(client, token, "spx_" + "0" * 40, owner, showroom)
        assert response.status_code == 401
    assert verify_cache_size() == 0


def test_the_cache_holds_at_most_its_size(
    client, owner, showroom, configurator, token, verify_cache, committed, settings
):
    settings.KEYSERVICE_VERIFY_CACHE_SIZE = 1
    with committed():
        key = apikey_issue(user=owner).plaintext
    for project in (showroom, configurator, showroom):
        assert verify(client, token, key, owner, project).status_code == 200
    assert verify_cache_size() == 1
    assert outcomes[Outcome.HIT] == 0  # each evicted the other


def test_an_entry_older_than_the_ttl_is_not_served(
    client, owner, showroom, token, verify_cache, committed, settings
):
    settings.KEYSERVICE_VERIFY_CACHE_TTL = 0
    with committed():
        key = apikey_issue(user=owner).plaintext
    for _ in range(4):
        assert verify(client, token, key, owner, showroom).status_code == 200
    assert outcomes == {Outcome.MISS: 4}


def test_an_entry_past_its_valid_until_is_not_served(verify_cache):
    def outcomes_until(valid_until):
        def stamps_of(answer):
            return Stamps(keys=(stamp_key(StampKind.USER, 1),), valid_until=valid_until)

        key = ("k", valid_until)
        return [verify_cache_get(key, compute=lambda: "a", stamps_of=stamps_of)[1] for _ in "abc"]

    miss, hit = Outcome.MISS, Outcome.HIT
    assert outcomes_until(timezone.now() + timedelta(hours=1)) == [miss, miss, hit]
    assert outcomes_until(timezone.now() - timedelta(seconds=1)) == [miss, miss, miss]
