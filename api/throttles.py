"""DRF throttles: the write endpoints (per userId) and authentication failures (per client
address and per userId). Rates accept DRF's form or a count of seconds: "1/120s"."""

from __future__ import annotations

import re

from django.conf import settings
from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

_PERIOD = re.compile(r"^(\d*)([smhd])$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


class _Throttle(SimpleRateThrottle):
    def __init__(self, ident: str) -> None:
        self.ident = ident
        super().__init__()

    def get_rate(self) -> str | None:
        # Read live (not frozen at import) so settings overrides apply.
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].get(self.scope)

    def parse_rate(self, rate):
        if rate is None:
            return (None, None)
        num, period = rate.split("/")
        match = _PERIOD.match(period)
        if not match:
            raise ValueError(f"bad throttle rate {rate!r}")
        return int(num), int(match.group(1) or 1) * _UNIT[match.group(2)]

    def get_cache_key(self, request: Request, view) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.ident}

    def exceeded(self) -> bool:
        """Whether the next hit would be refused, without counting one."""
        if self.rate is None:
            return False
        self.key = self.cache_format % {"scope": self.scope, "ident": self.ident}
        self.history = self.cache.get(self.key, [])
        self.now = self.timer()
        while self.history and self.history[-1] <= self.now - self.duration:
            self.history.pop()
        return len(self.history) >= self.num_requests


class UploadThrottle(_Throttle):
    scope = "upload"


class DistributeThrottle(_Throttle):
    scope = "distribute"


class AuthFailureByClient(_Throttle):
    scope = "auth_failures_client"


class AuthFailureByUser(_Throttle):
    scope = "auth_failures_user"
