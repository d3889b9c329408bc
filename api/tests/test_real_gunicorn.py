"""Through the real gunicorn with gunicorn.conf.py: which proxy headers make a request HTTPS
(one setting for Django and gunicorn), and the per-client flood limit behind one proxy."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from apikeys import crypto
from apikeys.services import apikey_issue
from tests.support.gunicorn import Gunicorn

HTTPS_REQUIRED = {"message": "HTTPS required"}
SCHEME_HEADERS = [
    {"X-Forwarded-Proto": "https"},
    {"X-Forwarded-Ssl": "on"},
    {"X-Forwarded-Protocol": "ssl"},
    {"X-Forwarded-Proto": "https", "X-Forwarded-Ssl": "on", "X-Forwarded-Protocol": "ssl"},
]


def _list_path(key: str, user_id: str) -> str:
    return "/pixelStripeApi/projects?" + urlencode({"userId": user_id, "apikey": key})


@pytest.fixture
def valid_list(postgres, owner):
    return _list_path(apikey_issue(user=owner).plaintext, owner.public_id)


def test_untrusted_forwarded_scheme_headers_over_plain_http_get_https_required(valid_list):
    with Gunicorn(DJANGO_TRUST_X_FORWARDED_PROTO="false") as server:
        for headers in SCHEME_HEADERS:
            assert server.get(valid_list, headers) == (403, HTTPS_REQUIRED), headers
        assert server.get(valid_list) == (403, HTTPS_REQUIRED)


def test_when_trusted_only_x_forwarded_proto_https_marks_a_request_secure(valid_list):
    with Gunicorn(DJANGO_TRUST_X_FORWARDED_PROTO="true") as server:
        status, body = server.get(valid_list, {"X-Forwarded-Proto": "https"})
        assert status == 200 and "projects" in body
        assert server.get(valid_list, {"X-Forwarded-Ssl": "on"}) == (403, HTTPS_REQUIRED)
        assert server.get(valid_list, {"X-Forwarded-Protocol": "ssl"}) == (403, HTTPS_REQUIRED)
        assert server.get(valid_list, {"X-Forwarded-Proto": "http"}) == (403, HTTPS_REQUIRED)


def test_behind_one_proxy_a_flooding_client_is_limited_alone(postgres, owner):
    key = apikey_issue(user=owner).plaintext
    valid = _list_path(key, owner.public_id)
    with Gunicorn(
        DJANGO_TRUST_X_FORWARDED_PROTO="true",
        KEYSERVICE_NUM_PROXIES="1",
        KEYSERVICE_THROTTLE_AUTH_FAILURES_CLIENT="3/120s",
    ) as server:

        def get(path: str, xff: str) -> int:
            return server.get(path, {"X-Forwarded-Proto": "https", "X-Forwarded-For": xff})[0]

        flood = [
            get(_list_path(crypto.generate_key(), owner.public_id), f"192.0.2.{i}, 203.0.113.7")
            for i in range(5)
        ]
        assert flood == [401, 401, 401, 429, 429]  # a spoofed leftmost entry changes nothing
        assert get(valid, "203.0.113.7") == 200  # valid credentials: never refused
        assert get(_list_path(crypto.generate_key(), owner.public_id), "198.51.100.20") == 401
        assert get(valid, "198.51.100.20") == 200


def test_gunicorn_stops_at_once_even_when_told_to_while_a_new_worker_boots(postgres):
    """A worker forked just before the stop (a replacement for a killed one) must not serve on
    until graceful_timeout kills it (gevent patches before the worker's own handlers exist)."""
    import os
    import signal
    import time

    from core.tests.test_metrics_gunicorn import children_of
    from tests.support.waiting import wait_until

    for _ in range(3):
        with Gunicorn(GUNICORN_WORKERS="2") as server:
            master = server.proc.pid
            assert wait_until(lambda master=master: len(children_of(master)) == 2, timeout=30)
            os.kill(max(children_of(master)), signal.SIGKILL)
            time.sleep(0.05)  # the master forks a replacement: stop the server while it boots
            started = time.monotonic()
            server.proc.terminate()
            server.proc.wait(timeout=25)
            elapsed = time.monotonic() - started
            server.proc = None
        assert elapsed < 10, server.output()[-2000:]
