"""Through the real gunicorn with gunicorn.conf.py: gunicorn's own log lines (worker timeouts,
invalid request lines, the access log) hold no key and cannot be forged; forwarder headers
never re-route a request; a hostile `charset=` never crashes Django (review r3, F1-F3)."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from urllib.parse import urlencode

import psycopg
import pytest
from django.db import connection

from apikeys.services import apikey_issue
from tests.support.gunicorn import Gunicorn
from tests.support.services import database_url

HTTPS = {"X-Forwarded-Proto": "https"}


def raw(server: Gunicorn, data: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as sock:
        sock.sendall(data)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
        return b"".join(chunks)


def wait_for(server: Gunicorn, text: str, timeout: float = 20, count: int = 1) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (output := server.output()).count(text) >= count:
            return output
        time.sleep(0.1)
    raise AssertionError(f"{text!r} never logged:\n{server.output()}")


@pytest.fixture
def key_and_user(postgres, owner):
    return apikey_issue(user=owner).plaintext, owner.public_id


def _list(key: str, user_id: str) -> str:
    return "/pixelStripeApi/projects?" + urlencode({"userId": user_id, "apikey": key})


def test_a_worker_timeout_during_a_get_with_apikey_in_the_url_logs_no_key(key_and_user):
    key, user_id = key_and_user
    locker = psycopg.connect(database_url(connection.settings_dict), autocommit=False)
    try:
        # A gevent worker waiting on the database yields and keeps its heartbeat: only a
        # worker that stops (the sync worker here; a gevent one stuck in CPU) is timed out,
        # and gunicorn's lines about it go through the same redacting filter.
        with Gunicorn(
            DJANGO_TRUST_X_FORWARDED_PROTO="true",
            GUNICORN_TIMEOUT="2",
            GUNICORN_WORKER_CLASS="sync",
        ) as server:
            locker.execute("LOCK TABLE apikeys_apikey IN ACCESS EXCLUSIVE MODE")
            release = threading.Timer(8, locker.rollback)
            release.start()
            try:
                status = server.request("GET", _list(key, user_id), HTTPS, timeout=20)[0]
            except (http.client.HTTPException, OSError):
                status = None  # the worker was killed before it answered
            finally:
                release.cancel()
                locker.rollback()
            output = wait_for(server, "Error handling request")
    finally:
        locker.close()
    assert status in (500, None)
    assert "WORKER TIMEOUT" in output
    assert "apikey=[redacted]" in output
    assert key not in output and key[4:] not in output


def test_an_invalid_request_line_with_a_key_in_the_url_logs_no_key(key_and_user):
    key, user_id = key_and_user
    with Gunicorn() as server:
        line = f"GET {_list(key, user_id)}&a=\x1b[2J HTTP/1.1\r\nHost: localhost\r\n\r\n"
        assert raw(server, line.encode()).startswith(b"HTTP/1.1 400")
        output = wait_for(server, "Invalid request from ip=")
    assert key not in output and key[4:] not in output
    assert "apikey=[redacted]" in output
    assert "&a=\\x1b[2J" in output and "\x1b" not in output


def test_a_percent_encoded_line_break_or_nul_in_a_path_yields_one_access_log_line(db):
    forged = '127.0.0.1 [02/Jan/2031:22:27:24 +0000] "GET /admin/ HTTP/1.1" 200 42 1us'
    with Gunicorn() as server:
        for sep in ("%0a", "%0d%0a", "%00", "%e2%80%a8"):
            path = (
                "/pixelStripeApi/projects/x" + sep + forged.replace(" ", "%20").replace('"', "%22")
            )
            assert server.request("GET", path)[0] == 404
        # Django's "Not Found" warning for a request is written before gunicorn's access
        # line for it: wait for the four access lines themselves, not the first marker.
        output = wait_for(server, '"GET /pixelStripeApi/projects/x', count=4)
    lines = output.splitlines()
    assert not [line for line in lines if line.startswith("127.0.0.1 [02/Jan/2031")]
    access = [line for line in lines if '"GET /pixelStripeApi/projects/x' in line]
    assert len(access) == 4
    for marker in ("\\n127.0.0.1", "\\r\\n127.0.0.1", "\\x00127.0.0.1", "\\u2028127.0.0.1"):
        assert marker in output
    assert "\x00" not in output


@pytest.mark.parametrize("script_name", ["/pixelStripeApi", "/nope", "/"])
def test_a_script_name_header_from_the_proxy_never_re_routes_a_request(db, script_name):
    with Gunicorn(DJANGO_TRUST_X_FORWARDED_PROTO="true") as server:
        headers = {**HTTPS, "SCRIPT_NAME": script_name, "PATH_INFO": "/internal/v1/verify"}
        status, content_type, body = server.request(
            "POST",
            "/pixelStripeApi/internal/v1/verify",
            {**headers, "Content-Type": "application/json"},
            b"{}",
        )
        assert status < 500 and b"service token" not in body
        status, content_type, body = server.request("GET", "/pixelStripeApi/admin/", headers)
        assert (status, content_type) == (404, "application/json")
        status, content_type, body = server.request("GET", "/pixelStripeApi/projects", headers)
        assert status == 400 and content_type == "application/json"
        output = server.output()
    assert "POST /internal/v1/verify" not in output
    assert "Configuration problem" not in output and "Error handling request" not in output


CHARSETS = ["hex", "rot13", "base64", "bz2", "zlib", "uu", "quopri", "idna", "undefined", "nope"]


@pytest.mark.parametrize("charset", CHARSETS)
def test_a_hostile_charset_never_crashes_any_page_through_gunicorn(key_and_user, charset):
    key, user_id = key_and_user
    content_type = {"Content-Type": f"text/plain; charset={charset}"}
    json_type = {"Content-Type": f"application/json; charset={charset}"}
    with Gunicorn(DJANGO_TRUST_X_FORWARDED_PROTO="true") as server:
        assert server.request("GET", "/healthz?x=1", content_type)[0] == 200
        assert server.request("GET", "/accounts/login/?next=/", content_type)[0] == 200
        status, ctype, body = server.request(
            "POST", "/internal/v1/verify?a=1", json_type, b'{"apiKey": "x"}'
        )
        assert (status, ctype) == (401, "application/json") and b'"message"' in body
        status, ctype, body = server.request("GET", _list(key, user_id), {**HTTPS, **content_type})
        assert (status, ctype) == (200, "application/json") and b'"projects"' in body
        status, ctype, body = server.request(
            "POST",
            "/pixelStripeApi/projects/upload-file?x=1",
            {**HTTPS, **json_type},
            b'{"apiKey": "spx_x", "userId": "u", "projectId": "p"}',
        )
        assert status in (400, 401) and ctype == "application/json" and b'"message"' in body
        output = server.output()
    assert "Error handling request" not in output and key not in output
