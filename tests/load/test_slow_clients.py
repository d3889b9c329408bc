"""A client's pace never holds an application worker (issue 22, item 1), through the real
gunicorn (gunicorn.conf.py) and through the real Caddy with deploy/Caddyfile in front of it.

200 slow connections, the way an attacker holds a server: half send an unfinished header block
a byte at a time, half declare a large body and send it a byte at a time, to
`POST /internal/v1/verify` and `/pixelStripeApi/keys/revoke`, reopened whenever they are
dropped. Meanwhile a client verifies a key on a new connection each time, and asks /healthz:
every answer must come within a second. With gunicorn's sync worker (GUNICORN_WORKER_CLASS=sync)
both tests fail: each slow connection holds a whole worker process."""

from __future__ import annotations

import http.client
import json
import threading
import time

import psycopg
import pytest
from django.db import connection

from apikeys.service_tokens import service_token_create
from apikeys.services import apikey_issue
from tests.support.caddy import Caddy, caddy_binary
from tests.support.gunicorn import Gunicorn
from tests.support.services import database_url, require
from tests.support.slowclients import SlowClients, wait_connected

pytestmark = [pytest.mark.services, pytest.mark.django_db(transaction=True)]

SLOW_PATHS = ["/internal/v1/verify", "/pixelStripeApi/keys/revoke"]
SECONDS = 6  # of verifying under attack (the slow header blocks are cut and reopened in it)
DEADLINE = 1.0  # every answer within this


@pytest.fixture
def verify_request(postgres, owner, showroom) -> tuple[dict[str, str], str]:
    token = service_token_create(name="edge").plaintext
    body = {
        "apiKey": apikey_issue(user=owner).plaintext,
        "userId": owner.public_id,
        "projectId": showroom.public_id,
    }
    headers = {
        "Host": "localhost",
        "Content-Type": "application/json",
        "Authorization": f"Bearer {token}",
    }
    return headers, json.dumps(body)


def _ask(
    port: int,
    method: str,
    path: str,
    headers: dict[str, str],
    body: str | None,
    timeout: float = DEADLINE + 1,
):
    """(status or the error's name, seconds) of one request on a new connection."""
    started = time.monotonic()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        outcome: int | str = response.status
    except (OSError, http.client.HTTPException) as exc:
        outcome = type(exc).__name__
    finally:
        conn.close()
    return outcome, time.monotonic() - started


def _verify_under_attack(port: int, verify_request, seconds: float = SECONDS) -> dict:
    headers, body = verify_request
    answers, health = [], []
    with SlowClients(port, SLOW_PATHS, headers=100, bodies=100) as attack:
        opened = wait_connected(attack, 200)
        time.sleep(0.5)  # the server has them (accepted, or queued behind the workers)
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            answers.append(_ask(port, "POST", "/internal/v1/verify", headers, body))
            if len(answers) % 10 == 1:
                health.append(_ask(port, "GET", "/healthz", {"Host": "localhost"}, None))
        still_open = attack.connected()
    return {"opened": opened, "still_open": still_open, "answers": answers, "health": health}


def _assert_every_answer_in_time(run: dict) -> None:
    assert run["opened"] == 200  # the attack was real: 200 slow connections at once
    late = [(status, round(took, 2)) for status, took in run["answers"] if took >= DEADLINE]
    failed = [status for status, _ in run["answers"] if status != 200]
    assert (late, failed) == ([], [])
    assert len(run["answers"]) >= SECONDS * 2  # a verify at least every half second
    assert [status for status, took in run["health"] if took < DEADLINE] == [200] * len(
        run["health"]
    )


def _warm(port: int, verify_request) -> None:
    """Wait until both workers have loaded Django and answer verify."""
    headers, body = verify_request
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        results: list[tuple[int | str, float]] = []

        def ask(results: list = results) -> None:
            results.append(_ask(port, "POST", "/internal/v1/verify", headers, body))

        threads = [threading.Thread(target=ask) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if all(status == 200 and took < 0.5 for status, took in results):
            return
    raise AssertionError("gunicorn never answered verify quickly")


def test_200_slow_clients_hold_no_gunicorn_worker_and_every_verify_answers_within_a_second(
    verify_request,
):
    with Gunicorn(GUNICORN_WORKERS="2") as server:
        _warm(server.port, verify_request)
        run = _verify_under_attack(server.port, verify_request)
    _assert_every_answer_in_time(run)
    assert run["still_open"] >= 100  # slow bodies are still connected at the end


def test_behind_the_caddyfile_200_slow_clients_hold_no_worker_and_every_verify_answers_in_time(
    verify_request,
):
    binary = caddy_binary()
    require(binary is not None, "needs caddy (Debian's; bin/check-compose --install fetches it)")
    assert binary is not None
    with Gunicorn(GUNICORN_WORKERS="2") as server, Caddy(binary, server.port) as proxy:
        _warm(proxy.port, verify_request)
        run = _verify_under_attack(proxy.port, verify_request)
    _assert_every_answer_in_time(run)


def _keep_alive_verifies(port: int, verify_request, count: int) -> list[int | str]:
    """`count` verifies on one kept-alive connection."""
    headers, body = verify_request
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    outcomes: list[int | str] = []
    try:
        for _ in range(count):
            conn.request("POST", "/internal/v1/verify", body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            outcomes.append(response.status)
    except (OSError, http.client.HTTPException) as exc:
        outcomes.append(type(exc).__name__)
    finally:
        conn.close()
    return outcomes


def test_concurrent_clients_of_a_gevent_worker_share_its_pool_of_database_connections(
    verify_request,
):
    """A greenlet per connection must not mean a PostgreSQL connection per connection: 120
    clients on kept-alive connections, verifying with the cache off (each verify makes a query)
    under the production settings (persistent connections), use at most each worker's pool
    (KEYSERVICE_DB_POOL_SIZE, 4 by default), and every verify is answered."""
    name = connection.settings_dict["NAME"]
    with Gunicorn(
        GUNICORN_WORKERS="2",
        DJANGO_SETTINGS_MODULE="keyservice.settings",
        KEYSERVICE_LEASED_CACHE="false",
    ) as server:
        _warm(server.port, verify_request)
        outcomes: list[int | str] = []
        peak = [0]
        done = threading.Event()

        def count_connections() -> None:
            with psycopg.connect(database_url(connection.settings_dict), autocommit=True) as db:
                while not done.is_set():
                    row = db.execute(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE datname = %s AND pid <> pg_backend_pid()",
                        [name],
                    ).fetchone()
                    peak[0] = max(peak[0], row[0] if row else 0)
                    time.sleep(0.02)

        counter = threading.Thread(target=count_connections)
        counter.start()
        clients = [
            threading.Thread(
                target=lambda: outcomes.extend(_keep_alive_verifies(server.port, verify_request, 5))
            )
            for _ in range(120)
        ]
        for client in clients:
            client.start()
        for client in clients:
            client.join()
        done.set()
        counter.join()
    assert outcomes == [200] * 600
    assert 0 < peak[0] <= 2 * 4 + 1  # two pools of 4, and this test process's connection
