"""docs/performance.md's "what stands between each figure and its target" for issue 25's rows:
this run's figures beside what the profiles and the CPU accounting say about each."""

from __future__ import annotations

import pstats

from bench.config import OUT
from bench.report_cpu import ROWS as CPU_ROWS
from bench.report_cpu import cpu_per_request
from bench.report_format import cache_counts as _cache
from bench.report_format import fixed as _f
from bench.report_issue25 import first_round_ratio


def _profiled_share(case: str, function: str) -> float | None:
    """`function`'s inclusive share of the case's whole wall-clock profile (the run's
    bench/out/profile-wall-<case>.prof; the top list keeps only 16 rows), None without it."""
    path = OUT / f"profile-wall-{case}.prof"
    if not path.exists():
        return None
    stats = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
    total = sum(v[2] for v in stats.values())
    found = [v[3] for (_, _, name), v in stats.items() if name == function]
    return max(found) / total if found and total else 0.0


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
    lt = r.get("longtail", {})
    rk = r.get("request_key_replicas", {})
    detail = s["project_detail"]
    publish = _share(wp, "upload_real", "leases_publish")
    celery = _profiled_share("upload_real", "send_task")
    celery_text = "not profiled" if celery is None else f"{celery * 100:.0f}%"
    first = r["runs_small"]["project_detail"][0].get("cache", {})
    cpu = {name: cpu_per_request(r["runs_small"].get(name, [])) for name in CPU_ROWS}
    bare = sum(cpu["bare_plain"].values()) if cpu["bare_plain"] else 0.0
    upload = cpu["upload_real"] or {}
    upload_total = sum(upload.values())
    return f"""## Issue 25: what stands between each figure and its target

The section "The machine's CPU per request" below says it in numbers: the cores are saturated,
so each ratio is the bare view's CPU per answer ÷ the target's ({bare:.2f} ms for the bare
view in this run).

- **Verify ÷ bare view and ÷ the api-key peer**: a warm hit sends nothing to PostgreSQL or
  Redis (the counts above), so what is left is the serving workers' CPU per request:
  {ip["verify_read"]:.0f} µs in-process on the APIs' chain. The py-spy profile below says
  where: gunicorn's parsing and access line (the bare view pays them too), Django's handler
  with the chain the contract needs (request ids, the security headers, Host validation),
  Django's per-request signals (`close_old_connections` through asgiref's locals), the
  Prometheus counters, the lean transport's JSON in and out, the digests. No single part is
  more than a few per cent. Next step: answer the usual verify at the WSGI layer, as the
  lean transport answers it without DRF (the same bytes and headers, checked both ways
  like api/tests/test_lean_transport.py), instead of cutting each part.
- **Public project read ÷ bare view** ({_f(detail["rps_ratio"])}×, first round
  {_f(first_round_ratio(r, "project_detail"))}× with {_cache(first)} hits / misses /
  bypasses): warm, it costs what verify costs plus a larger answer; a miss costs two
  queries (the credential, then the project's extras), each prepared since issue 25
  (core/onerow.py: planned once per connection, not on every miss), and every worker misses
  each credential and project once. In-process a cold read is {_f(cold)} ms of wall time
  against {_f(warm)} ms warm. Next step: on a miss of both, read the extras in the
  credential's query (one round trip).
- **Real upload ÷ bare view** ({_f(s["upload_real"]["rps_ratio"])}×, p50
  {_f(s["upload_real"]["p50_ms"], 1)} ms): the machine spends {upload_total:.2f} ms of CPU per
  upload ({upload.get("serving", 0.0):.2f} in the serving workers,
  {upload.get("other_servers", 0.0):.2f} in the other servers' workers, whose lease holders
  wake twice per upload to acknowledge it, {upload.get("postgres", 0.0):.2f} in PostgreSQL);
  0.2× needs at most {5 * bare:.2f} ms. Since issue 25 an upload reads neither the project
  nor the user again (the credential's query read them) and skips DRF (api/lean.py): it is
  the insert, the webhook lookup, the commit and the hand-over's update (four statements,
  two transactions), the Celery publish ({celery_text} of its wall time in-process),
  and the tracked write's two announcements ({publish * 100:.0f}%), each waking every lease
  holder of the deployment. The serving workers alone spend
  {upload.get("serving", 0.0):.2f} ms against that whole budget, so the other groups' share
  cannot close the gap by itself. Next steps: the webhook lookup from the cached extras (a
  statement less); holders that acknowledge a burst of changes with one renewal; then the
  serving workers' own work (the ORM's insert and transaction, the Celery publish), which
  the profile above splits.
- **Upload, checks only ÷ bare view** ({_f(s["upload_check"]["rps_ratio"])}×): on the lean
  transport since issue 25, it costs what verify costs plus the write check and the body's
  validation; what stands between it and its target is verify's (above).
- **Verify p50 at one connection** ({_f(c1["verify_read"]["p50_ms"])} ms vs
  {_f(c1["bare_plain"]["p50_ms"])} ms): the same CPU per request, unhidden by parallelism.
- **Cold long tail** ({_f(lt.get("ratio", 0.0))}×, {_cache(lt.get("cache", {}))} hits /
  misses / bypasses): fresh workers miss each key once per worker, and a miss is the
  credential query, prepared since issue 25 (PostgreSQL planned it on every miss: 0.35-0.45
  ms of its CPU against 0.05 ms of execution). What remains per miss is the round trip and
  the verifier's work around it; a cache shared by the workers is not on the table (the
  leases are per process, docs/scaling.md). Under gunicorn's gevent workers a request
  that reads PostgreSQL first checks a connection out of psycopg's pool, which runs
  Django's health check on it (`CONN_HEALTH_CHECKS`: an empty query): there a miss is two
  round trips, not the one counted in-process above. Next step: skip that check for a
  connection given back moments ago (Django passes the pool its `check` itself; it needs
  the database backend's pool, not a setting), with the hot reads' own retry on a dead
  connection (core/onerow.py) taking over.
- **Request API Key, 4 replicas ÷ 1** ({_f(rk.get("ratio_4_to_1", 0.0))}×, target ≤ 1.5×): the
  rotation's write waits twice for the slowest of every holder (3 per replica). Since issue 25 the
  writer polls the acknowledgements every millisecond at most for its first 25 ms (a 5 ms
  pause overshot 12 holders' usual 3 ms by as much again); what remains above 1× is 12
  holders' processes waiting for 2 cores.
- **RSS**: bounded by `KEYSERVICE_LEASED_CACHE_SIZE` (entries per process).
"""
