"""The verifier's cache under a lease (core.leasedcache): a warm hit asks neither PostgreSQL nor
Redis, and a write still returns only once every lease holder has dropped what it changes."""

from __future__ import annotations

import threading
import time

import pytest
import redis
from django.db import connection
from django.test.utils import CaptureQueriesContext

from apikeys.services import apikey_issue
from apikeys.verifier.tests.verifycache_support import raced_lookup, verify
from core.leasedcache import (
    WILDCARD,
    LeaseHolder,
    Outcome,
    Topic,
    announce_committed,
    cached,
    dependency,
    outcomes,
)
from core.leasedcache._leases import HOLDERS
from tests.support.services import free_port

pytestmark = pytest.mark.django_db


class RedisCommands:
    """Counts the Redis commands this thread sends (the lease thread's are its own)."""

    def __init__(self, monkeypatch):
        self.sent: list[str] = []
        me = threading.get_ident()
        plain, piped = redis.Redis.execute_command, redis.client.Pipeline.execute

        def command(client, *args, **kwargs):
            if threading.get_ident() == me:
                self.sent.append(str(args[0]))
            return plain(client, *args, **kwargs)

        def pipeline(pipe, *args, **kwargs):
            if threading.get_ident() == me:
                self.sent.append("PIPELINE")
            return piped(pipe, *args, **kwargs)

        monkeypatch.setattr(redis.Redis, "execute_command", command)
        monkeypatch.setattr(redis.client.Pipeline, "execute", pipeline)


def test_under_a_lease_the_first_miss_stores_and_a_hit_asks_neither_postgres_nor_redis(
    client, full_member, showroom, token, verify_leases, committed, monkeypatch
):
    with committed():
        key = apikey_issue(user=full_member).plaintext
    outcomes.clear()
    counted = RedisCommands(monkeypatch)
    seen = []
    for expected_queries in (1, 0, 0):
        counted.sent.clear()
        with CaptureQueriesContext(connection) as queries:
            response = verify(client, token, key, full_member, showroom, "write")
        assert response.status_code == 200
        assert len(queries) == expected_queries
        seen += [q["sql"] for q in queries]
    assert all(sql.lstrip().upper().startswith("SELECT") for sql in seen)  # no writes
    assert counted.sent == []  # the last request: no Redis command either
    assert outcomes == {Outcome.MISS: 1, Outcome.HIT: 2}


def test_a_change_applied_while_an_answer_is_computed_keeps_that_answer_out_of_the_cache(
    owner, full_member, showroom, verify_leases, committed
):
    with committed():
        key = apikey_issue(user=full_member).plaintext
    lookup, lookup_then_remove, depends_on = raced_lookup(owner, full_member, showroom, committed)
    stale, outcome = cached(("raced", key), compute=lookup_then_remove, depends_on=depends_on)
    assert (stale.access, outcome) == ("FULL", Outcome.MISS)  # computed before the removal
    fresh, outcome = cached(("raced", key), compute=lookup, depends_on=depends_on)
    assert (fresh.access, outcome) == ("NONE", Outcome.MISS)


class Holder:
    """A second process's lease holder, in this process: it records the changes it applies,
    and can be made to hang while applying one (a process stuck in a long GC pause, say)."""

    def __init__(self, url: str, lease_seconds: float = 1.0):
        self.applied: list[frozenset[str] | None] = []
        self.hang = threading.Event()
        self.resume = threading.Event()
        self.lease = LeaseHolder(
            url=url,
            lease_seconds=lease_seconds,
            pending_seconds=300,
            wildcard=WILDCARD,
            on_invalidate=self._invalidate,
        )
        assert self.lease.await_lease(10)

    def _invalidate(self, names):
        if self.hang.is_set():
            self.resume.wait(10)
        self.applied.append(names)


def test_a_write_returns_only_after_every_other_holder_applied_it(owner, verify_leases, committed):
    other = Holder(verify_leases.url)
    try:
        name = dependency(Topic.USER, owner.pk)
        announce_committed([name])
        assert frozenset([name]) in other.applied  # before the announcement returned
    finally:
        other.lease.stop()


def test_a_holder_that_hangs_delays_a_write_until_its_lease_ran_out_and_serves_nothing_after(
    owner, verify_leases
):
    other = Holder(verify_leases.url)
    try:
        other.hang.set()
        started = time.monotonic()
        announce_committed([dependency(Topic.USER, owner.pk)])
        waited = time.monotonic() - started
        assert other.lease.epoch_if_leased() is None  # it may no longer answer from memory
        assert 0.3 < waited < 3.5  # until its lease (1 s) expired in Redis, not forever
        other.resume.set()
        assert other.lease.await_lease(5)  # it comes back, in a new epoch
    finally:
        other.resume.set()
        other.lease.stop()


def test_a_lapsed_lease_starts_a_new_epoch_whose_hits_exclude_older_entries(
    client, owner, showroom, token, verify_leases, committed
):
    with committed():
        key = apikey_issue(user=owner).plaintext
    assert verify(client, token, key, owner, showroom).status_code == 200
    before = verify_leases.epoch_if_leased()
    verify_leases._lapse()  # as if the thread had missed its renewals
    deadline = time.monotonic() + 5
    while verify_leases.epoch_if_leased() in (None, before):
        assert time.monotonic() < deadline
        time.sleep(0.005)
    outcomes.clear()
    assert verify(client, token, key, owner, showroom).status_code == 200
    assert outcomes == {Outcome.MISS: 1}


def test_a_redis_that_lost_its_holders_makes_the_next_writer_wait_a_whole_lease(
    owner, verify_leases, redis_url
):
    server = redis.Redis.from_url(redis_url)
    for name in server.scan_iter(match="ks:v:*"):  # restarted empty: no marker, holders, stream
        server.delete(name)
    started = time.monotonic()
    announce_committed([dependency(Topic.USER, owner.pk)])
    assert time.monotonic() - started >= 1.0  # the holders it could not see have expired
    deadline = time.monotonic() + 5
    while not server.sismember(HOLDERS, verify_leases.id):  # the holder came back
        assert time.monotonic() < deadline
        time.sleep(0.01)


def test_with_the_cache_redis_unreachable_a_leased_process_answers_from_postgres(
    client, owner, showroom, token, verify_leases, committed, settings
):
    with committed():
        key = apikey_issue(user=owner).plaintext
    assert verify(client, token, key, owner, showroom).status_code == 200
    settings.KEYSERVICE_LEASED_CACHE_REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # closed
    outcomes.clear()
    for _ in range(2):
        assert verify(client, token, key, owner, showroom).status_code == 200
    assert outcomes == {Outcome.BYPASS: 2}
