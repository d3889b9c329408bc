"""core.wsgi: a `charset=` Django cannot decode with never crashes a request before the
middleware (review r3, F3). Requests go through keyservice.wsgi.application itself."""

from __future__ import annotations

import json
import sys
from io import BytesIO
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.signals import request_finished, request_started
from django.db import close_old_connections

from core.wsgi import charset_is_usable, content_type_sanitize
from keyservice.wsgi import application

HOSTILE = ["hex", "rot13", "base64", "bz2", "zlib", "uu", "quopri", "idna", "undefined", "nope"]


def call(method: str, path: str, content_type: str, body: bytes = b"") -> tuple[int, str, bytes]:
    route, _, query = path.partition("?")
    environ = {
        "REQUEST_METHOD": method,
        "PATH_INFO": route,
        "QUERY_STRING": query,
        "CONTENT_TYPE": content_type,
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_HOST": "localhost",
        "wsgi.input": BytesIO(body),
        "wsgi.errors": sys.stderr,
    }
    setup_testing_defaults(environ)
    seen: dict = {}

    def start_response(status, headers, exc_info=None):
        seen.update(status=int(status.split()[0]), headers=dict(headers))

    # As Django's test client does: the test's transaction is not closed under it.
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        chunks = application(environ, start_response)
        try:
            content = b"".join(chunks)
        finally:
            getattr(chunks, "close", lambda: None)()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)
    return seen["status"], seen["headers"].get("Content-Type", ""), content


@pytest.mark.parametrize("charset", HOSTILE)
def test_a_hostile_charset_never_crashes_pages_or_apis(db, settings, charset):
    settings.KEYSERVICE_ALLOW_HTTP = True
    text = f"text/plain; charset={charset}"
    assert call("GET", "/healthz?x=1", text)[0] == 200
    assert call("GET", "/accounts/login/?next=/", text)[0] == 200
    api = f"application/json; charset={charset}"
    status, ctype, body = call("POST", "/internal/v1/verify?a=1", api, b'{"apiKey": "x"}')
    assert (status, ctype) == (401, "application/json") and set(json.loads(body)) == {"message"}
    status, ctype, body = call("POST", "/pixelStripeApi/projects/upload-file?x=1", api, b"{}")
    assert status == 400 and set(json.loads(body)) == {"message"}
    status, ctype, body = call("GET", "/pixelStripeApi/projects?userId=u&apikey=k", text)
    assert status == 401 and set(json.loads(body)) == {"message"}


@pytest.mark.parametrize(
    ("sent", "seen"),
    [
        ("text/plain; charset=hex", "text/plain"),
        ('text/plain; charset="ROT13"', "text/plain"),
        ("text/plain; charset*=utf-8''base64", "text/plain"),
        ('multipart/form-data; boundary="a b"; charset=bz2', 'multipart/form-data; boundary="a b"'),
        ("text/plain; charset=utf-8", "text/plain; charset=utf-8"),
        ("text/plain; charset=latin-1; x=1", "text/plain; charset=latin-1; x=1"),
        ("application/json", "application/json"),
    ],
)
def test_only_a_charset_django_cannot_decode_with_is_removed(sent, seen):
    assert content_type_sanitize(sent) == seen


def test_text_encodings_stay_usable():
    assert all(charset_is_usable(name) for name in ("utf-8", "latin-1", "utf-16", "cp1252"))
    assert not any(charset_is_usable(name) for name in HOSTILE)
