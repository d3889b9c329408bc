"""Render bench/out/results.json into docs/performance.md and docs/performance.png."""

from __future__ import annotations

import json
import time
from pathlib import Path

from bench import report_cpu, report_next_steps
from bench import report_issue25 as issue25
from bench.report_format import fixed as _f

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "out" / "results.json"
DOC = ROOT / "docs" / "performance.md"
PLOT = ROOT / "docs" / "performance.png"

LABELS = {
    "bare_plain": "**ceiling**: plain `JsonResponse` view, bare project (no middleware)",
    "bare_apikey": "**peer**: djangorestframework-api-key `HasAPIKey`, bare project",
    "plain": "plain `JsonResponse` view inside keyservice (dashboard middleware chain)",
    "drf": "unauthenticated DRF `APIView` inside keyservice (dashboard chain)",
    "verify_read": "`POST /internal/v1/verify` access=read",
    "verify_read_nocache": "`POST /internal/v1/verify` access=read, `KEYSERVICE_LEASED_CACHE=off`",
    "verify_read_nousage": "`POST /internal/v1/verify` access=read, key usage off "
    "(`KEYSERVICE_USAGE=false`)",
    "verify_read_dashboard_chain": "`POST /internal/v1/verify` access=read through the "
    "dashboard's chain (every API request before core/chains.py)",
    "verify_write": "`POST /internal/v1/verify` access=write (the write check)",
    "project_detail": "`GET /pixelStripeApi/projects/{projectId}` (public read)",
    "upload_check": "`POST /pixelStripeApi/projects/upload-file`, checks only (400 at `fileUrl`)",
    "upload_real": "`POST /pixelStripeApi/projects/upload-file`, real upload (row + queue)",
    "peer_apikey": "peer: djangorestframework-api-key `HasAPIKey`",
    "peer_knox": "peer: django-rest-knox `TokenAuthentication`",
}
SHORT = {
    "bare_plain": "bare view",
    "bare_apikey": "bare api-key",
    "verify_read_nocache": "verify (cache off)",
    "verify_read_nousage": "verify (usage off)",
    "plain": "plain in-stack",
    "drf": "DRF open",
    "verify_read": "verify read",
    "verify_write": "verify write",
    "project_detail": "project detail",
    "upload_check": "upload check",
    "upload_real": "upload real",
    "peer_apikey": "api-key peer",
    "peer_knox": "knox peer",
}


def plot(r: dict) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = r["small_summary"]
    names = [n for n in LABELS if n in s]
    x = range(len(names))
    fig, (ax1, ax2) = plt.subplots(1, 2, figsize=(13, 4.8), gridspec_kw={"width_ratios": [3, 1]})
    w = 0.27
    ax1.bar([i - w for i in x], [s[n]["rps_ratio"] for n in names], w, label="req/s ÷ bare view")
    ax1.bar(list(x), [s[n]["p50_ratio"] for n in names], w, label="p50 ÷ bare view")
    ax1.bar([i + w for i in x], [s[n]["p99_ratio"] for n in names], w, label="p99 ÷ bare view")
    ax1.axhline(1.0, color="black", linewidth=0.8)
    ax1.axhline(0.6, color="red", linestyle="--", linewidth=1, label="target: verify ≥ 0.6× req/s")
    ax1.set_xticks(list(x))
    ax1.set_xticklabels([SHORT[n] for n in names], rotation=30, ha="right")
    ax1.set_ylabel("ratio to the bare-project JsonResponse view (same round)")
    ax1.set_title(f"{r['small']:,} keys: throughput and latency relative to bare Django")
    ax1.legend(fontsize=8)
    sc = r.get("scale_summary", {})
    if sc:
        pair = ["verify_read", "project_detail"]
        xs = range(len(pair))
        ax2.bar(
            [i - 0.2 for i in xs], [sc[n]["rps_ratio"] for n in pair], 0.4, label=f"{r['small']:,}"
        )
        ax2.bar(
            [i + 0.2 for i in xs],
            [sc[n + "_large"]["rps_ratio"] for n in pair],
            0.4,
            label=f"{r['large']:,}",
        )
        ax2.set_xticks(list(xs))
        ax2.set_xticklabels([SHORT[n] for n in pair])
        ax2.set_title("req/s ÷ bare view, by keys in the database")
        ax2.legend(fontsize=8)
    fig.tight_layout()
    PLOT.parent.mkdir(exist_ok=True)
    fig.savefig(PLOT, dpi=110)


def _met(ok: bool) -> str:
    return "met" if ok else "not met"


def targets(r: dict) -> list[tuple[str, str, str]]:
    """Issue 12's targets, against the bare-project ceiling and peer of the same rounds."""
    s = r["small_summary"]
    va = r["vs_apikey"]
    rows = []
    v, vw = s["verify_read"]["rps_ratio"], s["verify_write"]["rps_ratio"]
    rows.append(
        (
            "verify ≥ 0.6× the bare Django view (stretch 0.85×), req/s",
            f"read {_f(v)}×, write {_f(vw)}×",
            _met(min(v, vw) >= 0.6) + (" (stretch met)" if min(v, vw) >= 0.85 else ""),
        )
    )
    rows.append(
        (
            "verify ≥ 2× djangorestframework-api-key in its own bare project, req/s",
            f"read {_f(va['verify_read'])}×, write {_f(va['verify_write'])}×",
            _met(min(va["verify_read"], va["verify_write"]) >= 2),
        )
    )
    d = s["project_detail"]["rps"] / s["verify_read"]["rps"]
    rows.append(("public project read ≥ 0.85× verify, req/s", f"{_f(d)}×", _met(d >= 0.85)))
    c1 = r["c1"]
    lat = c1["verify_read"]["p50_ms"] / c1["bare_plain"]["p50_ms"]
    rows.append(
        (
            "at concurrency 1, verify p50 ≤ 1.5× the bare view's",
            f"{_f(lat)}× ({_f(c1['verify_read']['p50_ms'])} ms vs "
            f"{_f(c1['bare_plain']['p50_ms'])} ms)",
            _met(lat <= 1.5),
        )
    )
    if "scale_ratio" in r:
        norm = r["scale_ratio"]["verify_read"]
        rows.append(
            (
                f"{r['large']:,} keys ≥ 0.95× the throughput at {r['small']:,}",
                f"{_f(norm)}× (verify read, two servers on two databases, same rounds)",
                _met(norm >= 0.95),
            )
        )
    hm = r["hit_miss"]["rows"]
    hit = hm["verify read, warm hit (leases)"]["db_round_trips"]
    miss = hm["verify read, miss (leases)"]["db_round_trips"]
    writes = sum(x["writes"] for x in hm.values()) + r["db_under_load"]["rows_written"]
    rows.append(
        (
            "0 database round trips on a warm hit, ≤ 1 on a miss, 0 writes (verify)",
            f"warm hit {hit}, miss {miss}, writes {writes} "
            f"(KEYSERVICE_LEASED_CACHE={r['hit_miss']['verify_cache']})",
            _met(hit == 0 and miss <= 1 and writes == 0),
        )
    )
    on, off = s["verify_read"]["rps_ratio"], s["verify_read_nocache"]["rps_ratio"]
    rows.append(
        (
            "the bench also runs verify with the cache off",
            f"on {_f(on)}×, off {_f(off)}× the bare view",
            "shown",
        )
    )
    usage_off = s["verify_read_nousage"]["rps_ratio"]
    rows.append(
        (
            "verify with key usage on vs off (issue 13: the hot-path targets hold with it on)",
            f"on {_f(on)}×, off {_f(usage_off)}× the bare view",
            "shown",
        )
    )
    return rows


def ceiling_section(r: dict) -> str:
    s, va, c1 = r["small_summary"], r["vs_apikey"], r["c1"]
    lines = ["## Against the bare-project ceiling and peer\n"]
    lines.append(
        "The ratios of issue 12: each keyservice endpoint's req/s ÷ the bare project's plain "
        "`JsonResponse` view (the ceiling: Django with no middleware, bench/bare/settings.py) "
        "and ÷ djangorestframework-api-key's `HasAPIKey` in its own bare project "
        "(bench/bare/settings_apikey.py), each on its own gunicorn with the same "
        "gunicorn.conf.py (same workers, same access log), medians of the per-round ratios:\n"
    )
    lines.append(
        "| endpoint | req/s | ÷ bare view | ÷ bare api-key peer |\n| --- | ---: | ---: | ---: |"
    )
    for n in (
        "verify_read",
        "verify_write",
        "verify_read_nocache",
        "verify_read_nousage",
        "project_detail",
    ):
        x = s[n]
        lines.append(f"| {LABELS[n]} | {x['rps']:.0f} | {_f(x['rps_ratio'])} | {_f(va[n])} |")
    for n in ("bare_plain", "bare_apikey"):
        lines.append(f"| {LABELS[n]} | {s[n]['rps']:.0f} | {_f(s[n]['rps_ratio'])} | |")
    lines.append(
        f"\nThe verify cache: the main keyservice server runs with "
        f"`KEYSERVICE_LEASED_CACHE={r['hit_miss']['verify_cache']}`, a second one with "
        "`KEYSERVICE_LEASED_CACHE=off`; both serve the same database. A build without the "
        "cache ignores the variable, and both rows measure the same code. A third server runs "
        "with key usage off (`KEYSERVICE_USAGE=false`: no per-process counting, no flush "
        "thread), the rest identical.\n"
    )
    lines.append("### One connection (`wrk -c1`): latency without queueing\n")
    lines.append(
        "| target | p50 ms | p99 ms | req/s | requests |\n| --- | ---: | ---: | ---: | ---: |"
    )
    for n in ("bare_plain", "verify_read", "project_detail"):
        x = c1[n]
        lines.append(
            f"| {LABELS[n]} | {_f(x['p50_ms'])} | {_f(x['p99_ms'])} | {x['rps']:.0f} "
            f"| {x['requests']:,} |"
        )
    hm = r["hit_miss"]
    lines.append("\n### Database round trips and writes: warm hit and miss\n")
    lines.append(
        "Counted at the driver (Django test client, every psycopg execute and Redis "
        f"command), `KEYSERVICE_LEASED_CACHE={hm['verify_cache']}`: a *miss* is the first "
        "request for a credential this process has not served; under its lease "
        "(core/leasedcache/) the first miss stores and the second request is a hit that sends "
        "nothing to PostgreSQL or Redis.\n"
    )
    lines.append(
        "| request | status | PostgreSQL round trips | writes | Redis commands |\n"
        "| --- | ---: | ---: | ---: | --- |"
    )
    for label, x in hm["rows"].items():
        redis_cmds = ", ".join(f"{k}×{v}" for k, v in x["redis_commands"].items()) or "none"
        lines.append(
            f"| {label} | {x['status']} | {x['db_round_trips']} | {x['writes']} | {redis_cmds} |"
        )
    lines.append(
        "\nThe in-stack views (plain and DRF, mounted under `/bench/` in keyservice's own "
        "server) are kept because they still tell something: they take the dashboard's "
        "middleware chain (`/bench/` is no API path), so bare view ÷ in-stack plain is what "
        "that chain costs per request, and in-stack DRF ÷ in-stack plain what DRF costs. The "
        "in-stack api-key and knox peers are no longer measured: inside keyservice they paid "
        "the dashboard chain that the APIs no longer pay (core/chains.py), so they compared "
        "unlike with unlike; the bare api-key peer replaces them (no bare knox peer yet).\n"
    )
    return "\n".join(lines)


WORKER_MODEL_TABLE = "\n".join(
    [
        "| target | sync req/s | gevent req/s | gevent ÷ sync per round | median"
        " | CPU µs/request sync → gevent | p99 ms sync → gevent |",
        "| --- | ---: | ---: | --- | ---: | --- | --- |",
        "| verify (kept-alive connections, as the proxy keeps them) |"
        " 2586 | 2965 | 1.21, 0.97, 1.08, 1.07, 1.18 | **1.08** | 633 → 617 | 5.4 → 30.0 |",
        "| verify, `Connection: close` (a new connection per request)"
        " | 2609 | 2141 | 0.77, 0.91, 0.88, 0.81, 0.76 | **0.81** | 655 → 815 | 4.9 → 7.2 |",
        "| verify, `KEYSERVICE_LEASED_CACHE=false` (a query per request)"
        " | 1105 | 1180 | 0.99, 0.50, 1.08, 1.11, 0.92 | **0.99** | 1117 → 1088 | 13.1 → 74.3 |",
    ]
)  # python -m bench.worker_models, 2026-12-07 (docs/performance.md, "Worker model")


def render(r: dict) -> str:
    m = r["machine"]
    s = r["small_summary"]
    out = []
    w = out.append
    finished = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(r.get("finished", time.time())))
    w("# Performance\n")
    w(
        "Generated by `make bench` (bench/run.py → bench/out/results.json → bench/report.py); "
        f"this run: {finished}, "
        f"{r['elapsed_seconds'] / 60:.1f} min"
        + (", **BENCH_QUICK=1 (short run; not the reference numbers)**" if r["quick"] else "")
        + ".\n"
    )
    if r.get("note"):
        w(f"**Note on this run:** {r['note']}\n")
    w(
        "```sh\nmake bench                # full run (~15 min on 2 cores, venv included)\n"
        "BENCH_QUICK=1 make bench  # short run (~3 min)\n```\n"
    )
    w("## Machine\n")
    w(
        f"- `nproc`: {m['nproc']} ({m['cpu']}); `uname -srmv`: {m['uname']}\n"
        f"- Python {m['python']}, PostgreSQL {m['postgres']} "
        f"(shared_buffers {m['shared_buffers']}), "
        f"{m['redis']}, {m['wrk']}\n"
        f"- Django {m['django']}, DRF {m['drf']}, gunicorn {m['gunicorn']}; peers: "
        f"djangorestframework-api-key {m['djangorestframework-api-key']}, "
        f"django-rest-knox {m['django-rest-knox']}\n"
    )
    w("```\n$ free -m\n" + m["free"] + "\n```\n")
    w(
        "Everything runs on these cores at once: gunicorn, PostgreSQL, Redis and wrk, and "
        "whatever else the machine is doing (it is shared). Absolute numbers drift between "
        "runs; the ratios compare targets measured in the same round, interleaved.\n"
    )
    w("## Method\n")
    w(
        f"- The service: `gunicorn -c gunicorn.conf.py keyservice.wsgi` (the repository's file: "
        f"gevent workers, `GUNICORN_WORKERS` default 3, access log on) with `bench.settings` = "
        "`keyservice.settings` with DEBUG off, PostgreSQL, `CONN_MAX_AGE=60`, Redis as cache "
        "and broker, the full middleware stack; plus the bench-only app (plain, DRF and peer "
        "views under `/bench/`) and the upload throttle raised so a load run measures the "
        "endpoint, not 429s. Requests carry `X-Forwarded-Proto: https` as behind the TLS proxy "
        "(`DJANGO_TRUST_X_FORWARDED_PROTO=true`).\n"
        f"- Load: `wrk -t1 -c{r['connections']}` (Lua: bench/lua/requests.lua replays prepared "
        f"requests from bench/out/requests-*.txt), {r['rounds']} round(s) of {r['duration']} s "
        "per target after a warm-up, targets shuffled in each round, the plain view measured at "
        "the start and end of every round. Ratios are medians over rounds of (target ÷ plain "
        "of that round). Every target is first checked request by request (status and body); "
        "'unexpected' counts answers other than the expected status and socket errors.\n"
        f"- Data: {r['small']:,} users, each with one active key (real format, AES ciphertext, "
        "HMAC digest) and one project; every 4th user is a FULL member and every 4th a "
        "READONLY member of a neighbour's project; seeded with COPY from worker processes. "
        f"The load replays 2 000 credentials sampled over the whole table; verify read mixes "
        "OWNER, FULL and READONLY access. The peers have one key/token for each of those users, "
        "created with their own generators, and their views are DRF views configured exactly "
        "like keyservice's (`StrictJSONParser`, `JSONRenderer`, same exception handler, same "
        "body and answer) but check only their credential: keyservice's verify also checks a "
        "service token, the project and the membership.\n"
        "- Upload: *checks only* sends a valid key/user/project with an invalid `fileUrl`: every "
        "check of the contract's rows 1-12 (HTTPS, flood budget, JSON, credentials, key, owner, "
        "project, write access) passes and the answer is the expected 400, with no write. "
        "*Real upload* creates the upload row, the `build.uploaded` event and a Celery message "
        "(queue purged after the run).\n"
        "- Leases: the servers of the small database (keyservice's, with the cache on, and the "
        "one with key usage off: two replicas of one deployment) hold their leases in one Redis "
        "database, so a write there waits for their 6 holders; the servers of the large "
        "database are another deployment, with leases of their own.\n"
    )
    w(f"## Results at {r['small']:,} keys\n")
    w(
        "| target | req/s | × bare view | p50 ms | × bare | p99 ms | × bare | requests "
        "| unexpected |\n"
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
    )
    for n, label in LABELS.items():
        if n not in s:
            continue
        x = s[n]
        w(
            f"| {label} | {x['rps']:.0f} | {_f(x['rps_ratio'])} | {_f(x['p50_ms'])} | "
            f"{_f(x['p50_ratio'])} | {_f(x['p99_ms'])} | {_f(x['p99_ratio'])} | "
            f"{x['requests']:,.0f} | {x['unexpected']:.0f} |"
        )
    w("\n![ratios to the bare Django view](performance.png)\n")
    w(issue25.cache_counts_section(r))
    w(issue25.issue_table(r))
    w(ceiling_section(r))
    sc = r.get("scale_summary")
    if sc:
        w(f"## {r['small']:,} vs {r['large']:,} keys/users\n")
        w(
            f"A second database seeded with {r['large']:,} users, keys, projects and memberships "
            f"({r['large_seed_seconds']:.0f} s, COPY from one process per core) behind a second, "
            "identical gunicorn; its targets run in the same rounds as the small database's, "
            "with 2 000 credentials sampled over the whole table, after one run of each on its "
            "own (the small server had served the credentials it replays for three rounds "
            "already, so the rounds compare sizes, not a warm server with a cold one):\n"
        )
        w(
            f"| target | req/s at {r['small']:,} | × bare view | req/s at {r['large']:,} | × bare "
            f"| {r['large']:,} ÷ {r['small']:,} (same round) |\n"
            "| --- | ---: | ---: | ---: | ---: | ---: |"
        )
        for n in ("verify_read", "project_detail"):
            big = sc[n + "_large"]
            w(
                f"| {LABELS[n]} | {sc[n]['rps']:.0f} | {_f(sc[n]['rps_ratio'])} | "
                f"{big['rps']:.0f} | {_f(big['rps_ratio'])} | {_f(r['scale_ratio'][n])} |"
            )
        w("")
    w(issue25.longtail_section(r))
    w("## Queries and round trips per request\n")
    w(
        "Counted at the driver with Django's test client (the WSGI handler's "
        "`close_old_connections()` called before each request, as in production): Django's "
        "`CaptureQueriesContext`, every statement psycopg sends (so Django's own "
        "`CONN_HEALTH_CHECKS` probe is seen too), rows-writing statements, and Redis commands.\n"
    )
    w("| request | status | Django queries | PostgreSQL round trips | writes | Redis commands |")
    w("| --- | ---: | ---: | ---: | ---: | --- |")
    for label, x in r["per_request"].items():
        redis_cmds = ", ".join(f"{k}×{v}" for k, v in x["redis_commands"].items()) or "none"
        w(
            f"| {label} | {x['status']} | {x['django_queries']} | {x['db_round_trips']} | "
            f"{x['writes']} | {redis_cmds} |"
        )
    load = r["db_under_load"]
    w(
        f"\nUnder load, PostgreSQL's own counters (`pg_stat_database`) for one verify run of "
        f"{load['requests']:,} requests: {_f(load['transactions_per_request'], 3)} statements "
        f"(autocommit transactions) per verify and {load['rows_written']} rows inserted, "
        "updated or deleted.\n"
    )
    cl = r["connection_loss"]
    w(
        f"Connection loss: during a verify run of {cl['requests']:,} requests every backend of "
        f"the database was terminated twice ({cl['terminated']} connections); answers other "
        f"than 200: **{cl['not_200']}**.\n"
    )
    ip = r["inprocess"]
    w("## CPU per request in-process\n")
    w(
        f"The Django test client in the driver process, {ip['requests']:,} requests each, real "
        "PostgreSQL and Redis, no HTTP server and no load generator (much less sensitive to "
        "the machine's other load):\n"
    )
    w("| request | CPU µs | × plain |\n| --- | ---: | ---: |")
    base = ip["cpu_us"]["plain"]
    for n, us in ip["cpu_us"].items():
        w(f"| {LABELS.get(n, n)} | {us:.0f} | {_f(us / base)} |")
    w("")
    w("## Request API Key and its email\n")
    rk, em = r["request_key"], r["email"]
    w(
        f"- Request API Key over HTTP with a signed-in session (confirmation page, then the "
        f"POST that rotates the key, renders it once and enqueues the email; no worker "
        f"running): {rk['requests']} requests, POST p50 **{_f(rk['post_p50_ms'], 1)} ms**, "
        f"p99 {_f(rk['post_p99_ms'], 1)} ms (mean {_f(rk['post_mean_ms'], 1)} ms); the "
        f"confirmation page GET p50 {_f(rk['get_p50_ms'], 1)} ms.\n"
        f"- From the POST to the email arriving at a real SMTP server (aiosmtpd) through a real "
        f"Celery worker (`celery -A keyservice worker`, Redis broker): {em['emails']} emails, "
        f"p50 **{_f(em['p50_ms'], 0)} ms**, min {_f(em['min_ms'], 0)} ms, max "
        f"{_f(em['max_ms'], 0)} ms.\n"
    )
    w(issue25.replicas_section(r))
    w("## Targets\n")
    w("| target | measured | |\n| --- | --- | --- |")
    for name, measured, verdict in targets(r):
        w(f"| {name} | {measured} | **{verdict}** |")
    w("")
    w(report_next_steps.between_section(r))
    w(report_cpu.cpu_section(r))
    w(issue25.wall_section(r))
    w(between_section(r))
    w(profile_section(r))
    return "\n".join(out) + "\n"


def between_section(r: dict) -> str:
    """What stands between each unmet target and its measurement, from this run's figures."""
    s, runs = r["small_summary"], r["runs_small"]
    p = r.get("profile", {}).get("inclusive", {})
    c1 = r["c1"]
    rounds = list(zip(runs["project_detail"], runs["verify_read"], strict=True))
    per_round = ", ".join(f"{d['rps']:.0f} ÷ {v['rps']:.0f}" for d, v in rounds)
    last = rounds[-1][0]["rps"] / rounds[-1][1]["rps"]
    handle = p.get("gunicorn: handle one request (all of it)", 0)
    wsgi = p.get("Django WSGIHandler.__call__ (middleware + view)", 0)
    access = p.get("gunicorn access log line", 0)
    lean = p.get("lean transport (api/lean.py)", 0)
    ip = r["inprocess"]["cpu_us"]
    return f"""## What stands between the measurements and the targets

- **Verify ÷ bare view** ({_f(s["verify_read"]["rps_ratio"])}×): a warm hit sends nothing to
  PostgreSQL or Redis, so what remains is CPU. In the workers (py-spy above) one request is
  {handle * 100:.0f}% of the samples, of which Django's WSGI handler (middleware, signals,
  the view) {wsgi * 100:.0f}% and the lean transport with the verification
  {lean * 100:.0f}%; the rest is gunicorn's own work per connection (parsing, the socket,
  the graceful close, the access line: {access * 100:.0f}% alone), which the bare view pays
  too but for fewer response headers (the API's contract sends eight: request id, security
  headers, `Allow`). In-process, verify costs {ip["verify_read"]:.0f} µs of CPU on the APIs'
  chain (in-stack plain view: {ip["plain"]:.0f} µs on the dashboard's). What is left is the
  contract itself (the service token and key digests, the cache lookup, the usage count,
  the request id, the security headers, the latency metrics), Django's per-request signals
  (`close_old_connections` twice, the persistent connection's bookkeeping) and the
  middleware the contract needs; none of it is DRF any more.
- **Public read ÷ verify** ({_f(s["project_detail"]["rps"] / s["verify_read"]["rps"])}×,
  per round {per_round} req/s): the cache is per process, so each of the 2 000 replayed
  credentials misses once in each of the 3 workers (two queries each, the credential and
  the project's extras), and wrk spreads them over the workers at random: the first rounds
  are mostly misses. The last round, warmer, is {_f(last)}×. Warm, the read costs what
  verify costs plus a larger
  answer ({ip["project_detail"]:.0f} µs in-process vs {ip["verify_read"]:.0f} µs).
- **Concurrency 1** (verify p50 {_f(c1["verify_read"]["p50_ms"])} ms vs
  {_f(c1["bare_plain"]["p50_ms"])} ms): the same per-request CPU, unhidden by parallelism.
- **1,000,000 ÷ 10,000**: both rounds run on separate servers in the same rounds, each
  warming its own per-process caches; the ratio ({
        _f(r.get("scale_ratio", {}).get("verify_read", 0))
    } here) moves with how warm each server got, while the lookups are unique-index probes
  at either size.
"""


def profile_section(r: dict) -> str:
    s = r["small_summary"]
    ip = r["inprocess"]
    shares = ip["verify_cprofile_share"]
    p = r.get("profile", {})
    lines = ["## What the profile says\n"]
    lines.append(
        "Two profiles of the verify path: py-spy sampling the gunicorn workers under wrk load "
        "(bench/out/profile-verify.txt, raw stacks), and cProfile with a CPU clock around "
        "in-process requests. Share of the verify request's CPU (cProfile, inclusive; "
        "profiler overhead inflates small functions):\n"
    )
    before = ip.get("verify_cprofile_share_dashboard_chain", {})
    lines.append(
        "| part of a verify request | share, APIs' chain | share, dashboard's chain (before) |"
        "\n| --- | ---: | ---: |"
    )
    for label, share in shares.items():
        old = f"{before[label] * 100:.1f}%" if label in before else ""
        lines.append(f"| {label} | {share * 100:.1f}% | {old} |")
    if "verify_read_dashboard_chain" in ip["cpu_us"]:
        lines.append(
            f"\nThe same verify costs {ip['cpu_us']['verify_read']:.0f} µs of CPU on the APIs' "
            f"chain and {ip['cpu_us']['verify_read_dashboard_chain']:.0f} µs through the "
            "dashboard's (the middleware the APIs no longer run)."
        )
    if "inclusive" in p:
        lines.append(
            f"\npy-spy, {p['samples']:,} samples of the workers under load (on this VM py-spy "
            "cannot tell waiting from running, so this is wall time inside the workers, "
            "round trips included):\n"
        )
        lines.append("| frame on the stack | share of samples |\n| --- | ---: |")
        for label, share in p["inclusive"].items():
            lines.append(f"| {label} | {share * 100:.1f}% |")
        lines.append("\n| innermost frame's component | share of samples |\n| --- | ---: |")
        for label, share in p["self_by_component"].items():
            lines.append(f"| {label} | {share * 100:.1f}% |")
    cpu = ip["cpu_us"]
    transport = next((v for k, v in shares.items() if k.startswith("lean transport")), 0)
    body = next((v for k, v in shares.items() if k.startswith("verify_answer")), 0)
    parse = next((v for k, v in shares.items() if k.startswith("  JSON body parsing")), 0)
    render = next((v for k, v in shares.items() if k.startswith("  JSON rendering")), 0)
    lines.append(
        f"""
Reading them:

- **In-process CPU per request**: the in-stack plain view {cpu["plain"]:.0f} µs (the
  dashboard chain around it), in-stack DRF {cpu["drf"]:.0f} µs, verify
  {cpu["verify_read"]:.0f} µs and the public project read {cpu["project_detail"]:.0f} µs
  (both on the APIs' own chain). On the HTTP runs the bare view ÷ in-stack plain view is what
  the dashboard chain costs: {_f(1 / s["plain"]["rps_ratio"])}× in req/s.
- **The lean transport** (api/lean.py) serves verify and the project read without DRF's
  request wrapper, negotiation, `initial` hooks, `finalize_response` and template-response
  rendering; DRF's view answers only unusual requests (another Accept, a malformed body,
  OPTIONS), so `APIView.dispatch` is 0% of a usual verify. The transport is
  {transport * 100:.0f}% of verify's CPU, of which the view body (`verify_answer`: digests,
  cache, usage) {body * 100:.0f}%, reading the JSON body {parse * 100:.0f}% and rendering
  the answer {render * 100:.0f}%.
- **Middleware**: the APIs take their own chain (core/chains.py, settings
  `KEYSERVICE_API_MIDDLEWARE`): request ids, SecurityMiddleware, CommonMiddleware,
  X-Frame-Options, nothing else, so sessions, CSRF, messages, authentication, CSP,
  whitenoise and allauth no longer run on the hot path (the session/messages row above is
  0 for that reason).
- **Redis client per cache call**: Django's Redis cache backend builds a new `redis.Redis`
  client for every operation (`RedisCacheClient.get_client`); since issue 25 the service's
  backend (core/cache.py, `FailSoftRedisCache`) keeps one client per pool, so the rate
  limits (upload, distribute, the failed-authentication budget) pay their round trips only.
- **Size**: the lookups are unique-index probes (digest, project public id, membership by
  owner/member); {r["large"] // r["small"]}× more keys gave
  {_f(r.get("scale_ratio", {}).get("verify_read", 0))}× the verify throughput in the same
  rounds.
- **gunicorn**: gevent workers keep a connection alive between requests (wrk reuses its
  eight); the bare projects run under the same gunicorn.conf.py, so the ratios compare
  Django stacks, not servers.

## Worker model

gunicorn runs gevent workers since issue 22 (a slow client holds a greenlet, never a worker:
[deployment.md](deployment.md#a-slow-client-holds-no-worker)). Measured apart from `make
bench` by `python -m bench.worker_models` (bench/worker_models.py): a `sync` and a `gevent`
server side by side, each `gunicorn -c gunicorn.conf.py` with 2 workers on a loopback port,
production settings and one seeded key, `wrk -t1 -c8`, 5 rounds of 4 s, targets and servers
shuffled in each round. CPU is the gunicorn processes' own (user + system, from /proc) per
request: it moves far less than req/s on a shared machine. Run of 2026-12-07, 05:40
UTC, nothing else running:

{WORKER_MODEL_TABLE}

- **Verify, the hot path**: the same CPU per request and a little more throughput (1.08×):
  the sync worker closes every connection after its answer; gevent keeps it, which pays for
  its greenlet switches and Python-level socket calls. (A first run, on a machine shared with
  other test runs, gave 1.03×.)
- **A new connection per request** costs gevent about 160 µs more CPU (0.81× the req/s):
  accepting and ending a connection goes through gevent's hub. Behind Caddy the connections
  to gunicorn are kept alive (2 s), so this is what clients talking to gunicorn directly
  without keep-alive pay.
- **A query per request**: the same req/s and CPU per request (the pool checks out a
  connection per request, where the sync worker keeps one).
- **p99**: higher under gevent (30 ms vs 5.4 ms on the hot path at 8 connections; the
  main tables above show it too): a worker interleaves the requests of every connection it
  accepted, where the sync worker takes one connection at a time and the others wait in the
  kernel's queue. Throughput and p50 hold; the tail is what this worker model costs today.
- Exploration before the choice (same method, 3-5 rounds, this machine): gunicorn's own
  `asgi` worker with Django's ASGI handler served verify at 0.27× the sync worker (a thread
  per request, sync-to-async hops); the same worker running the WSGI app through asgiref's
  `WsgiToAsgi` (one thread per worker, the body read before the app runs) 0.74-0.99× with
  1.35× the CPU per request; `gthread` reads each request in a thread of its own (a slow
  client holds the thread), so it was not an answer.

## Changes made for the hot path

- `core/chains.py`: `ApiChainMiddleware`, first in `MIDDLEWARE`, sends every API path
  (`is_api_path`, the same rule as the APIs' JSON error views) down a second chain built
  from `KEYSERVICE_API_MIDDLEWARE`; the dashboard keeps `MIDDLEWARE` as Django builds it.
  The test client builds the same handler, so every contract test runs the served path;
  tests/contract/test_api_headers.py pins every API answer's headers.
- `apikeys/verifier/credentials.py` `_fetch_one`: the credential query serves as the connection's
  health check (`CONN_HEALTH_CHECKS`), one round trip instead of two; PostgreSQL counts
  {_f(r["db_under_load"]["transactions_per_request"], 3)} statements per verify under load.
- `api/lean.py`: verify's and the project read's URLs call a lean transport that answers a
  usual request (JSON in and out, no negotiation) through plain Django, with the same handler
  function, exception handler and JSONRenderer as the DRF view, which answers every other
  request; api/tests/test_lean_transport.py sends every kind of request both ways and
  compares status, bytes and headers. The API's routes are the first in `keyservice/urls.py`.
- `core/chains.py` `MiddlewareChain.resolve_request`: the APIs' chain keeps each path's
  `ResolverMatch` (a bounded LRU; the URL resolving row above is 0 on the APIs' chain for
  that reason); `core/request_id.py`: request ids from the `random` module (reseeded per
  process and after fork) instead of a getrandom system call each; `core/metrics.py`: each
  label set's child kept instead of looked up under a lock per request; `api/auth.py`: the
  client address read from META, not from `request.headers` (which copies all of META).
- `api/base.py` `JsonNegotiation`: a request that accepts JSON as it is skips DRF's
  media-type parsing and ranking; any other `Accept` goes through DRF's negotiation (406).
- `core/leasedcache/`: while a process holds its lease a hit sends nothing to Redis or
  PostgreSQL and the first miss stores its answer; every write returns only after each holder
  dropped what it changes (docs/scaling.md, "Leases"). Same run:
  {_f(s["verify_read"]["rps_ratio"])}× the bare view with the cache,
  {_f(s["verify_read_nocache"]["rps_ratio"])}× with it off.
- `api/project_extras.py`: the public project read's webhook settings and files are read in
  one query (a LEFT JOIN and an ARRAY subquery: a cold read is 2 queries, was 3) and cached
  as depending on the project (what it reads is declared beside it), so its warm hit
  makes no query either.
- Issue 25: the extras' query is built once per process (raw SQL answering one JSON text;
  building and compiling the ORM queryset on every miss cost more than its round trip);
  uploads and webhook edits announce `PROJECT_EXTRAS` instead of `PROJECT`, so they no
  longer drop every worker's cached credentials for the project (the hit/miss counts above
  showed it); `core/cache.py` keeps one `redis.Redis` per pool (Django builds one per cache
  operation; the rate limits pay their round trips only); `upload_create` publishes its
  hand-over from the rows in hand instead of reading them again.
"""
    )
    return "\n".join(lines)


def main() -> None:
    r = json.loads(RESULTS.read_text())
    plot(r)
    DOC.write_text(render(r))
    print(f"wrote {DOC.relative_to(ROOT)} and {PLOT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
