"""The cold long tail: verify on fresh workers, credentials drawn from a Zipf law over
LONGTAIL_KEYS keys, beside the bare view; then the workers' resident memory.

A new server (its workers have served nothing) on the large database replays LONGTAIL_REQUESTS
verify reads whose keys are drawn with weight 1/rank^ZIPF_S over LONGTAIL_KEYS users (the
ranks shuffled over them), one run of DURATION seconds, between two runs of the bare view; its
leased-cache lookups (hits, misses, bypasses) are counted, and the resident memory (VmRSS) of
each of its workers after the run is reported with KEYSERVICE_LEASED_CACHE_SIZE, the setting
that bounds the entries a worker keeps.
"""

from __future__ import annotations

import random
import statistics

from bench.config import DURATION, LARGE, QUICK, log
from bench.config import LARGE_LEASES_REDIS_URL as LARGE_LEASES
from bench.load import REFERENCE, probe, wrk
from bench.processes import Gunicorn
from bench.request_files import compact_json, verify_body, write_requests

LONGTAIL_KEYS = min(100_000, LARGE)
ZIPF_S = 1.0
LONGTAIL_REQUESTS = 30_000 if QUICK else 60_000


def longtail_indices(rng: random.Random) -> list[int]:
    """User indices (1..LONGTAIL_KEYS) of the requests, in order: Zipf over shuffled ranks."""
    users = list(range(1, LONGTAIL_KEYS + 1))
    rng.shuffle(users)
    weights = [1 / (rank**ZIPF_S) for rank in range(1, LONGTAIL_KEYS + 1)]
    return rng.choices(users, weights=weights, k=LONGTAIL_REQUESTS)


def longtail(*, dsn: str, creds: dict[int, dict], indices: list[int], targets: dict) -> dict:
    """`creds`: the large database's credentials by user index (every index in `indices`);
    `targets`: the small run's (for the bare view's server and requests)."""
    from bench.request_files import JSON_HEADERS

    token_header = next(
        h
        for h in targets["verify_read"]["file"].read_text().splitlines()
        if h.startswith("H\tAuthorization:")
    )
    headers = [*JSON_HEADERS, token_header.split("\t", 1)[1]]
    path = write_requests(
        "verify-longtail",
        headers,
        [
            ("POST", "/internal/v1/verify", compact_json(verify_body(creds[i], "read")))
            for i in indices
        ],
    )
    target = {"file": path, "expect": 200}
    server = Gunicorn({"DATABASE_URL": dsn, "KEYSERVICE_LEASED_CACHE_REDIS_URL": LARGE_LEASES})
    server.start()
    try:
        rss_before = server.worker_rss_mb()
        probe(server, "verify_longtail", target, count=3)  # 3 requests: checked, barely warm
        bare_before = wrk(server, targets[REFERENCE], DURATION)
        cold = wrk(server, target, DURATION)
        bare_after = wrk(server, targets[REFERENCE], DURATION)
        rss_after = server.worker_rss_mb()
    finally:
        server.stop()
    bare_rps = statistics.mean((bare_before["rps"], bare_after["rps"]))
    from django.conf import settings

    result = {
        "keys": LONGTAIL_KEYS,
        "zipf_s": ZIPF_S,
        "requests_file": LONGTAIL_REQUESTS,
        "distinct_keys_in_file": len(set(indices)),
        "rps": cold["rps"],
        "p50_ms": cold["p50_us"] / 1000,
        "p99_ms": cold["p99_us"] / 1000,
        "requests": cold["requests"],
        "unexpected": cold["unexpected"],
        "bare_rps": bare_rps,
        "ratio": cold["rps"] / bare_rps,
        "cache": cold["cache"],
        "cpu_ms": cold["cpu_ms"],
        "rss_mb_before": rss_before,
        "rss_mb_after": rss_after,
        "cache_size_setting": int(settings.KEYSERVICE_LEASED_CACHE_SIZE),
    }
    log(
        f"long tail: {cold['rps']:.0f} req/s, {result['ratio']:.2f}x the bare view, "
        f"cache {cold['cache']}, RSS {[round(x) for x in rss_after]} MiB"
    )
    return result
