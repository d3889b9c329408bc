"""The verifier's leased cache under a real race: a real gunicorn with 2 workers and the cache
on, verify traffic in a loop from several threads while the key is rotated, a member removed
and a user deactivated through the services. Every verify that started after a change returned must
be refused (0 stale accepts), and nothing may answer 5xx."""

from __future__ import annotations

import http.client
import json
import threading
import time

import redis

from apikeys.service_tokens import service_token_create
from apikeys.services import apikey_issue
from audit.services import SYSTEM
from core.leasedcache import lease_holder_stop
from core.leasedcache._leases import HOLDERS
from teams.services import membership_remove
from tests.support.gunicorn import Gunicorn

THREADS = 4
PHASE_SECONDS = 0.6


def _loop(port, token, body, subject, results, stop):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    payload = json.dumps(body)
    headers = {
        "Host": "localhost",
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
    }
    while not stop.is_set():
        started = time.monotonic()
        try:
            conn.request("POST", "/internal/v1/verify", body=payload, headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            conn.close()
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
            status = -1  # a broken connection: counted, never a pass
        results.append((subject, started, time.monotonic(), status))
    conn.close()


def _wait_until_both_workers_answer(server, token, bodies, showroom):
    """gunicorn listens before its workers have loaded Django: wait until verify answers
    quickly (on both workers: concurrent requests), so the race runs on warm workers."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    body = json.dumps({**bodies["rotated"], "projectId": showroom.public_id})
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        started = time.monotonic()
        answers: list[int] = []

        def ask(answers=answers):
            answers.append(server.request("POST", "/internal/v1/verify", headers, body)[0])

        pair = [threading.Thread(target=ask) for _ in range(4)]
        for thread in pair:
            thread.start()
        for thread in pair:
            thread.join()
        if answers == [200] * 4 and time.monotonic() - started < 0.5:
            return
    raise AssertionError(f"gunicorn never answered verify quickly:\n{server.output()[-2000:]}")


def test_no_verify_that_starts_after_a_change_returned_is_accepted_on_any_worker(
    postgres, verify_cache, owner, full_member, readonly_member, showroom
):
    lease_holder_stop()  # this process only writes: the holders are the two workers
    token = service_token_create(name="race").plaintext
    keys = {u.pk: apikey_issue(user=u).plaintext for u in (owner, full_member, readonly_member)}
    bodies = {
        "rotated": {"apiKey": keys[owner.pk], "userId": owner.public_id},
        "removed": {"apiKey": keys[full_member.pk], "userId": full_member.public_id},
        "deactivated": {"apiKey": keys[readonly_member.pk], "userId": readonly_member.public_id},
    }
    results: list[tuple[str, float, float, int]] = []
    began: dict[str, float] = {}  # when each change was asked for
    returned: dict[str, float] = {}  # and when it returned
    stop = threading.Event()
    server = Gunicorn(
        GUNICORN_WORKERS="2",
        KEYSERVICE_LEASED_CACHE="true",
        KEYSERVICE_LEASED_CACHE_REDIS_URL=verify_cache,
    )
    with server:
        _wait_until_both_workers_answer(server, token, bodies, showroom)
        threads = [
            threading.Thread(
                target=_loop,
                args=(
                    server.port,
                    token,
                    {**body, "projectId": showroom.public_id},
                    name,
                    results,
                    stop,
                ),
                daemon=True,
            )
            for name, body in bodies.items()
            for _ in range(THREADS)
        ]
        for thread in threads:
            thread.start()
        time.sleep(2 * PHASE_SECONDS)  # warm: both workers hold entries
        leases = redis.Redis.from_url(verify_cache)
        assert leases.scard(HOLDERS) == 2  # both workers hold a lease: their hits ask nothing
        began["rotated"] = time.monotonic()
        apikey_issue(user=owner)
        returned["rotated"] = time.monotonic()
        time.sleep(PHASE_SECONDS)
        began["removed"] = time.monotonic()
        membership_remove(owner=owner, member=full_member, actor=SYSTEM)
        returned["removed"] = time.monotonic()
        time.sleep(PHASE_SECONDS)
        began["deactivated"] = time.monotonic()
        readonly_member.is_active = False
        readonly_member.save(update_fields=["is_active"])
        returned["deactivated"] = time.monotonic()
        time.sleep(PHASE_SECONDS)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        log = server.output()

    statuses = [r[3] for r in results]
    assert not [s for s in statuses if s >= 500 or s < 0], log[-3000:]
    stale = [r for r in results if r[1] > returned[r[0]] and r[3] == 200]
    after = [r for r in results if r[1] > returned[r[0]]]
    before = [r for r in results if r[2] < began[r[0]]]
    assert stale == []
    assert len(after) >= 3 * 10 and len(before) >= 3 * 10  # the race really ran
    assert {r[3] for r in before} == {200}
    assert {r[3] for r in after if r[0] == "removed"} == {403}
    assert {r[3] for r in after if r[0] != "removed"} == {401}
    print(f"verify race: {len(results)} verifies, {len(after)} after a change, 0 stale, 0 5xx")
