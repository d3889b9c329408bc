"""In-process CPU per request: the Django test client, no HTTP server, no load generator.

CPU time per request for each target, and a cProfile of verify with its time shared out
among the functions that matter (CPROFILE_FUNCTIONS).
"""

from __future__ import annotations

import time

from bench.config import QUICK
from bench.request_files import verify_body


def inprocess_cpu(seeded: dict) -> dict:
    """CPU time of this process per request, for each kind of request, through Django's
    whole handler and middleware (the test client), with the database and Redis real. Less
    sensitive to other load on the machine than the HTTP runs; a cProfile (CPU clock) of
    verify attributes it to functions, on the APIs' chain and on the dashboard's."""
    from django.db import close_old_connections
    from django.test import Client

    c = seeded["small"][0]
    token = seeded["service_token"]
    read = verify_body(c, "read")
    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    js = "application/json"
    calls = {
        "plain": lambda: client.post("/bench/plain", read, content_type=js),
        "drf": lambda: client.post("/bench/drf", read, content_type=js),
        "verify_read": lambda: client.post(
            "/internal/v1/verify", read, content_type=js, HTTP_AUTHORIZATION=f"Bearer {token}"
        ),
        "project_detail": lambda: client.get(
            f"/pixelStripeApi/projects/{read['projectId']}",
            {"userId": read["userId"], "apikey": read["apiKey"]},
        ),
    }
    n = 300 if QUICK else 1500
    out: dict = {"requests": n, "cpu_us": {}}
    for name, call in calls.items():
        for _ in range(50):
            close_old_connections()
            assert call().status_code == 200, name
        t = time.process_time()
        for _ in range(n):
            close_old_connections()  # as the WSGI handler does on request_started
            call()
        out["cpu_us"][name] = (time.process_time() - t) / n * 1e6
    out["verify_cprofile_share"] = _cprofile_shares(calls["verify_read"], n)
    # The same verify through the dashboard's chain, as every API request went before
    # core/chains.py: MIDDLEWARE without its first entry (the chooser), a new test client.
    from django.conf import settings
    from django.test import override_settings

    with override_settings(MIDDLEWARE=settings.MIDDLEWARE[1:]):
        before = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")

        def verify_before():
            return before.post(
                "/internal/v1/verify", read, content_type=js, HTTP_AUTHORIZATION=f"Bearer {token}"
            )

        for _ in range(50):
            close_old_connections()
            assert verify_before().status_code == 200
        t = time.process_time()
        for _ in range(n):
            close_old_connections()
            verify_before()
        out["cpu_us"]["verify_read_dashboard_chain"] = (time.process_time() - t) / n * 1e6
        out["verify_cprofile_share_dashboard_chain"] = _cprofile_shares(verify_before, n)
    return out


def _cprofile_shares(call, n: int) -> dict[str, float]:
    """cProfile (CPU clock) of n calls: each CPROFILE_FUNCTIONS entry's inclusive share."""
    import cProfile
    import pstats

    from django.db import close_old_connections

    profiler = cProfile.Profile(time.process_time)
    profiler.enable()
    for _ in range(n):
        close_old_connections()
        call()
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # (file, line, func) -> (cc, nc, tt, ct, callers)
    total = max(
        ct
        for (f, _, fn), (_, _, _, ct, _) in stats.items()
        if fn == "get_response" and "base.py" in f
    )
    shares = {}
    for label, file_part, func in CPROFILE_FUNCTIONS:
        ct = sum(
            v[3]
            for (f, _, fn), v in stats.items()
            if fn == func and file_part in f.replace("\\", "/")
        )
        shares[label] = ct / total
    return shares


CPROFILE_FUNCTIONS = [
    (
        "middleware + view (Django BaseHandler.get_response)",
        "django/core/handlers/base.py",
        "get_response",
    ),
    ("lean transport (api/lean.py: the view verify's URL calls)", "api/lean.py", "view"),
    (
        "DRF APIView.dispatch (only unusual requests reach it)",
        "rest_framework/views.py",
        "dispatch",
    ),
    (
        "Django RedisCacheClient.get_client (new redis.Redis per call)",
        "django/core/cache/backends/redis.py",
        "get_client",
    ),
    ("verify_answer (the view body)", "api/internal_views.py", "verify_answer"),
    ("  JSON body parsing (lean transport)", "api/lean.py", "_json_object"),
    ("  JSON rendering (lean transport)", "api/lean.py", "_json"),
    ("authorize_project (digests + the one query)", "api/auth.py", "authorize_project"),
    (
        "  of which credential_lookup (SQL round trip)",
        "apikeys/verifier/credentials.py",
        "credential_lookup",
    ),
    ("  of which HMAC digests (key, service token)", "hmac.py", "hexdigest"),
    ("DRF content negotiation", "rest_framework/views.py", "perform_content_negotiation"),
    (
        "request.data (JSON parsing, StrictJSONParser)",
        "rest_framework/request.py",
        "_load_data_and_files",
    ),
    ("DRF finalize_response", "rest_framework/views.py", "finalize_response"),
    ("URL resolving", "django/core/handlers/base.py", "resolve_request"),
    ("URL resolving, APIs' chain (kept matches)", "core/chains.py", "resolve_request"),
    (
        "CSP middleware (builds the policy on every response)",
        "csp/middleware.py",
        "process_response",
    ),
    (
        "messages middleware (dashboard chain only)",
        "django/contrib/messages/middleware.py",
        "process_response",
    ),
]
