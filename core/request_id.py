"""Request ids: every request gets one (or keeps a sane incoming X-Request-ID), every log
line written while serving it carries it, and the response returns it."""

from __future__ import annotations

import contextvars
import logging
import random
import re
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

_current: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_SANE = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


def _new_id() -> str:
    """32 hex digits, 128 random bits, as uuid4().hex has (a correlation id, not a secret):
    from the `random` module, which every process reseeds from os.urandom when it starts and
    after fork, instead of a getrandom system call per request (a measured cost on the hot
    path, docs/performance.md)."""
    return f"{random.getrandbits(128):032x}"


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        request_id = incoming if _SANE.match(incoming) else _new_id()
        # An attribute of our own on the request, which HttpRequest does not declare.
        request.request_id = request_id  # type: ignore[attr-defined]
        token = _current.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response["X-Request-ID"] = request_id
        return response


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get()
        return True
