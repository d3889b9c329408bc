"""System checks: a malformed rate refuses to start instead of answering 500 per request."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.apps import AppConfig
from django.conf import settings
from django.core.checks import Error, register

from core.ratelimit import rate_parse


@register()
def throttle_rates_check(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[Error]:
    rates = getattr(settings, "REST_FRAMEWORK", {}).get("DEFAULT_THROTTLE_RATES", {})
    errors = []
    for scope, rate in rates.items():
        if rate is None:
            continue
        try:
            rate_parse(rate)
        except ValueError as exc:
            errors.append(Error(f"throttle rate for {scope!r}: {exc}", id="core.E001"))
    return errors


@register()
def api_middleware_check(
    app_configs: Sequence[AppConfig] | None = None, **kwargs: Any
) -> list[Error]:
    """core.chains: the APIs' chain is a part of the dashboard's, in the same order, and the
    chooser comes first (a middleware listed before it would run for the APIs too, unlisted)."""
    dashboard = list(settings.MIDDLEWARE)
    api = list(getattr(settings, "KEYSERVICE_API_MIDDLEWARE", []))
    errors = []
    if not dashboard or dashboard[0] != "core.chains.ApiChainMiddleware":
        errors.append(
            Error("MIDDLEWARE must start with core.chains.ApiChainMiddleware", id="core.E002")
        )
    remaining = iter(dashboard)
    if not all(path in remaining for path in api):
        errors.append(
            Error(
                "KEYSERVICE_API_MIDDLEWARE must list entries of MIDDLEWARE, in its order",
                id="core.E003",
            )
        )
    return errors
