# ruff: noqa: S603  (subprocesses are this repository's own tools, argument lists)
"""Request API Key and its email, over HTTP like a signed-in user.

The page's latency with a signed-in session (the email only enqueued, no worker), then the
time until each email arrives at a real SMTP server (aiosmtpd) through a real Celery worker.
"""

from __future__ import annotations

import os
import re
import signal
import statistics
import subprocess
import threading
import time

from bench.config import (
    CELERY_QUEUE,
    EMAILS,
    KEY_REQUESTS,
    LEASES_REDIS_URL,
    OUT,
    ROOT,
    SMTP_PORT,
    VENV_BIN,
)
from bench.database import purge_queue
from bench.processes import Gunicorn

KEY_IN_PAGE = re.compile(r'<code id="api-key">(spx_[0-9A-Za-z]+)</code>')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
NONCE = re.compile(r'name="nonce" value="([^"]+)"')


class Dashboard:
    """A signed-in browser, over HTTP: the session cookie is the one Django's login writes."""

    def __init__(self, server: Gunicorn, email: str) -> None:
        from importlib import import_module

        import requests
        from django.conf import settings
        from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

        from accounts.models import User
        from accounts.services import user_vouched_address_record

        user = User.objects.create_user(email, None, name="Bench dashboard user")
        user_vouched_address_record(user=user)  # only verified accounts have sessions
        store = import_module(settings.SESSION_ENGINE).SessionStore()
        store[SESSION_KEY] = str(user.pk)
        store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        store[HASH_SESSION_KEY] = user.get_session_auth_hash()
        store.create()
        self.cookies = {settings.SESSION_COOKIE_NAME: store.session_key}
        self.server = server
        self.session = requests.Session()
        origin = f"https://127.0.0.1:{server.port}"
        self.headers = {"X-Forwarded-Proto": "https", "Origin": origin}
        self.referer = origin + "/keys/request/"
        self.email = email

    def _send(self, method: str, path: str, **kw):
        cookie = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        r = self.session.request(
            method,
            self.server.url + path,
            headers={**self.headers, "Cookie": cookie, "Referer": self.referer},
            allow_redirects=False,
            timeout=30,
            **kw,
        )
        self.cookies.update(r.cookies.get_dict())
        return r

    def request_key(self) -> tuple[str, float, float]:
        """GET the confirmation page, POST it; returns the key and both durations (s)."""
        t0 = time.perf_counter()
        page = self._send("GET", "/keys/request/")
        t1 = time.perf_counter()
        assert page.status_code == 200, (page.status_code, page.text[:300])
        form = {
            "csrfmiddlewaretoken": CSRF.search(page.text)[1],
            "nonce": NONCE.search(page.text)[1],
        }
        t2 = time.perf_counter()
        issued = self._send("POST", "/keys/request/", data=form)
        t3 = time.perf_counter()
        assert issued.status_code == 200, (issued.status_code, issued.text[:300])
        assert issued.headers.get("Cache-Control", "").find("no-store") >= 0
        return KEY_IN_PAGE.search(issued.text)[1], t1 - t0, t3 - t2


def percentile(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q / 100 * (len(values) - 1)))]


def _key_requests(server: Gunicorn, email: str) -> tuple[list[float], list[float]]:
    """KEY_REQUESTS Request API Key rounds (after one warm-up): GET and POST durations, ms."""
    dashboard = Dashboard(server, email)
    dashboard.request_key()  # warm-up
    gets, posts = [], []
    for _ in range(KEY_REQUESTS):
        _, get_s, post_s = dashboard.request_key()
        gets.append(get_s * 1000)
        posts.append(post_s * 1000)
    purge_queue(CELERY_QUEUE)  # enqueued, never sent
    return gets, posts


def request_key_latency(server: Gunicorn) -> dict:
    gets, posts = _key_requests(server, "bench-dashboard@bench.invalid")
    return {
        "requests": KEY_REQUESTS,
        "post_p50_ms": statistics.median(posts),
        "post_p99_ms": percentile(posts, 99),
        "post_mean_ms": statistics.mean(posts),
        "get_p50_ms": statistics.median(gets),
    }


def request_key_replicas() -> dict:
    """Request API Key's POST on one replica while 1, then 4, then 1 replica(s) hold leases.

    Each replica is a keyservice server as deployed (gunicorn.conf.py, its workers each
    holding a lease); they share a Redis database of their own for the leases
    (LEASES_REDIS_URL), so only theirs count. The POST rotates the key: a write of a tracked
    model, which returns only when every holder applied it (core.leasedcache). The requests go
    to the first replica; the others are idle, as replicas between requests are."""
    import redis

    env = {"KEYSERVICE_LEASED_CACHE_REDIS_URL": LEASES_REDIS_URL, "KEYSERVICE_LEASED_CACHE": "on"}
    redis.Redis.from_url(LEASES_REDIS_URL).flushdb()
    first = Gunicorn(env)
    others = [Gunicorn(env) for _ in range(3)]
    posts: dict[str, list[float]] = {"1": [], "4": []}
    first.start()
    try:
        posts["1"] += _key_requests(first, "bench-replicas-1a@bench.invalid")[1]
        for other in others:
            other.start()
        time.sleep(1)  # their workers take their leases at start (post_worker_init)
        posts["4"] += _key_requests(first, "bench-replicas-4@bench.invalid")[1]
        for other in others:
            other.stop()  # each worker gives its lease back as it exits
        posts["1"] += _key_requests(first, "bench-replicas-1b@bench.invalid")[1]
    finally:
        for s in (first, *others):
            s.stop()
        redis.Redis.from_url(LEASES_REDIS_URL).flushdb()
    p50 = {n: statistics.median(v) for n, v in posts.items()}
    return {
        "requests": {n: len(v) for n, v in posts.items()},
        "workers_per_replica": int(os.environ.get("GUNICORN_WORKERS", "3")),
        "post_p50_ms": p50,
        "post_p99_ms": {n: percentile(v, 99) for n, v in posts.items()},
        "ratio_4_to_1": p50["4"] / p50["1"],
    }


def email_arrival(server: Gunicorn) -> dict:
    from aiosmtpd.controller import Controller

    arrivals: list[tuple[float, bytes]] = []
    lock = threading.Lock()

    class Handler:
        async def handle_DATA(self, server, session, envelope) -> str:  # aiosmtpd's hook
            with lock:
                arrivals.append((time.perf_counter(), envelope.content))
            return "250 OK"

    smtp = Controller(Handler(), hostname="127.0.0.1", port=SMTP_PORT)
    smtp.start()
    worker_log = OUT / "worker.log"
    purge_queue(CELERY_QUEUE)
    with worker_log.open("wb") as out:
        worker = subprocess.Popen(
            [
                str(VENV_BIN / "celery"),
                *("-A", "keyservice", "worker", "-Q", CELERY_QUEUE, "--loglevel=INFO"),
                *("--concurrency=2", "--without-heartbeat", "--without-gossip", "--without-mingle"),
            ],
            cwd=ROOT,
            env=os.environ.copy(),
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        deadline = time.monotonic() + 60
        while b"ready." not in worker_log.read_bytes():
            if worker.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    "celery worker did not start:\n" + worker_log.read_text()[-2000:]
                )
            time.sleep(0.1)
        dashboard = Dashboard(server, "bench-email@bench.invalid")
        latencies = []
        for _ in range(EMAILS):
            with lock:
                arrivals.clear()
            started = time.perf_counter()
            key, _, _ = dashboard.request_key()
            deadline = time.monotonic() + 30
            arrived = None
            while arrived is None and time.monotonic() < deadline:
                with lock:
                    arrived = next((t for t, body in arrivals if key.encode() in body), None)
                time.sleep(0.002)
            if arrived is None:
                raise RuntimeError("the key email did not arrive within 30 s")
            latencies.append((arrived - started) * 1000)
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        smtp.stop()
    return {
        "emails": EMAILS,
        "p50_ms": statistics.median(latencies),
        "max_ms": max(latencies),
        "min_ms": min(latencies),
    }
