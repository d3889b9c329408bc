"""The sections of docs/performance.md for issue 25 (every endpoint, not only verify): the
issue's table with this run's figures, the leased cache's hit/miss counts of every run, the
cold long tail and the workers' memory, Request API Key with 1 and 4 replicas holding leases,
and where the wall time of the public read, the uploads and verify goes (bench/wallprofile.py).
"""

from __future__ import annotations

from bench.report_format import cache_counts as _cache
from bench.report_format import fixed as _f

KEYSERVICE_TARGETS = {  # the targets served by keyservice (the others are the bare projects)
    "verify_read": "verify read",
    "verify_write": "verify write",
    "verify_read_nocache": "verify read, cache off",
    "verify_read_nousage": "verify read, usage off",
    "project_detail": "public project read",
    "upload_check": "upload, checks only",
    "upload_real": "real upload",
    "plain": "in-stack plain view",
    "drf": "in-stack DRF view",
}


def _verdict(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def first_round_ratio(r: dict, name: str) -> float:
    runs = r["runs_small"]
    return runs[name][0]["rps"] / runs["bare_plain"][0]["rps"]


def issue_table(r: dict) -> str:
    s, va, c1 = r["small_summary"], r["vs_apikey"], r["c1"]
    rows = []
    v = s["verify_read"]["rps_ratio"]
    rows.append(("verify, 2,000 credentials, ÷ bare view", f"{_f(v)}×", "≥ 0.75×", v >= 0.75))
    rows.append(
        (
            "verify ÷ djangorestframework-api-key",
            f"{_f(va['verify_read'])}×",
            "≥ 2.5×",
            va["verify_read"] >= 2.5,
        )
    )
    d, d0 = s["project_detail"]["rps_ratio"], first_round_ratio(r, "project_detail")
    rows.append(
        (
            "public project read ÷ bare view",
            f"{_f(d)}×, first (cold) round {_f(d0)}×",
            "≥ 0.6×",
            min(d, d0) >= 0.6,
        )
    )
    u = s["upload_real"]
    rows.append(
        (
            "real upload (row, event, queue) ÷ bare view",
            f"{_f(u['rps_ratio'])}×, p50 {_f(u['p50_ms'], 1)} ms",
            "≥ 0.2×",
            u["rps_ratio"] >= 0.2,
        )
    )
    uc = s["upload_check"]["rps_ratio"]
    rows.append(("upload, checks only ÷ bare view", f"{_f(uc)}×", "≥ 0.5×", uc >= 0.5))
    lat = c1["verify_read"]["p50_ms"] / c1["bare_plain"]["p50_ms"]
    rows.append(
        (
            "verify p50 at one connection ÷ bare view's",
            f"{_f(lat)}× ({_f(c1['verify_read']['p50_ms'])} ms vs "
            f"{_f(c1['bare_plain']['p50_ms'])} ms)",
            "≤ 1.3×",
            lat <= 1.3,
        )
    )
    lt = r.get("longtail")
    if lt:
        rows.append(
            (
                f"cold long tail: {lt['keys']:,} keys, Zipf requests, fresh workers, ÷ bare view",
                f"{_f(lt['ratio'])}×",
                "≥ 0.5×",
                lt["ratio"] >= 0.5,
            )
        )
    rk = r.get("request_key_replicas")
    if rk:
        p = rk["post_p50_ms"]
        rows.append(
            (
                "Request API Key page, p50 with 1 and with 4 replicas holding leases",
                f"{_f(p['1'], 1)} ms and {_f(p['4'], 1)} ms: {_f(rk['ratio_4_to_1'])}×",
                "4 replicas ≤ 1.5× 1 replica",
                rk["ratio_4_to_1"] <= 1.5,
            )
        )
    if "scale_ratio" in r:
        sv, sd = r["scale_ratio"]["verify_read"], r["scale_ratio"]["project_detail"]
        rows.append(
            (
                f"{r['large']:,} keys ÷ {r['small']:,} keys, verify and project read",
                f"{_f(sv)}× / {_f(sd)}×",
                "≥ 0.95× each",
                min(sv, sd) >= 0.95,
            )
        )
    if lt:
        rss = lt["rss_mb_after"]
        rows.append(
            (
                "RSS per web worker after the long-tail run",
                f"{', '.join(f'{x:.0f}' for x in rss)} MiB (fresh: "
                f"{', '.join(f'{x:.0f}' for x in lt['rss_mb_before'])} MiB)",
                "reported, bounded by a setting",
                True,
            )
        )
    lines = [
        "## Issue 25's targets\n",
        "Same-run ratios, medians over rounds (bare view: the bare project's plain "
        "`JsonResponse` view in the same round).\n",
        "| measurement | this run | target | |",
        "| --- | --- | --- | --- |",
    ]
    for name, figure, target, ok in rows:
        verdict = "**reported**" if target.startswith("reported") else _verdict(ok)
        lines.append(f"| {name} | {figure} | {target} | {verdict} |")
    return "\n".join(lines) + "\n"


def cache_counts_section(r: dict) -> str:
    """Each run's hits / misses / bypasses, warm-up apart, so a warm-up hides nothing."""
    runs = r["runs_small"]
    lines = [
        "### The leased cache during each run: hits / misses / bypasses\n",
        "Read from the server's Prometheus files (`keyservice_verify_cache_total`, every worker "
        "added up) before and after each wrk run: the credential lookups of verify, the public "
        "read and the uploads. A *miss* is a lookup that went to PostgreSQL under a lease (and "
        "stored), a *bypass* one made without a valid lease (nothing stored). The warm-up "
        "(one short run per target before the rounds) is counted apart.\n",
        "| target | warm-up | " + " | ".join(f"round {i + 1}" for i in range(r["rounds"])) + " |",
        "| --- | --- | " + " | ".join("---" for _ in range(r["rounds"])) + " |",
    ]
    for name, label in KEYSERVICE_TARGETS.items():
        if name not in runs:
            continue
        warm = runs[name][0].get("warmup_cache", {})
        rounds = " | ".join(_cache(x.get("cache", {})) for x in runs[name])
        lines.append(f"| {label} | {_cache(warm)} | {rounds} |")
    c1 = r["c1"]
    lines.append(
        "\nOne connection (`wrk -c1`): verify "
        + _cache(c1["verify_read"].get("cache", {}))
        + ", public read "
        + _cache(c1["project_detail"].get("cache", {}))
        + "."
    )
    if "runs_scale" in r:
        sc = r["runs_scale"]
        parts = [
            f"{n}: " + "; ".join(_cache(x.get("cache", {})) for x in sc[n])
            for n in ("verify_read_large", "project_detail_large")
            if n in sc
        ]
        lines.append(f"At {r['large']:,} keys (per round): " + ", ".join(parts) + ".")
    return "\n".join(lines) + "\n"


def longtail_section(r: dict) -> str:
    lt = r.get("longtail")
    if not lt:
        return ""
    rss = lt["rss_mb_after"]
    before = ", ".join(f"{x:.0f}" for x in lt["rss_mb_before"])
    after = ", ".join(f"{x:.0f}" for x in rss)
    return f"""## The cold long tail, and a worker's memory

A server started for this run alone (its {len(rss)} workers had served nothing) on the
{r["large"]:,}-key database; verify reads whose keys are drawn from a Zipf law (weight
1/rank^{lt["zipf_s"]}) over {lt["keys"]:,} keys, ranks shuffled over the users: a file of
{lt["requests_file"]:,} requests naming {lt["distinct_keys_in_file"]:,} distinct keys, replayed
for one run of {r["duration"]} s at `wrk -c{r["connections"]}` (3 requests checked before,
no warm-up), between two runs of the bare view.

| | req/s | ÷ bare view | p50 ms | p99 ms | requests | hits / misses / bypasses | unexpected |
| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |
| cold long tail | {lt["rps"]:.0f} | {_f(lt["ratio"])} | {_f(lt["p50_ms"])} | \
{_f(lt["p99_ms"])} | {lt["requests"]:,} | {_cache(lt["cache"])} | {lt["unexpected"]} |
| bare view (mean of before and after) | {lt["bare_rps"]:.0f} | 1.00 | | | | | |

{_longtail_cpu(lt)}Resident memory (VmRSS) of each worker: {before} MiB when started,
{after} MiB after the run. What bounds it is
`KEYSERVICE_LEASED_CACHE_SIZE` (entries per process, an LRU; {lt["cache_size_setting"]:,}
here, the default): each entry is a credential's answer or a project's extras, so a worker's
memory grows with the distinct keys it serves up to that many entries, then stays.
"""


def _longtail_cpu(lt: dict) -> str:
    """The machine's CPU per request during the long tail (bench/cpu_accounting.py)."""
    cpu = lt.get("cpu_ms")
    if not cpu:
        return ""
    return (
        f"The machine's CPU per request during the run: {sum(cpu.values()):.2f} ms, of which "
        f"{cpu['serving']:.2f} in the serving workers and {cpu['postgres']:.2f} in PostgreSQL "
        "(the misses' queries, prepared: core/onerow.py).\n\n"
    )


def replicas_section(r: dict) -> str:
    rk = r.get("request_key_replicas")
    if not rk:
        return ""
    p, q = rk["post_p50_ms"], rk["post_p99_ms"]
    return f"""### Request API Key with 1 and with 4 replicas holding leases

The POST rotates the key: a write of a tracked model, which returns only when every lease
holder has applied it (twice: before the commit and after it). Replicas are keyservice servers
as deployed ({rk["workers_per_replica"]} gevent workers each, every worker holding a lease)
sharing a Redis database of their own for the leases; the requests go to the first one, the
others are idle. Measured with 1 replica, then 4, then 1 again ({rk["requests"]["1"]} and
{rk["requests"]["4"]} POSTs):

| replicas holding leases | lease holders | POST p50 ms | POST p99 ms |
| ---: | ---: | ---: | ---: |
| 1 | {rk["workers_per_replica"]} | {_f(p["1"], 1)} | {_f(q["1"], 1)} |
| 4 | {4 * rk["workers_per_replica"]} | {_f(p["4"], 1)} | {_f(q["4"], 1)} |

4 replicas ÷ 1: **{_f(rk["ratio_4_to_1"])}×** (target ≤ 1.5×).
"""


def wall_section(r: dict) -> str:
    wp = r.get("wall_profile")
    if not wp:
        return ""
    lines = [
        "## Where the wall time goes: public read, uploads, verify\n",
        f"cProfile with a wall clock around {wp['requests']} in-process requests of each kind "
        "(Django test client, real PostgreSQL and Redis, the run's servers holding their "
        "leases, so a write waits on them as in production); inclusive share of the profiled "
        "time of the functions above 4% (request plumbing left out; "
        "bench/out/profile-wall-*.txt has each whole profile). Profiler overhead inflates "
        "small functions.\n",
    ]
    for name in (
        "project_read_cold",
        "project_read_warm",
        "upload_real",
        "upload_check",
        "verify_read_warm",
    ):
        x = wp.get(name)
        if not x:
            continue
        lines.append(f"**{name.replace('_', ' ')}**: {_f(x['ms_per_request'])} ms per request\n")
        lines.append("| function | share | calls per request |\n| --- | ---: | ---: |")
        for row in x["top"][:10]:
            lines.append(
                f"| `{row['function']}` | {row['share'] * 100:.0f}% | "
                f"{_f(row['calls_per_request'])} |"
            )
        lines.append("")
    return "\n".join(lines) + "\n"
