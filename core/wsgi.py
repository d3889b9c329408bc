"""WSGI middleware applied before Django builds the request.

`Content-Type: …; charset=<codec>`: Django takes any name `codecs.lookup` knows as the request
encoding and decodes the query string (and form bodies) with it while building the request,
before any middleware can answer. Codecs that are not text encodings (hex, base64, rot13,
bz2, zlib, uu, quopri) or cannot decode leniently (idna, undefined) raise there: an HTML 500
from any URL. Such a charset parameter is removed, so the request is read as UTF-8 (the
default) and reaches the views, which answer as for any other body.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterable
from functools import lru_cache
from wsgiref.types import StartResponse, WSGIApplication, WSGIEnvironment

from django.utils.http import parse_header_parameters

WsgiApp = WSGIApplication


@lru_cache(maxsize=64)
def charset_is_usable(name: str) -> bool:
    """Whether Django can decode text with `name` (as it does: errors="replace")."""
    try:
        if not codecs.lookup(name)._is_text_encoding:
            return False
        b"a=%C3%A9\xff".decode(name, "replace")
    except (LookupError, UnicodeError, ValueError, TypeError):
        return False
    return True


def _quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def content_type_sanitize(content_type: str) -> str:
    """`content_type` without a charset parameter Django would fail to decode with; otherwise
    unchanged. Parsed as Django parses it (django.utils.http.parse_header_parameters)."""
    if "charset" not in content_type.lower():
        return content_type
    media_type, params = parse_header_parameters(content_type)
    charset = params.get("charset")
    if charset is None or charset_is_usable(charset):
        return content_type
    kept = (f"{name}={_quoted(value)}" for name, value in params.items() if name != "charset")
    return "; ".join([media_type, *kept])


def drop_unusable_charset(app: WsgiApp) -> WsgiApp:
    """`app`, seeing CONTENT_TYPE without an unusable charset parameter."""

    def wrapped(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        content_type = environ.get("CONTENT_TYPE")
        if content_type:
            environ["CONTENT_TYPE"] = content_type_sanitize(content_type)
        return app(environ, start_response)

    return wrapped
