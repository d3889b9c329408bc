"""The HTTP side of the metrics: the latency middleware and the protected `/metrics` view.

`MetricsMiddleware` is a plain middleware class, first in settings.MIDDLEWARE, so it times the
whole stack. Its labels are the URL *pattern* Django resolved (`pixelStripeApi/projects/
<str:projectId>`), never the path (paths hold projectIds, invitation tokens); every admin
page is one route, `admin` (the admin's path is a setting, KEYSERVICE_ADMIN_PATH); a path
that resolved nothing is `unmatched`. Methods outside the usual seven are `other`, so a
client cannot mint series.

`/metrics` answers only to `Authorization: Bearer <KEYSERVICE_METRICS_TOKEN>` (compared
with hmac.compare_digest): 404 while the setting is empty (the endpoint does not exist),
401 for a missing or wrong token. The TLS proxy in front does not route it (docker-compose:
Prometheus scrapes `web:8000` on the compose network).
"""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse

from core.metrics import CONTENT_TYPE, http_request_observe, metrics_render

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"
_REGEX_CHARS = frozenset("^$()[]?*+\\|{}")


def route_of(request: HttpRequest) -> str:
    """The label for the URL pattern that handled `request` (never its path)."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return UNMATCHED
    if "admin" in match.namespaces:
        return "admin"
    route = match.route or ""
    # A re_path's regular expression: its name instead (the APIs' catch-all JSON 404 is
    # named UNMATCHED, api/urls.py).
    if _REGEX_CHARS.intersection(route):
        return match.view_name or UNMATCHED
    return route or UNMATCHED


class MetricsMiddleware:
    """Times every request and counts its response, per route and method."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - started
        route = route_of(request)
        method = request.method if request.method in METHODS else "other"
        http_request_observe(
            route=route, method=method, status=response.status_code, seconds=elapsed
        )
        return response


def _authorized(request: HttpRequest, token: str) -> bool:
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and hmac.compare_digest(
        given.strip().encode("utf-8", "surrogateescape"), token.encode()
    )


def metrics_view(request: HttpRequest) -> HttpResponse:
    """The Prometheus exposition of every process's metrics (token-protected)."""
    token = settings.KEYSERVICE_METRICS_TOKEN
    if not token:
        raise Http404
    if not _authorized(request, token):
        response = HttpResponse("Unauthorized\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if request.method not in ("GET", "HEAD"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD"})
    response = HttpResponse(metrics_render(), content_type=CONTENT_TYPE)
    response["Cache-Control"] = "no-store"
    return response
