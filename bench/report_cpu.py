"""docs/performance.md's section on the machine's CPU per request during the load runs
(bench/cpu_accounting.py): what each answer costs the two cores everything shares, by group of
processes. At saturation a req/s ratio is the inverse of a CPU ratio, so this says where each
target's distance from the bare view lies."""

from __future__ import annotations

import statistics

from bench.cpu_accounting import GROUPS

ROWS = {
    "bare_plain": "**ceiling**: plain `JsonResponse` view, bare project",
    "bare_apikey": "**peer**: djangorestframework-api-key, bare project",
    "verify_read": "`POST /internal/v1/verify` access=read",
    "project_detail": "`GET /pixelStripeApi/projects/{projectId}`",
    "upload_check": "upload-file, checks only",
    "upload_real": "upload-file, real upload",
}
HEADS = {
    "serving": "serving workers",
    "other_servers": "other servers' workers",
    "postgres": "PostgreSQL",
    "redis": "Redis",
    "rest": "rest (wrk, driver, other load)",
}


def cpu_per_request(runs: list[dict]) -> dict[str, float] | None:
    """Each group's median over the rounds (ms of CPU per request), or None (an older run)."""
    if not runs or any("cpu_ms" not in run for run in runs):
        return None
    return {g: statistics.median(run["cpu_ms"][g] for run in runs) for g in GROUPS}


def cpu_section(r: dict) -> str:
    medians = {name: cpu_per_request(r["runs_small"].get(name, [])) for name in ROWS}
    bare = medians["bare_plain"]
    if bare is None:
        return ""
    bare_total = sum(bare.values())
    lines = [
        "## The machine's CPU per request\n",
        "CPU time of every process during each load run (`/proc`), per request, medians over "
        "rounds, in ms: the serving server's workers, the other servers' workers (running "
        "beside it; a write wakes their lease holders), PostgreSQL, Redis, and the rest of "
        "the machine's busy time (wrk, the driver, anything else running). The cores are "
        "saturated in these runs, so a target's req/s ÷ the bare view's is about the bare "
        "view's total ÷ the target's: the last column is that ratio, the first says where "
        "the difference lies.\n",
        "| target | " + " | ".join(HEADS[g] for g in GROUPS) + " | total | bare ÷ total |",
        "| --- |" + " ---: |" * (len(GROUPS) + 2),
    ]
    for name, label in ROWS.items():
        m = medians[name]
        if m is None:
            continue
        total = sum(m.values())
        cells = " | ".join(f"{m[g]:.2f}" for g in GROUPS)
        lines.append(f"| {label} | {cells} | {total:.2f} | {bare_total / total:.2f}× |")
    return "\n".join(lines) + "\n"
