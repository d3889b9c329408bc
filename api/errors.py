"""Every error of both APIs is exactly {"message": "..."} (docs/api.md, "Errors")."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from enum import StrEnum

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views import defaults
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions
from rest_framework.response import Response

from apikeys.leaks.services import LeakRefusal
from builds.services import BuildRefusal
from core.chains import is_api_path
from core.errors import ApplicationError
from core.leasedcache import CacheRefusal
from webhooks.refusals import WebhookRefusal

logger = logging.getLogger(__name__)

RATE_LIMIT_MESSAGE = "Rate limit exceeded. Try again in 2 minutes."


class ApiError(exceptions.APIException):
    """An answer of the contract's error table: a status and an exact message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(detail=message)
        self.status_code = status
        self.message = message


class RateLimited(ApiError):
    def __init__(self, wait_seconds: float | None) -> None:
        super().__init__(429, RATE_LIMIT_MESSAGE)
        self.wait = max(1, math.ceil(wait_seconds or 120))


def _flat(detail) -> str:
    if isinstance(detail, list | tuple):
        return " ".join(_flat(d) for d in detail)
    if isinstance(detail, dict):
        return " ".join(f"{k}: {_flat(v)}" for k, v in detail.items())
    return str(detail)


# A domain refusal (core.errors.ApplicationError) by its reason: the contract's status. The
# message is the service's, except that a 429 always says RATE_LIMIT_MESSAGE (docs/api.md) with
# Retry-After from the refusal. A reason not listed is a client error (400) with its message.
APPLICATION_STATUS: dict[StrEnum, int] = {
    WebhookRefusal.NOT_CONFIGURED: 404,  # "No webhook URL configured"
    WebhookRefusal.TEST_THROTTLED: 429,
    WebhookRefusal.TEST_BUSY: 429,
    BuildRefusal.NOT_FOUND: 404,  # "File not found" (the status channel)
    BuildRefusal.INVALID_TRANSITION: 409,  # names both states
    BuildRefusal.NOT_READY: 400,  # "File has no URL" (distribute-file)
    BuildRefusal.PROJECT_DISABLED: 403,  # "Access denied" (distribute-file)
    LeakRefusal.UNAVAILABLE: 503,  # the broker did not take a public leak report
    # A write the leased cache cannot announce (its Redis is down): refused (CacheUnavailable).
    CacheRefusal.UNAVAILABLE: 503,
}

_FIXED = {
    exceptions.UnsupportedMediaType: (415, "Unsupported Media Type"),
    exceptions.ParseError: (400, "Malformed JSON body"),
    exceptions.MethodNotAllowed: (405, "Method not allowed"),
    exceptions.NotFound: (404, "Not found"),
    exceptions.NotAcceptable: (406, "Not acceptable"),
}


def exception_handler(exc: Exception, context: dict) -> Response:
    """DRF's exception handler for both APIs: no `detail` body ever escapes."""
    status, body, headers = error_answer(exc, context.get("view"))
    return Response(body, status=status, headers=headers)


def error_answer(exc: Exception, view: object = None) -> tuple[int, dict, dict[str, str]]:
    """The status, `{"message"}` body and extra headers the APIs answer `exc` with: the DRF
    views' (`exception_handler`) and the lean transport's (api.lean, which renders them
    without building a DRF Response)."""
    headers: dict[str, str] = {}
    if isinstance(exc, RateLimited):
        status, message = 429, exc.message
        headers["Retry-After"] = str(exc.wait)
    elif isinstance(exc, ApiError):
        status, message = exc.status_code, exc.message
    elif isinstance(exc, ApplicationError):
        status, message = APPLICATION_STATUS.get(exc.reason, 400), exc.message
        if status == 429:
            wait = RateLimited(exc.retry_after).wait
            message, headers["Retry-After"] = RATE_LIMIT_MESSAGE, str(wait)
    elif isinstance(exc, exceptions.Throttled):
        status, message = 429, RATE_LIMIT_MESSAGE
        headers["Retry-After"] = str(max(1, math.ceil(exc.wait or 120)))  # type: ignore[attr-defined]  # DRF sets Throttled.wait; its stubs omit it
    elif isinstance(exc, Http404):
        status, message = 404, "Not found"
    elif type(exc) in _FIXED:
        status, message = _FIXED[type(exc)]
    elif isinstance(exc, exceptions.APIException):
        status, message = exc.status_code, _flat(exc.detail)
    else:
        logger.exception("unexpected error in %s", type(view).__name__ if view else "API")
        status, message = 500, "Internal server error"
    return status, {"message": message}, headers


@csrf_exempt  # an unrouted POST must get this JSON too, never Django's HTML CSRF page
def not_found(request: HttpRequest, *args, **kwargs) -> JsonResponse:
    """Unknown paths under the API prefixes answer in the API's shape, not an HTML page."""
    return JsonResponse({"message": "Not found"}, status=404)


# Django's error views (keyservice/urls.py handler400/403/404/500) for what never reaches an
# API view: a refused Host header, an exception in a middleware, a path outside the routes.
# Under the API prefixes they answer {"message"}; elsewhere Django's views, which render the
# branded templates/400.html, 403.html, 404.html and 500.html (back to the dashboard).


def _json_under_api(status: int, message: str, page: Callable[..., HttpResponse]):
    def view(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if is_api_path(request.path_info):
            return JsonResponse({"message": message}, status=status)
        return page(request, *args, **kwargs)  # Django passes `exception=` by keyword

    return view


bad_request = _json_under_api(400, "Bad request", defaults.bad_request)
permission_denied = _json_under_api(403, "Forbidden", defaults.permission_denied)
page_not_found = _json_under_api(404, "Not found", defaults.page_not_found)
server_error = _json_under_api(500, "Internal server error", defaults.server_error)
