"""The REST APIs: Django REST framework, the throttle rates and the OpenAPI schema.

Plain HTTP is refused outside development (KEYSERVICE_ALLOW_HTTP); every error body is
{"message": ...} (api.errors); the throttles count in the Django cache and fail open when it
is down (core.ratelimit).
"""

from typing import Any

from keyservice.settings.env import DEBUG, env

# --- REST API ------------------------------------------------------------------------------
# Plain HTTP on the public API: for local development only (403 "HTTPS required" otherwise).
KEYSERVICE_ALLOW_HTTP = env.bool("KEYSERVICE_ALLOW_HTTP", default=DEBUG)
KEYSERVICE_BUILDS_QUEUE = env.str("KEYSERVICE_BUILDS_QUEUE", default="builds")
REST_FRAMEWORK: dict[str, Any] = {
    "EXCEPTION_HANDLER": "api.errors.exception_handler",
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.StrictJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
    # Atomic counters in the cache (core.ratelimit); failing open when the cache is down.
    "DEFAULT_THROTTLE_RATES": {
        "upload": env.str("KEYSERVICE_THROTTLE_UPLOAD", default="1/120s"),
        "distribute": env.str("KEYSERVICE_THROTTLE_DISTRIBUTE", default="1/120s"),
        # Test webhooks per project (API and dashboard together): each one sends at once.
        "test_webhook": env.str("KEYSERVICE_THROTTLE_TEST_WEBHOOK", default="5/60s"),
        # Failed authentications per client address (a flood limit: valid credentials are
        # never refused by it); generous, so a stale-key integration keeps getting its 401.
        "auth_failures_client": env.str(
            "KEYSERVICE_THROTTLE_AUTH_FAILURES_CLIENT", default="240/120s"
        ),
        # Reports to the public revocation endpoint (POST /pixelStripeApi/keys/revoke) per
        # client address, each of up to 100 strings.
        "key_reports_client": env.str("KEYSERVICE_THROTTLE_KEY_REPORTS_CLIENT", default="10/60s"),
        # Global budgets of the anonymous endpoints, all clients together: however many
        # addresses (or IPv6 networks) a flood comes from, it gets this much work done.
        "key_reports_global": env.str("KEYSERVICE_THROTTLE_KEY_REPORTS_GLOBAL", default="120/60s"),
        "github_scanning_global": env.str(
            "KEYSERVICE_THROTTLE_GITHUB_SCANNING_GLOBAL", default="600/60s"
        ),
        "schema_global": env.str("KEYSERVICE_THROTTLE_SCHEMA_GLOBAL", default="60/60s"),
    },
}
SPECTACULAR_SETTINGS = {
    "TITLE": "keyservice API",
    "DESCRIPTION": "The public API (/pixelStripeApi, wire-compatible with the hosted platform) "
    'and the internal API (/internal/v1). Every error body is exactly {"message": "..."}.',
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Swagger UI lists the tags in this order: the public API first.
    "TAGS": [
        {"name": "public", "description": "The public API (/pixelStripeApi)."},
        {"name": "internal", "description": "The internal API (/internal/v1)."},
        {"name": "leaks", "description": "Leaked-key reports."},
    ],
}
