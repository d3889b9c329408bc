"""A write refused because the verify cache's stamps cannot be bumped (core.stamps: their
Redis is unreachable) answers 503 on the dashboard and in admin, never a 500: the write's
transaction rolled back, so nothing was changed. The APIs map the same refusal to a JSON 503
(api.errors); this middleware is on the dashboard's chain (settings.MIDDLEWARE)."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from core.errors import ApplicationError
from core.stamps import StampRefusal

RETRY_AFTER_SECONDS = 5


class StampOutageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not (
            isinstance(exception, ApplicationError) and exception.reason is StampRefusal.UNAVAILABLE
        ):
            return None
        body = render_to_string("503.html", {"message": exception.message}, request=request)
        response = HttpResponse(body, status=503)
        response["Retry-After"] = str(RETRY_AFTER_SECONDS)
        return response
