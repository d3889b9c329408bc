"""Where a request's wall time goes: cProfile with a wall clock around in-process requests.

The Django test client in the driver (no HTTP server, no load generator), the database and
Redis real, while the run's servers hold their leases (so a write waits on them as it does in
production). For each case: the mean wall time per request and the functions holding the
largest inclusive shares of it (bench/out/profile-wall-<case>.txt has the whole profile).
`python -m bench.wallprofile` runs it alone on a fresh small database and one server.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import time
from collections.abc import Callable

from bench.config import BUILDS_QUEUE, OUT, QUICK
from bench.database import purge_queue
from bench.request_files import verify_body

# Frames every request passes through: their share is the whole, not a finding.
_WRAPPERS = (
    "django/test/client.py",
    "django/core/handlers/",
    "django/utils/deprecation.py",
    "core/chains.py",
    "core/request_id.py",
    "core/metrics_http.py",
    "contextlib.py",
    "django/db/transaction.py:__exit__",
    "bench/wallprofile.py",
    "django/views/decorators",
    "rest_framework/views.py:dispatch",
    "api/lean.py:view",
)


def wall_profiles(seeded: dict) -> dict:
    from django.db import close_old_connections
    from django.test import Client

    token = seeded["service_token"]
    creds = seeded["small"]
    client = Client(HTTP_HOST="127.0.0.1", HTTP_X_FORWARDED_PROTO="https")
    js = "application/json"

    def verify(c: dict) -> int:
        return client.post(
            "/internal/v1/verify",
            verify_body(c, "read"),
            content_type=js,
            HTTP_AUTHORIZATION=f"Bearer {token}",
        ).status_code

    def detail(c: dict) -> int:
        b = verify_body(c, "read")
        return client.get(
            f"/pixelStripeApi/projects/{b['projectId']}",
            {"userId": b["userId"], "apikey": b["apiKey"]},
        ).status_code

    def upload(c: dict, file_url: str) -> int:
        b = verify_body(c, "write")
        body = {k: v for k, v in b.items() if k != "access"}
        body |= {"fileUrl": file_url, "autoRelease": True}
        return client.post(
            "/pixelStripeApi/projects/upload-file", body, content_type=js
        ).status_code

    n = 100 if QUICK else 300
    # The cold read takes credentials from the end of the sample (nothing else read them in
    # this process), one per request: each request misses the credential and the extras.
    cold = creds[-n:]
    cases: dict[str, tuple[Callable[[int], int], int]] = {
        "verify_read_warm": (lambda i: verify(creds[0]), 200),
        "project_read_warm": (lambda i: detail(creds[0]), 200),
        "project_read_cold": (lambda i: detail(cold[i]), 200),
        "upload_check": (lambda i: upload(creds[i % 50], "ftp://x/a.txt"), 400),
        "upload_real": (
            lambda i: upload(creds[i % 50], "https://cdn.example.com/builds/bench.zip"),
            200,
        ),
    }
    close_old_connections()
    for i in range(5):  # the connection, the service token, the first credentials
        verify(creds[i])
        detail(creds[0])
    out: dict = {"requests": n}
    for name, (call, status) in cases.items():
        profiler = cProfile.Profile(time.perf_counter)
        started = time.perf_counter()
        for i in range(n):
            close_old_connections()  # as the WSGI handler does on request_started
            profiler.enable()
            got = call(i)
            profiler.disable()
            assert got == status, (name, got)
        elapsed = time.perf_counter() - started
        out[name] = _shares(profiler, n, elapsed)
        (OUT / f"profile-wall-{name}.txt").write_text(_text(profiler))
        profiler.dump_stats(OUT / f"profile-wall-{name}.prof")
    purge_queue(BUILDS_QUEUE)
    return out


def _shares(profiler: cProfile.Profile, n: int, elapsed: float) -> dict:
    stats = pstats.Stats(profiler).stats  # (file, line, func) -> (cc, nc, tt, ct, callers)
    total = sum(v[2] for v in stats.values())  # every function's own time: the profiled whole
    rows = []
    for (f, _, fn), (_, nc, _, ct, _) in stats.items():
        path = f.replace("\\", "/")
        for marker in ("site-packages/", "/wt-perf/", "/lib/python3.11/"):
            path = path.split(marker)[-1]
        label = f"{path}:{fn}"
        if any(w in label for w in _WRAPPERS) or ct / total < 0.04:
            continue
        rows.append({"function": label, "share": ct / total, "calls_per_request": nc / n})
    rows.sort(key=lambda r: -r["share"])
    return {
        "ms_per_request": total / n * 1000,
        "ms_per_request_unprofiled_loop": elapsed / n * 1000,
        "top": rows[:16],
    }


def _text(profiler: cProfile.Profile) -> str:
    buf = io.StringIO()
    pstats.Stats(profiler, stream=buf).sort_stats("cumulative").print_stats(60)
    return buf.getvalue()


def main() -> None:
    import json
    import logging
    import random

    import django

    from bench.config import log
    from bench.database import fresh_database, redis_client
    from bench.processes import Gunicorn
    from bench.seeding import seed_small_and_peers

    random.seed(20250101)
    redis_client().flushdb()
    fresh_database()
    django.setup()
    logging.getLogger("django.request").setLevel(logging.ERROR)
    OUT.mkdir(parents=True, exist_ok=True)
    seeded = seed_small_and_peers()
    server = Gunicorn()  # its workers hold leases: the writes wait on them
    server.start()
    try:
        result = wall_profiles(seeded)
    finally:
        server.stop()
    (OUT / "wallprofile.json").write_text(json.dumps(result, indent=2))
    for name, r in result.items():
        if isinstance(r, dict):
            log(f"{name}: {r['ms_per_request']:.2f} ms/request")
            for row in r["top"]:
                log(f"   {row['share']:6.1%} {row['calls_per_request']:6.2f}/req {row['function']}")


if __name__ == "__main__":
    main()
