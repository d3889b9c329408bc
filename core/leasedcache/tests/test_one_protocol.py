"""The leased cache's one protocol: answers come from memory only under a lease, and a write
leaves nothing in Redis but its announcement on the change stream (no stamp values)."""

from __future__ import annotations

import pytest
import redis

from accounts.models import User
from core.leasedcache import (
    WILDCARD,
    Depends,
    Outcome,
    Topic,
    cache_size,
    cached,
    dependency,
    lease_holder_stop,
    tracked_models,
)
from core.leasedcache._leases import STREAM
from tests.support.services import free_port

pytestmark = pytest.mark.django_db


def test_every_answer_depends_on_the_wildcard_and_on_what_it_names():
    depends = Depends([(Topic.USER, 7), (Topic.PROJECT, 3)])
    assert depends.names == (WILDCARD, dependency(Topic.USER, 7), dependency(Topic.PROJECT, 3))
    assert dependency(Topic.TOKEN, 5) == "ks:v:t:5"


def test_without_a_lease_every_lookup_asks_the_source_and_stores_nothing(verify_cache, settings):
    lease_holder_stop()
    settings.KEYSERVICE_LEASED_CACHE_REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # closed
    computed = []

    def compute():
        computed.append(1)
        return "answer"

    answers = [
        cached(("k",), compute=compute, depends_on=lambda _: Depends([(Topic.USER, 1)]))
        for _ in range(3)
    ]
    assert answers == [("answer", Outcome.BYPASS)] * 3
    assert len(computed) == 3
    assert cache_size() == 0


def test_under_a_lease_the_first_miss_stores_and_the_next_lookup_is_a_hit(verify_cache):
    def depends_on(_):
        return Depends([(Topic.USER, 1)])

    first = cached(("k",), compute=lambda: "a", depends_on=depends_on)
    second = cached(("k",), compute=lambda: "b", depends_on=depends_on)
    assert (first, second) == (("a", Outcome.MISS), ("a", Outcome.HIT))


def test_a_tracked_write_leaves_only_its_announcements_in_redis(verify_cache, committed):
    assert User in tracked_models()
    user = User.objects.create_user("someone@example.com", "pw-someone-123")  # no id yet: quiet
    client = redis.Redis.from_url(verify_cache, decode_responses=True)
    with committed():
        user.is_active = False
        user.save(update_fields=["is_active"])
    name = dependency(Topic.USER, user.pk)
    phases = [
        fields["phase"] for _, fields in client.xrange(STREAM) if name in fields["keys"].split()
    ]
    assert phases == ["p", "c"]  # before the commit, then after it
    assert not client.exists(name)  # no stamp value: the stream is the protocol
    client.close()
