"""The API's rate limits, one class per scope, on the atomic counters of core.ratelimit.

Per-client limits are constructed with core.clientip.client_identity (an IPv6 client is its
/64); global budgets (`_GlobalBudget`) count every client together, one identity for all.
Rates are read live from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope] (so settings
overrides apply) and accept DRF's form or a count of seconds: "1/120s". A scope without a
rate is not limited. Counting is atomic across processes sharing the cache, and fails open
when the cache is down (core.ratelimit).
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from api.errors import RateLimited
from core.ratelimit import rate_parse, ratelimit_hit


class _Throttle(SimpleRateThrottle):
    """A DRF throttle for one identity (a userId, a client address, a project)."""

    scope: str  # every throttle below names its scope (DRF's base allows None)

    def __init__(self, ident: str) -> None:
        self.ident = ident
        self._wait: float | None = None
        super().__init__()

    def get_rate(self) -> str | None:
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].get(self.scope)

    def parse_rate(self, rate: str | None) -> tuple[int | None, int | None]:
        if rate is None:
            return (None, None)
        parsed = rate_parse(rate)
        return parsed.count, parsed.seconds

    def get_cache_key(self, request: Request, view) -> str:
        return f"{self.scope}:{self.ident}"

    def allow_request(self, request: object, view) -> bool:
        """Count this request; False past the limit (then `wait()` is the Retry-After)."""
        if self.rate is None:
            return True
        decision = ratelimit_hit(scope=self.scope, ident=self.ident, rate=rate_parse(self.rate))
        self._wait = None if decision.allowed else decision.retry_after
        return decision.allowed

    def wait(self) -> float | None:
        return self._wait


class UploadThrottle(_Throttle):
    scope = "upload"


class DistributeThrottle(_Throttle):
    scope = "distribute"


class AuthFailureByClient(_Throttle):
    """Failed authentications per client: past it, failures answer 429, not 401."""

    scope = "auth_failures_client"


class KeyReportByClient(_Throttle):
    """Reports to the public revocation endpoint per client."""

    scope = "key_reports_client"


class _GlobalBudget(_Throttle):
    """A budget of an anonymous endpoint across all clients together: however many clients
    (or IPv6 networks) a flood comes from, the endpoint does at most this much work."""

    def __init__(self) -> None:
        super().__init__("all clients")


class KeyReportsGlobal(_GlobalBudget):
    """Reports to the public revocation endpoint, all clients together."""

    scope = "key_reports_global"


class GithubScanningGlobal(_GlobalBudget):
    """Requests to the GitHub secret scanning endpoint (signed or not), all clients together:
    each costs a signature check over the body before anything else is known."""

    scope = "github_scanning_global"


class SchemaGlobal(_GlobalBudget):
    """The OpenAPI schema and its Swagger UI page (generated on request), all clients
    together."""

    scope = "schema_global"


def budgets_spend(request: object, *throttles: _Throttle) -> None:
    """Count this request against each budget in turn; the first that refuses raises
    RateLimited (429 with its Retry-After) and the later ones are not counted, so a client
    past its own limit spends nothing of a global budget."""
    for throttle in throttles:
        if not throttle.allow_request(request, None):
            raise RateLimited(throttle.wait())


def budgeted(
    budget: Callable[[], _Throttle],
) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """A view behind a global budget (for views that are not the API's, such as the OpenAPI
    schema, whose renderers are not JSON): past it, the API's 429 `{"message"}` with
    Retry-After, before the view does any work."""

    def wrap(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def budgeted_view(request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
            try:
                budgets_spend(request, budget())
            except RateLimited as refused:
                return JsonResponse(
                    {"message": refused.message},
                    status=429,
                    headers={"Retry-After": str(refused.wait)},
                )
            return view(request, *args, **kwargs)

        return budgeted_view

    return wrap
