"""The one error of the leased cache: a write refused because its announcement could not be
made (the cache's Redis unreachable). The write's transaction rolled back: nothing changed.

The APIs map it to a JSON 503 (api.errors, by its reason); `RefusedWriteMiddleware`, on the
dashboard's chain (settings.MIDDLEWARE), answers the dashboard and the admin with the 503
page and a Retry-After — never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from core.errors import ApplicationError

RETRY_AFTER_SECONDS = 5

MESSAGE = (
    "This change cannot be made right now: the verify cache's Redis is unreachable. "
    "Nothing was changed; try again shortly."
)


class CacheRefusal(StrEnum):
    UNAVAILABLE = "cache_unavailable"


class CacheUnavailable(ApplicationError):
    """A write of a tracked model refused: the cache's Redis could not take its announcement."""

    REASON = CacheRefusal.UNAVAILABLE

    def __init__(self, message: str = MESSAGE) -> None:
        super().__init__(CacheRefusal.UNAVAILABLE, message)


class RefusedWriteMiddleware:
    """A CacheUnavailable escaping a view: the 503 page that says nothing changed."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not (
            isinstance(exception, ApplicationError) and exception.reason is CacheRefusal.UNAVAILABLE
        ):
            return None
        body = render_to_string("503.html", {"message": exception.message}, request=request)
        response = HttpResponse(body, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
