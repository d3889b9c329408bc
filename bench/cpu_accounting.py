"""Where the machine's CPU goes during a load run, per request and per group of processes.

A req/s ratio on a machine whose cores everything shares is, at saturation, a ratio of CPU
per request: the bare view's answer costs the machine so much CPU, verify's so much more.
`CpuAccount` reads the CPU time of every process before and after a run (/proc/<pid>/stat,
all threads) and splits the machine's busy time (/proc/stat) into: the serving server's
workers, the other keyservice servers' workers (on a write, their lease holders wake to
acknowledge it), PostgreSQL, Redis and the rest (wrk, this driver, whatever else runs).
"""

from __future__ import annotations

import os
from pathlib import Path

TICK = os.sysconf("SC_CLK_TCK")
GROUPS = ("serving", "other_servers", "postgres", "redis", "rest")


def machine_busy_seconds() -> float:
    """CPU time the machine's cores spent busy since boot (idle and iowait excluded)."""
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = fields[:8]
    return (user + nice + system + irq + softirq + steal) / TICK


def process_seconds(pid: int) -> float | None:
    """utime + stime of a process (all its threads), None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()  # after the command name, which may hold spaces
    return (int(fields[11]) + int(fields[12])) / TICK


def _named(name: str) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


class CpuAccount:
    """`start()` before a run, `stop(requests)` after it: CPU ms per request per group."""

    def __init__(self, serving: list[int], others: list[int]) -> None:
        self.groups = {
            "serving": serving,
            "other_servers": others,
            "postgres": _named("postgres"),
            "redis": _named("redis-server"),
        }
        self._before: dict[int, float] = {}
        self._busy = 0.0

    def start(self) -> None:
        self._busy = machine_busy_seconds()
        self._before = {
            pid: t
            for pids in self.groups.values()
            for pid in pids
            if (t := process_seconds(pid)) is not None
        }

    def stop(self, requests: int) -> dict[str, float]:
        busy = machine_busy_seconds() - self._busy
        out: dict[str, float] = {}
        for group, pids in self.groups.items():
            spent = 0.0
            for pid in pids:
                now = process_seconds(pid)
                if now is not None and pid in self._before:
                    spent += now - self._before[pid]
            out[group] = spent
        out["rest"] = max(0.0, busy - sum(out.values()))
        per = 1000 / max(requests, 1)
        return {group: seconds * per for group, seconds in out.items()}
