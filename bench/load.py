# ruff: noqa: S603  (subprocesses are this repository's own tools, argument lists)
"""Probes and load: every target checked before any load, then wrk in shuffled rounds.

Each run has a warm-up; ratios are to the bare project's plain view of the same round; the
one-connection latency (wrk -c1) and the summaries (medians per target) come from here too.
"""

from __future__ import annotations

import json
import random
import statistics
import subprocess

from bench.config import BUILDS_QUEUE, CONNECTIONS, DURATION, QUICK, ROOT, WARMUP, log
from bench.cpu_accounting import GROUPS, CpuAccount
from bench.database import purge_queue
from bench.processes import Gunicorn


def probe(server: Gunicorn, name: str, target: dict, count: int = 20) -> None:
    """Replay the first requests of a target with `requests` and check every answer."""
    import requests

    server = target.get("server", server)

    headers, rows = {}, []
    for line in target["file"].read_text().splitlines():
        f = line.split("\t")
        if f[0] == "H":
            k, _, v = f[1].partition(":")
            headers[k] = v.strip()
        else:
            rows.append(f)
    for f in rows[:count]:
        h = dict(headers)
        if len(f) > 4 and f[4]:
            k, _, v = f[4].partition(":")
            h[k] = v.strip()
        r = requests.request(f[1], server.url + f[2], data=f[3] or None, headers=h, timeout=10)
        if r.status_code != target["expect"]:
            raise RuntimeError(f"{name}: {f[1]} {f[2]} answered {r.status_code}: {r.text[:300]}")
        if target["expect"] == 200 and name.startswith(("verify", "bare", "drf", "plain")):
            assert r.json()["valid"] is True, r.text


def wrk(server: Gunicorn, target: dict, duration: int, connections: int = CONNECTIONS) -> dict:
    server = target.get("server", server)
    cmd = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "-s",
        str(ROOT / "bench" / "lua" / "requests.lua"),
        server.url,
        "--",
        str(target["file"]),
    ]
    before = server.cache_outcomes()
    others = [pid for s in Gunicorn.running if s is not server for pid in s.worker_pids()]
    account = CpuAccount(serving=server.worker_pids(), others=others)
    account.start()
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 60, check=True)
    after = server.cache_outcomes()
    line = next(x for x in out.stdout.splitlines() if x.startswith("BENCHJSON "))
    result = json.loads(line.removeprefix("BENCHJSON "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    expected_errors = result["requests"] if target["expect"] != 200 else 0
    result["unexpected"] = (
        abs(result["status_errors"] - expected_errors)
        + result["connect_errors"]
        + result["read_errors"]
        + result["write_errors"]
        + result["timeouts"]
    )
    # The leased cache's lookups during this run, all workers (zero on the bare projects).
    result["cache"] = {k: after[k] - before[k] for k in OUTCOMES}
    # The machine's CPU per request during this run, by group (bench/cpu_accounting.py).
    result["cpu_ms"] = account.stop(result["requests"])
    return result


OUTCOMES = ("hit", "miss", "bypass")


def cache_total(runs: list[dict], key: str = "cache") -> dict[str, int]:
    return {k: sum(r.get(key, {}).get(k, 0) for r in runs) for k in OUTCOMES}


REFERENCE = "bare_plain"  # the ceiling: a plain JsonResponse view in a bare project


def load_rounds(server: Gunicorn, targets: dict[str, dict], rounds: int) -> dict[str, list]:
    results: dict[str, list] = {name: [] for name in targets}
    warmups: dict[str, dict] = {}
    for name, target in targets.items():
        probe(server, name, target)
        warmups[name] = wrk(server, target, WARMUP)["cache"]
    others = [name for name in targets if name != REFERENCE]
    for n in range(rounds):
        random.Random(n).shuffle(others)
        order = [REFERENCE, *others, REFERENCE]  # the reference runs first and last
        round_results: dict[str, list] = {}
        for name in order:
            if name == "upload_real":
                purge_queue(BUILDS_QUEUE)
            r = wrk(server, targets[name], DURATION)
            round_results.setdefault(name, []).append(r)
            log(
                f"round {n + 1}/{rounds} {name:15s} {r['rps']:8.1f} req/s  "
                f"p50 {r['p50_us'] / 1000:6.2f} ms  p99 {r['p99_us'] / 1000:6.2f} ms  "
                f"CPU {sum(r['cpu_ms'].values()):5.2f} ms/req"
                + (f"  UNEXPECTED {r['unexpected']}" if r["unexpected"] else "")
            )
        for name, runs in round_results.items():
            if name == REFERENCE:  # mean of the first and last reference run of the round
                results[name].append(
                    {
                        **{
                            k: statistics.mean(r[k] for r in runs)
                            for k in ("rps", "p50_us", "p99_us", "requests", "unexpected")
                        },
                        "cpu_ms": {
                            g: statistics.mean(r["cpu_ms"][g] for r in runs) for g in GROUPS
                        },
                    }
                )
            else:
                results[name].append(runs[0])
            if n == 0:  # the warm-up's lookups, reported beside the runs' (never hidden)
                results[name][-1]["warmup_cache"] = warmups[name]
    purge_queue(BUILDS_QUEUE)
    return results


def ratio(results: dict[str, list], name: str, reference: str) -> float:
    """Median over rounds of name's req/s ÷ reference's req/s in the same round."""
    return statistics.median(
        r["rps"] / p["rps"] for r, p in zip(results[name], results[reference], strict=True)
    )


def latency_c1(server: Gunicorn, targets: dict[str, dict]) -> dict:
    """One connection (wrk -c1): latency without queueing, the bare view against verify,
    alternating, each REPEATS times; medians of p50/p99."""
    runs: dict[str, list] = {n: [] for n in ("bare_plain", "verify_read", "project_detail")}
    for _ in range(1 if QUICK else 3):
        for name in runs:
            runs[name].append(wrk(server, targets[name], DURATION, connections=1))
    return {
        name: {
            "p50_ms": statistics.median(r["p50_us"] for r in rs) / 1000,
            "p99_ms": statistics.median(r["p99_us"] for r in rs) / 1000,
            "rps": statistics.median(r["rps"] for r in rs),
            "requests": sum(r["requests"] for r in rs),
            "cache": cache_total(rs),
        }
        for name, rs in runs.items()
    }


def summarize(results: dict[str, list]) -> dict[str, dict]:
    plain = results[REFERENCE]
    summary = {}
    for name, runs in results.items():
        summary[name] = {
            "rps": statistics.median(r["rps"] for r in runs),
            "p50_ms": statistics.median(r["p50_us"] for r in runs) / 1000,
            "p99_ms": statistics.median(r["p99_us"] for r in runs) / 1000,
            "rps_ratio": statistics.median(
                r["rps"] / p["rps"] for r, p in zip(runs, plain, strict=True)
            ),
            "p50_ratio": statistics.median(
                r["p50_us"] / p["p50_us"] for r, p in zip(runs, plain, strict=True)
            ),
            "p99_ratio": statistics.median(
                r["p99_us"] / p["p99_us"] for r, p in zip(runs, plain, strict=True)
            ),
            "requests": sum(r["requests"] for r in runs),
            "unexpected": sum(r["unexpected"] for r in runs),
            "rounds": len(runs),
            "cache": cache_total(runs),
            "warmup_cache": cache_total(runs, "warmup_cache"),
            "cache_by_round": [r.get("cache", {}) for r in runs],
        }
    return summary
