"""Security: HTTPS and HSTS, cookies, headers, the CSP, GitHub secret scanning and body limits.

The dashboard is redirected to HTTPS (not the APIs, nor /healthz and /metrics); the CSP
allows no inline scripts or styles and lets sign-in forms post to Google's authorization
endpoint (the auth topic's URL).
"""

from urllib.parse import urlsplit

from keyservice.settings.auth import KEYSERVICE_GOOGLE_AUTHORIZE_URL
from keyservice.settings.env import DEBUG, env

# --- Security ------------------------------------------------------------------------------
# HTTPS: redirect the dashboard to HTTPS (not the APIs: they answer 403 "HTTPS required", and
# not the health check that the container probes over plain HTTP).
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=not DEBUG)
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$", r"^pixelStripeApi/", r"^internal/"]
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env.bool("DJANGO_SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp): no inline scripts or styles anywhere; forms may post
# to ourselves and, for sign-in, redirect to Google's authorization endpoint.
_google_origin = "{0.scheme}://{0.netloc}".format(urlsplit(KEYSERVICE_GOOGLE_AUTHORIZE_URL))
CONTENT_SECURITY_POLICY = {
    # JSON APIs render no documents: skip building the header on their hot paths.
    "EXCLUDE_URL_PREFIXES": ["/pixelStripeApi/", "/internal/"],
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", _google_origin],
    },
}
# GitHub secret scanning (POST /pixelStripeApi/keys/github-secret-scanning): where GitHub
# publishes the keys it signs reports with, the fetch's timeout (seconds, to connect and per
# read), how long the keys are kept (in each process and in the cache), and the shortest
# interval between fetches caused by a key id not among them (GitHub rotated its key).
KEYSERVICE_GITHUB_KEYS_URL = env.str(
    "KEYSERVICE_GITHUB_KEYS_URL",
    default="https://api.github.com/meta/public_keys/secret_scanning",
)
KEYSERVICE_GITHUB_KEYS_TIMEOUT = env.float("KEYSERVICE_GITHUB_KEYS_TIMEOUT", default=5)
KEYSERVICE_GITHUB_KEYS_CACHE_SECONDS = env.int("KEYSERVICE_GITHUB_KEYS_CACHE_SECONDS", default=3600)
KEYSERVICE_GITHUB_KEYS_REFRESH_SECONDS = env.int(
    "KEYSERVICE_GITHUB_KEYS_REFRESH_SECONDS", default=120
)
# Largest JSON body the APIs read; larger ones get 413 {"message": ...} unread.
KEYSERVICE_API_MAX_BODY_BYTES = env.int("KEYSERVICE_API_MAX_BODY_BYTES", default=65536)
# DRF's JSON parsing reads request.body, which Django refuses past this size: never below the
# APIs' own limit (a bigger body is their 413, not an error inside the parser).
DATA_UPLOAD_MAX_MEMORY_SIZE = max(2_621_440, KEYSERVICE_API_MAX_BODY_BYTES)
if env.bool("DJANGO_TRUST_X_FORWARDED_PROTO", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
