"""The API's rate limits, one class per scope, on the atomic counters of core.ratelimit.

Rates are read live from REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"][scope] (so settings
overrides apply) and accept DRF's form or a count of seconds: "1/120s". A scope without a
rate is not limited. Counting is atomic across processes sharing the cache, and fails open
when the cache is down (core.ratelimit).
"""

from __future__ import annotations

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

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
    """Failed authentications per client address: past it, failures answer 429, not 401."""

    scope = "auth_failures_client"


class KeyReportByClient(_Throttle):
    """Reports to the public revocation endpoint per client address."""

    scope = "key_reports_client"
