"""The sections of docs/performance.md for issue 25 (every endpoint, not only verify): the
issue's table with this run's figures, the leased cache's hit/miss counts of every run, the
cold long tail and the workers' memory, Request API Key with 1 and 4 replicas holding leases,
and where the wall time of the public read, the uploads and verify goes (bench/wallprofile.py).
"""

from __future__ import annotations

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


def _f(x: float, digits: int = 2) -> str:
    return f"{x:.{digits}f}"


def _verdict(ok: bool) -> str:
    return "**met**" if ok else "**not met**"


def _cache(c: dict) -> str:
    return f"{c.get('hit', 0):,} / {c.get('miss', 0):,} / {c.get('bypass', 0):,}"


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

Resident memory (VmRSS) of each worker: {", ".join(f"{x:.0f}" for x in lt["rss_mb_before"])}
MiB when started, {", ".join(f"{x:.0f}" for x in rss)} MiB after the run. What bounds it is
`KEYSERVICE_LEASED_CACHE_SIZE` (entries per process, an LRU; {lt["cache_size_setting"]:,}
here, the default): each entry is a credential's answer or a project's extras, so a worker's
memory grows with the distinct keys it serves up to that many entries, then stays.
"""


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


def _share(wp: dict, case: str, needle: str) -> float:
    """The largest inclusive share among a case's listed functions whose name has `needle`."""
    rows = wp.get(case, {}).get("top", [])
    return max((row["share"] for row in rows if needle in row["function"]), default=0.0)


def between_section(r: dict) -> str:
    """For each of issue 25's rows: what stands between the figure and the target."""
    s, c1, ip = r["small_summary"], r["c1"], r["inprocess"]["cpu_us"]
    wp = r.get("wall_profile", {})
    cold = wp.get("project_read_cold", {}).get("ms_per_request", 0.0)
    warm = wp.get("project_read_warm", {}).get("ms_per_request", 0.0)
    up = wp.get("upload_real", {})
    lt = r.get("longtail", {})
    rk = r.get("request_key_replicas", {})
    detail = s["project_detail"]
    publish = _share(wp, "upload_real", "leases_publish")
    celery = _share(wp, "upload_real", "send_task")
    celery_text = f"{celery * 100:.0f}%" if celery else "under 4%"
    first = r["runs_small"]["project_detail"][0].get("cache", {})
    return f"""## Issue 25: what stands between each figure and its target

- **Verify ÷ bare view and ÷ the api-key peer**: a warm hit sends nothing to PostgreSQL or
  Redis (the counts above: the rounds are hits but for each worker's first lookup of each
  credential), so what is left is CPU per request: {ip["verify_read"]:.0f} µs in-process on
  the APIs' chain (the profile below says where: the middleware the contract needs, the lean
  transport's JSON in and out, the digests, Django's per-request signals). Next step: a
  profile-driven cut of that CPU (e.g. the security headers and request id written once per
  answer rather than by three middleware), not I/O.
- **Public project read ÷ bare view** ({_f(detail["rps_ratio"])}×, first round
  {_f(first_round_ratio(r, "project_detail"))}× with {_cache(first)} hits / misses /
  bypasses): a miss costs two queries (the credential, then the project's extras), and every
  worker misses each credential and each project once. In-process a cold read is
  {_f(cold)} ms of wall time against {_f(warm)} ms warm. Since issue 25 the extras' query is
  built once per process (its ORM construction and compilation cost more than its round
  trip); what remains is the second round trip (next step: read the extras in the
  credential's query on a miss of both) and each worker warming alone.
- **Real upload ÷ bare view** ({_f(s["upload_real"]["rps_ratio"])}×, p50
  {_f(s["upload_real"]["p50_ms"], 1)} ms): in-process, one upload is
  {_f(up.get("ms_per_request", 0.0))} ms of wall time; the profile above shows where: the
  database (about nine round trips: the project, the user, the insert, the webhook lookup,
  two commits, the hand-over's update), the two announcements of the tracked write, each
  waiting until every lease holder of every server acknowledged it
  ({publish * 100:.0f}% of the time), and the Celery publish ({celery_text}). Under load each
  announcement waits for the slowest holder's process to be scheduled. Next steps: wait for
  the pending announcement's acknowledgements just before the commit instead of before the
  statement (the proof needs them before the commit only), and fewer round trips (the user
  and project rows come with the credential already).
- **Upload, checks only ÷ bare view** ({_f(s["upload_check"]["rps_ratio"])}×): the credential
  is a hit; upload-file is still served by DRF's full `APIView` (no lean transport), whose
  request wrapper, negotiation and `initial` hooks cost what the lean transport saved verify.
  Next step: upload-file through api/lean.py.
- **Verify p50 at one connection** ({_f(c1["verify_read"]["p50_ms"])} ms vs
  {_f(c1["bare_plain"]["p50_ms"])} ms): the same CPU per request, unhidden by parallelism.
- **Cold long tail** ({_f(lt.get("ratio", 0.0))}×, {_cache(lt.get("cache", {}))} hits /
  misses / bypasses): fresh workers miss each key once per worker; a miss is the
  credential query. Next step as for the public read: fewer queries per miss; a shared
  cache across workers is not on the table (the leases are per process).
- **Request API Key, 4 replicas ÷ 1** ({_f(rk.get("ratio_4_to_1", 0.0))}×): the rotation's
  write waits twice for the slowest of every holder (3 per replica): an idle replica's
  holder acknowledges within a round trip once its process is scheduled, and on this
  2-core machine 12 holders' processes wait for the CPU more often than 3. Next step: wait
  for the pending announcement only before the commit (one wait overlaps the statements).
- **RSS**: bounded by `KEYSERVICE_LEASED_CACHE_SIZE` (entries per process).
"""
