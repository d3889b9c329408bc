"""`make bench`: the whole benchmark in one process tree, loopback only, every run bounded.

1. a fresh PostgreSQL database (migrated), Redis database BENCH_REDIS_DB flushed;
2. seed 10 000 users/keys/projects (+ memberships) and the peers' keys for the sampled users;
3. gunicorn with the repository's gunicorn.conf.py and bench.settings (production settings
   plus the bench-only views), checked request by request before any load;
4. wrk (Lua scripts in bench/lua) on every target, ROUNDS rounds in shuffled order, each
   run DURATION seconds after a warm-up; ratios to the plain Django view of the same round;
   Every run states the leased cache's hits, misses and bypasses during it (the warm-up's too);
5. queries and Redis commands per request (Django test client, counted at the driver);
   statements and written rows seen by PostgreSQL during a verify load run;
6. a py-spy profile of the gunicorn workers under verify load;
7. seed up to 1 000 000 users and measure verify/read again (sampled over the whole table);
8. "Request API Key" over HTTP with a signed-in session (email enqueued, no worker), again with
   1 and with 4 replicas holding leases, then the time to the email's arrival at a real SMTP
   server (aiosmtpd) through a real Celery worker;
9. the cold long tail (bench/longtail.py): fresh workers, Zipf requests over 100 000 keys of
   the large database, and the workers' memory after it;
10. bench/out/results.json, then docs/performance.md and docs/performance.png (bench/report.py).

BENCH_QUICK=1: 100 000 instead of 1 000 000 users, one 3 s round per target.
"""

from __future__ import annotations

import json
import logging
import os
import random
import statistics
import time

import redis

from bench.config import (
    CONNECTIONS,
    DB,
    DB_LARGE,
    DURATION,
    LARGE,
    OUT,
    QUICK,
    ROUNDS,
    SAMPLE,
    SMALL,
    log,
)
from bench.config import LARGE_LEASES_REDIS_URL as LARGE_LEASES
from bench.connection_loss import connection_loss
from bench.database import db_url, drop_database, fresh_database, redis_client
from bench.inprocess_cpu import inprocess_cpu
from bench.load import latency_c1, load_rounds, ratio, summarize, wrk
from bench.longtail import longtail, longtail_indices
from bench.machine import machine
from bench.processes import Gunicorn
from bench.profiling import profile_verify
from bench.request_counts import db_activity_under_load, hit_miss_counts, per_request_counts
from bench.request_files import read_projects, targets_for
from bench.request_key import email_arrival, request_key_latency, request_key_replicas
from bench.seeding import seed_small_and_peers
from bench.wallprofile import wall_profiles


def main() -> None:
    started = time.monotonic()
    OUT.mkdir(parents=True, exist_ok=True)
    for old in OUT.glob("gunicorn-*.log"):
        old.unlink()
    random.seed(20250101)
    log(
        f"quick={QUICK} small={SMALL} large={LARGE} duration={DURATION}s "
        f"rounds={ROUNDS} c={CONNECTIONS}"
    )
    redis_client().flushdb()
    redis.Redis.from_url(LARGE_LEASES).flushdb()
    fresh_database()
    import django

    django.setup()
    logging.getLogger("django.request").setLevel(logging.ERROR)  # the driver's own 4xx probes
    logging.getLogger("mail.log").setLevel(logging.WARNING)  # aiosmtpd's per-command lines
    large_sample = set(random.sample(range(1, LARGE + 1), SAMPLE))
    tail = longtail_indices(random.Random(20250102))
    log(f"seeding {SMALL} users, keys, projects; the peers' keys for {SAMPLE} of them")
    seeded = seed_small_and_peers()
    log(f"seeded in {seeded['seed_seconds']:.1f} s")
    results: dict = {
        "quick": QUICK,
        "small": SMALL,
        "large": LARGE,
        "duration": DURATION,
        "rounds": ROUNDS,
        "connections": CONNECTIONS,
        "note": os.environ.get("BENCH_NOTE", ""),
        "machine": machine(),
    }
    server = Gunicorn()  # KEYSERVICE_LEASED_CACHE=VERIFY_CACHE
    nocache = Gunicorn({"KEYSERVICE_LEASED_CACHE": "off"})
    nousage = Gunicorn({"KEYSERVICE_USAGE": "false"})  # key usage (apikeys.usage) off
    bare = Gunicorn({"DJANGO_SETTINGS_MODULE": "bench.bare.settings"}, app="bench.bare.wsgi")
    bare_apikey = Gunicorn(
        {"DJANGO_SETTINGS_MODULE": "bench.bare.settings_apikey"}, app="bench.bare.wsgi"
    )
    servers = [server, nocache, nousage, bare, bare_apikey]
    for s in servers:
        s.start()
    try:
        targets = targets_for(seeded, seeded["small"])
        targets["bare_plain"]["server"] = bare
        targets["bare_apikey"]["server"] = bare_apikey
        targets["verify_read_nocache"]["server"] = nocache
        targets["verify_read_nousage"]["server"] = nousage
        log("queries and Redis commands per request")
        results["per_request"] = per_request_counts(seeded)
        results["hit_miss"] = hit_miss_counts(seeded)
        log("load runs at the small scale")
        small_runs = load_rounds(server, targets, ROUNDS)
        results["runs_small"] = small_runs
        results["small_summary"] = summarize(small_runs)
        results["vs_apikey"] = {
            n: ratio(small_runs, n, "bare_apikey")
            for n in (
                "verify_read",
                "verify_write",
                "verify_read_nocache",
                "verify_read_nousage",
                "project_detail",
            )
        }
        log("one connection: bare view vs verify (wrk -c1)")
        results["c1"] = latency_c1(server, targets)
        log("CPU per request in-process (test client) and a cProfile of verify")
        results["inprocess"] = inprocess_cpu(seeded)
        log("where the wall time goes: public read, uploads, verify (cProfile, wall clock)")
        results["wall_profile"] = wall_profiles(seeded)
        log("database connections killed during verify load")
        results["connection_loss"] = connection_loss(server, targets["verify_read"])
        log("what PostgreSQL sees during a verify load run")
        results["db_under_load"] = db_activity_under_load(server, targets["verify_read"])
        log("profiling the workers under verify load (py-spy)")
        results["profile"] = profile_verify(server, targets["verify_read"])
        log("Request API Key latency")
        results["request_key"] = request_key_latency(server)
        log("Request API Key with 1 and with 4 replicas holding leases")
        results["request_key_replicas"] = request_key_replicas()
        log("email arrival through a real worker and SMTP server")
        results["email"] = email_arrival(server)
        log(f"a second database with {LARGE} users, and its own server")
        fresh_database(DB_LARGE)
        from bench.seed import copy_service_tokens, seed_service, seed_uploads

        t = time.monotonic()
        seeded_large = seed_service(
            upto=LARGE, wanted=large_sample | set(tail), dsn=db_url(DB_LARGE)
        )
        large_creds = [c for c in seeded_large if c["index"] in large_sample]
        copy_service_tokens(source_dsn=db_url(DB), target_dsn=db_url(DB_LARGE))
        seed_uploads(dsn=db_url(DB_LARGE), project_ids=read_projects(large_creds))
        results["large_seed_seconds"] = time.monotonic() - t
        log(f"seeded in {results['large_seed_seconds']:.1f} s")
        large_server = Gunicorn(
            {"DATABASE_URL": db_url(DB_LARGE), "KEYSERVICE_LEASED_CACHE_REDIS_URL": LARGE_LEASES}
        )
        large_server.start()
        try:
            large_targets = targets_for(seeded, large_creds, suffix="-large")
            scale = {
                "bare_plain": targets["bare_plain"],
                "verify_read": targets["verify_read"],
                "verify_read_large": {**large_targets["verify_read"], "server": large_server},
                "project_detail": targets["project_detail"],
                "project_detail_large": {
                    **large_targets["project_detail"],
                    "server": large_server,
                },
            }
            for name in ("verify_read_large", "project_detail_large"):
                # As warm as the small server, which served its credentials for three rounds.
                wrk(server, scale[name], DURATION)
            scale_runs = load_rounds(server, scale, ROUNDS)
        finally:
            large_server.stop()
        log(f"the cold long tail: {len(set(tail))} of {len(tail)} Zipf requests' keys")
        results["longtail"] = longtail(
            dsn=db_url(DB_LARGE),
            creds={c["index"]: c for c in seeded_large},
            indices=tail,
            targets=targets,
        )
        results["runs_scale"] = scale_runs
        results["scale_summary"] = summarize(scale_runs)
        results["scale_ratio"] = {
            n: statistics.median(
                big["rps"] / small["rps"]
                for big, small in zip(scale_runs[n + "_large"], scale_runs[n], strict=True)
            )
            for n in ("verify_read", "project_detail")
        }
    finally:
        for s in servers:
            s.stop()
    results["elapsed_seconds"] = time.monotonic() - started
    results["finished"] = time.time()
    (OUT / "results.json").write_text(json.dumps(results, indent=2, default=str))
    if os.environ.get("BENCH_KEEP_DB") != "1":
        from django.db import connection

        connection.close()
        drop_database(DB)
        drop_database(DB_LARGE)
        redis_client().flushdb()
    from bench import report

    report.main()
    log(f"done in {results['elapsed_seconds'] / 60:.1f} min")


if __name__ == "__main__":
    main()
