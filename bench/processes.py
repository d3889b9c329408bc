# ruff: noqa: S603  (subprocesses are this repository's own tools, argument lists)
"""The run's processes: `run` (a command from the repository's root, checked) and `Gunicorn`.

A `Gunicorn` is a keyservice server (or a bare project's) on a loopback port of its own, with
the repository's gunicorn.conf.py and the run's environment plus its own overrides.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time
from collections import Counter
from pathlib import Path

from bench.config import OUT, ROOT, VENV_BIN, free_port


def run(cmd: list[str], **kw) -> subprocess.CompletedProcess:
    return subprocess.run(cmd, cwd=ROOT, check=True, **kw)


class Gunicorn:
    """The service as deployed: gunicorn.conf.py of the repository, bound to loopback. The bare
    projects (`app="bench.bare.wsgi"`) run under the same file: same workers, same access log."""

    running: list[Gunicorn] = []  # the servers started and not stopped (CPU accounting)

    def __init__(self, extra_env: dict[str, str] | None = None, app: str = "keyservice.wsgi"):
        self.app = app
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = OUT / f"gunicorn-{self.port}.log"
        # Its workers' Prometheus files (gunicorn.conf.py empties the directory at start): the
        # bench reads the leased cache's hit/miss/bypass counts from them (`cache_outcomes`).
        self.metrics_dir = OUT / f"metrics-{self.port}"
        self.env = {
            **os.environ,
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "PROMETHEUS_MULTIPROC_DIR": str(self.metrics_dir),
            **(extra_env or {}),
        }
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        Path(self.env["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)
        with self.log_path.open("wb") as out:
            self.proc = subprocess.Popen(
                [str(VENV_BIN / "gunicorn"), "-c", "gunicorn.conf.py", self.app],
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        import requests

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            try:
                if requests.get(self.url + "/healthz", timeout=2).status_code == 200:
                    Gunicorn.running.append(self)
                    return
            except requests.RequestException:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not start:\n{self.log_path.read_text()[-3000:]}")

    def stop(self) -> None:
        if self in Gunicorn.running:
            Gunicorn.running.remove(self)
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        shutil.rmtree(self.metrics_dir, ignore_errors=True)

    def cache_outcomes(self) -> Counter[str]:
        """The leased cache's lookups so far, every worker added up (hit, miss, bypass): the
        counter keyservice_verify_cache_total that /metrics serves, read from the files."""
        from prometheus_client import CollectorRegistry
        from prometheus_client.multiprocess import MultiProcessCollector

        totals: Counter[str] = Counter()
        path = self.env["PROMETHEUS_MULTIPROC_DIR"]
        if not Path(path).is_dir():
            return totals
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=path)
        for metric in registry.collect():
            if metric.name == "keyservice_verify_cache":
                for sample in metric.samples:
                    if sample.name.endswith("_total"):
                        totals[sample.labels["result"]] += int(sample.value)
        return totals

    def worker_pids(self) -> list[int]:
        if self.proc is None:
            return []
        pid = self.proc.pid
        children = Path(f"/proc/{pid}/task/{pid}/children")
        return [int(x) for x in children.read_text().split()] if children.exists() else []

    def worker_rss_mb(self) -> list[float]:
        """Resident memory of each worker (VmRSS, MiB)."""
        sizes = []
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            kb = next(int(ln.split()[1]) for ln in status.splitlines() if ln.startswith("VmRSS:"))
            sizes.append(kb / 1024)
        return sizes
