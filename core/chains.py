"""Two middleware chains, chosen by path: the APIs do not pay for the dashboard's machinery.

`settings.MIDDLEWARE` is the dashboard's chain, as Django builds it (sessions, CSRF, messages,
authentication, CSP, static files, allauth; the admin's and allauth's checks read it). Its first
entry is `ApiChainMiddleware`: a request under an API prefix (`is_api_path`) leaves there for a
second chain built from `settings.KEYSERVICE_API_MIDDLEWARE` (request ids, security headers,
Host validation and Content-Length, X-Frame-Options), ending in a handler of its own that
resolves the URL and calls the view, with that chain's view/exception/template-response hooks.
Every other request goes on down `settings.MIDDLEWARE` unchanged. The Django test client builds
the same handler from the same settings, so tests exercise exactly what gunicorn serves.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, MiddlewareNotUsed
from django.core.handlers.base import BaseHandler
from django.core.handlers.exception import convert_exception_to_response
from django.http import HttpRequest, HttpResponse
from django.urls import ResolverMatch, URLResolver, get_resolver
from django.utils.module_loading import import_string

# A path under either API prefix, also as clients and proxies mangle it (repeated leading
# slashes, another case). Its errors are JSON (api.errors) and it takes the API's chain.
_API_PATH = re.compile(r"^/+(?:pixelStripeApi|internal/v1)(?:/|$)", re.IGNORECASE)


def is_api_path(path: str) -> bool:
    return _API_PATH.match(path) is not None


class MiddlewareChain(BaseHandler):
    """A synchronous chain of the middleware named in `paths`, around BaseHandler's own
    `_get_response` (URL resolution, view middleware, the view, template responses): what
    `BaseHandler.load_middleware` builds from settings.MIDDLEWARE, from another list."""

    def __init__(self, paths: list[str]) -> None:
        self._view_middleware: list[Callable[..., Any]] = []
        self._template_response_middleware: list[Callable[..., Any]] = []
        self._exception_middleware: list[Callable[..., Any]] = []
        # BaseHandler._get_response: URL resolution, view middleware, the view (the stubs
        # leave this private method out).
        inner = self._get_response  # type: ignore[attr-defined]  # private, not in the stubs
        handler: Callable[[HttpRequest], Any] = convert_exception_to_response(inner)
        for path in reversed(paths):
            middleware = import_string(path)
            if not getattr(middleware, "sync_capable", True):
                raise ImproperlyConfigured(f"{path} cannot run synchronously")
            try:
                instance = middleware(handler)
            except MiddlewareNotUsed:
                continue
            if hasattr(instance, "process_view"):
                self._view_middleware.insert(0, instance.process_view)
            if hasattr(instance, "process_template_response"):
                self._template_response_middleware.append(instance.process_template_response)
            if hasattr(instance, "process_exception"):
                self._exception_middleware.append(instance.process_exception)
            handler = convert_exception_to_response(instance)
        self._middleware_chain = handler

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response: HttpResponse = self._middleware_chain(request)
        return response

    def resolve_request(self, request: HttpRequest) -> ResolverMatch:
        """BaseHandler's, with the match of each path kept (`_resolved`): resolving builds a
        ResolverMatch through every URLResolver on the way, a measured share of a cached
        verify (docs/performance.md). A request with its own `urlconf` resolves as usual."""
        if hasattr(request, "urlconf"):
            match: ResolverMatch = super().resolve_request(request)
            return match
        match = _resolved(get_resolver(), request.path_info)
        request.resolver_match = match
        return match


@lru_cache(maxsize=4096)
def _resolved(resolver: URLResolver, path: str) -> ResolverMatch:
    """What `resolver` resolves `path` to. A path that resolves nothing raises Resolver404 as
    before (not kept; the APIs' catch-alls leave none under their prefixes). The match is
    shared by the requests for the path: Django passes its args and kwargs to the view
    unpacked (copies), and nothing writes to a match. Bounded: paths carry project ids."""
    return resolver.resolve(path)


class ApiChainMiddleware:
    """First in settings.MIDDLEWARE: API paths take settings.KEYSERVICE_API_MIDDLEWARE's chain,
    everything else the rest of settings.MIDDLEWARE."""

    sync_capable = True
    async_capable = False

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.api_chain = MiddlewareChain(list(settings.KEYSERVICE_API_MIDDLEWARE))

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_api_path(request.path_info):
            return self.api_chain(request)
        return self.get_response(request)
