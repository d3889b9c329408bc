"""A lean transport for the hot endpoints: plain Django for the requests their callers send,
the DRF view for every other request, so that every answer stays the DRF view's answer.

Measured (docs/performance.md): on a cache hit, DRF's request wrapper, content negotiation,
parser selection, `Response` rendering through a template response and `finalize_response`
cost more than the verification itself. `lean(View, answer, method=...)` serves a request
itself only when its transport is the usual one and needs no negotiation:

- the method is the endpoint's: POST with a body, or GET without one;
- a POST body is JSON as `StrictJSONParser` reads it (UTF-8, no NaN, not too deep, no NUL
  or lone surrogate), a JSON object, within KEYSERVICE_API_MAX_BODY_BYTES, sent as
  `application/json` (optionally `charset=utf-8`), and there is no query string;
- `Accept` is absent, `*/*` or `application/json`, and there is no `?format=`;
- on the public API, the request came over HTTPS (or the operator allows HTTP).

Anything else (another method, OPTIONS, HEAD, a malformed, oversized, differently typed or
non-object body, another Accept, plain HTTP) goes to the DRF view unchanged, before any side
effect. A served request calls the same `answer(request, data, **url_kwargs)` as the DRF
view's handler; what it raises is answered as the DRF view's exception handler answers it
(`api.errors.error_answer`, without building a DRF Response), rendered by the same
JSONRenderer, with the DRF view's `Allow` header: the same status, body and headers
(api/tests/test_lean_transport.py sends every kind of request both ways).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from rest_framework.renderers import JSONRenderer
from rest_framework.settings import api_settings

from api.base import ApiView, JsonNegotiation, declared_length, https_refused
from api.errors import error_answer
from api.parsers import json_structure_refused

# `answer(request, data, **url_kwargs)`: the endpoint's payload, or an ApiError raised.
Answer = Callable[..., dict]

_RENDERER = JSONRenderer()
_JSON = "application/json"


def _json_object(request: HttpRequest) -> dict | None:
    """The body as the DRF view's parser reads it, if it is a JSON object sent as usual."""
    params = request.content_params
    if request.content_type != _JSON or not (
        not params or (len(params) == 1 and params.get("charset", "").lower() == "utf-8")
    ):
        return None
    length = declared_length(request)
    if length is None or not 0 < length <= settings.KEYSERVICE_API_MAX_BODY_BYTES:
        return None
    try:
        body = request.body
    except RequestDataTooBig:  # past DATA_UPLOAD_MAX_MEMORY_SIZE: DRF reads the stream
        return None  # (nothing was read: .body checks Content-Length first)
    try:
        data = json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
    except (ValueError, RecursionError):  # UnicodeDecodeError and JSONDecodeError included
        return None
    if not isinstance(data, dict) or json_structure_refused(data):
        return None
    return data


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not JSON")  # as DRF's STRICT_JSON: NaN, Infinity


def _usual_transport(request: HttpRequest) -> bool:
    """JSON acceptable as it is, and no `?format=` (a POST has no query string at all)."""
    if request.META.get("HTTP_ACCEPT", "") not in JsonNegotiation.ACCEPTS_JSON:
        return False
    if request.method == "POST":
        return not request.META.get("QUERY_STRING")
    return api_settings.URL_FORMAT_OVERRIDE not in request.GET


def _json(data: object, allow: str, *, status: int = 200, headers=()) -> HttpResponse:
    """An answer as the DRF view sends it: JSONRenderer's bytes as `application/json`, and
    the view's `Allow` (APIView.finalize_response)."""
    response = HttpResponse(_RENDERER.render(data), content_type=_JSON, status=status)
    for name, value in headers:
        response[name] = value
    response["Allow"] = allow
    return response


def lean(
    view_class: type[ApiView], answer: Answer, *, method: str, **initkwargs: Any
) -> Callable[..., Any]:
    """The URL callback for `view_class.as_view(**initkwargs)` (one `method`, POST or GET)
    with the lean transport in front. It carries the DRF view's attributes (`cls`,
    `initkwargs`, `csrf_exempt`), so the OpenAPI schema and everything reading them see the
    DRF view."""
    drf_view = view_class.as_view(**initkwargs)
    probe = view_class(**initkwargs)
    probe.setup(HttpRequest())  # as as_view's view does (a GET view gains HEAD there)
    allow = ", ".join(probe.allowed_methods)

    @functools.wraps(drf_view)
    def view(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if (
            request.method != method
            or not _usual_transport(request)
            or (view_class.requires_https and https_refused(request))
        ):
            return drf_view(request, *args, **kwargs)
        data: dict | None = None
        if method == "POST" and (data := _json_object(request)) is None:
            return drf_view(request, *args, **kwargs)
        if method == "GET" and declared_length(request) != 0:
            return drf_view(request, *args, **kwargs)  # a body: its size is the view's check
        try:
            payload = answer(request, data, **kwargs)
        except Exception as exc:  # the DRF view's handler decides, as in APIView
            status, body, headers = error_answer(exc, probe)
            return _json(body, allow, status=status, headers=headers.items())
        return _json(payload, allow)

    return view
