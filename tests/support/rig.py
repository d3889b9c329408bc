"""Real processes for the multi-replica rig: a private redis-server, gunicorn replicas, Celery
workers and beat, and HAProxy round robin in front (tests/load/test_scaleout_race.py at small
scale, bench/scaleout.py at full scale). Loopback only; every process is stopped by `Rig.stop`.

HAProxy is the one trusted hop: it appends X-Forwarded-For (`option forwardfor`) and sets
`X-Forwarded-Proto: https`, overwriting whatever a client sent; the replicas bind to 127.0.0.1,
trust X-Forwarded-Proto (DJANGO_TRUST_X_FORWARDED_PROTO) from 127.0.0.1 only
(GUNICORN_FORWARDED_ALLOW_IPS) and count exactly one proxy (KEYSERVICE_NUM_PROXIES=1).
Responses carry `X-Rig-Replica` (the HAProxy server that answered), so clients can count the
spread; a request with `X-Rig-Pin: webN` goes to that replica (the race pins its writes).
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import requests

from tests.support.services import ROOT, free_port, wait_for_port


def haproxy_binary() -> str | None:
    return shutil.which("haproxy") or next(
        (p for p in ("/usr/sbin/haproxy", "/sbin/haproxy") if Path(p).exists()), None
    )


@dataclass
class Proc:
    name: str
    argv: list[str]
    env: dict[str, str]
    log: Path
    port: int | None = None
    ready_text: bytes | None = None
    proc: subprocess.Popen | None = None

    def start(self, timeout: float = 60) -> None:
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                self.argv,
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: stop() reaches its children
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                break
            if self.port is not None and wait_for_port(self.port, timeout=0.2):
                return
            if self.ready_text is not None and self.ready_text in self.log.read_bytes():
                return
            time.sleep(0.1)
        tail = self.log.read_text(errors="replace")[-3000:]
        self.stop()
        raise RuntimeError(f"{self.name} did not start:\n{tail}")

    def kill(self) -> None:
        """SIGKILL the whole process group (an outage, not a shutdown)."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        self.proc = None

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)
        self.proc = None


HAPROXY_CFG = """\
global
    maxconn 4096
defaults
    mode http
    timeout connect 5s
    timeout client 60s
    timeout server 60s
    timeout http-keep-alive 60s
    option http-keep-alive
frontend api
    bind 127.0.0.1:{port}
    option forwardfor
    http-request set-header X-Forwarded-Proto https
    default_backend replicas
frontend stats
    bind 127.0.0.1:{stats_port}
    stats enable
    stats uri /stats
backend replicas
    balance roundrobin
    http-response set-header X-Rig-Replica %[srv_name]
{pins}
{servers}
"""


@dataclass
class Rig:
    """`replicas` gunicorns (`workers` each), `celery_workers` + beat, HAProxy, one Redis."""

    run_dir: Path
    database_url: str
    env: dict[str, str]
    replicas: int = 4
    workers: int = 2
    celery_workers: int = 2
    beat: bool = True
    settings_module: str = "keyservice.settings"
    ports: list[int] = field(default_factory=list)  # fixed ports to use first, else free ones
    procs: dict[str, Proc] = field(default_factory=dict)
    replica_ports: dict[str, int] = field(default_factory=dict)

    def _port(self) -> int:
        return self.ports.pop(0) if self.ports else free_port()

    def __post_init__(self) -> None:
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.redis_port = self._port()
        self.lb_port = self._port()
        self.stats_port = self._port()
        for i in range(1, self.replicas + 1):
            self.replica_ports[f"web{i}"] = self._port()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.lb_port}"

    @property
    def redis_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/0"

    @property
    def cache_url(self) -> str:
        return f"redis://127.0.0.1:{self.redis_port}/1"

    def service_env(self) -> dict[str, str]:
        """What every keyservice process of the rig runs with (production-like)."""
        return {
            **{k: v for k, v in os.environ.items() if not k.startswith(("GUNICORN_", "PYTEST"))},
            "DJANGO_SETTINGS_MODULE": self.settings_module,
            "KEYSERVICE_ENV_FILE": "",
            "DJANGO_DEBUG": "false",
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "CACHE_URL": self.cache_url,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DJANGO_TRUST_X_FORWARDED_PROTO": "true",
            "GUNICORN_FORWARDED_ALLOW_IPS": "127.0.0.1",
            "KEYSERVICE_NUM_PROXIES": "1",
            "KEYSERVICE_LEASED_CACHE": os.environ.get("KEYSERVICE_LEASED_CACHE", "on"),
            "PYTHONUNBUFFERED": "1",
            **self.env,
        }

    def _proc(self, name: str, argv: list[str], env: dict[str, str], **kw) -> Proc:
        proc = Proc(name, argv, env, self.run_dir / f"{name}.log", **kw)
        self.procs[name] = proc
        return proc

    def redis_start(self) -> None:
        binary = shutil.which("redis-server") or "redis-server"
        argv = [binary, "--port", str(self.redis_port), "--bind", "127.0.0.1"]
        argv += ["--save", "", "--appendonly", "no", "--dir", str(self.run_dir)]
        self._proc("redis", argv, dict(os.environ), port=self.redis_port).start()

    def start(self) -> None:
        self.redis_start()
        env = self.service_env()
        for name, port in self.replica_ports.items():
            genv = {
                **env,
                "GUNICORN_BIND": f"127.0.0.1:{port}",
                "GUNICORN_WORKERS": str(self.workers),
            }
            argv = [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "keyservice.wsgi"]
            self._proc(name, argv, genv, port=port).start(timeout=90)
        celery = [sys.executable, "-m", "celery", "-A", "keyservice"]
        for i in range(1, self.celery_workers + 1):
            argv = [*celery, "worker", "-n", f"rig{i}@%h", "-Q", "celery,webhooks"]
            argv += ["--concurrency=1", "--loglevel=INFO"]
            self._proc(f"worker{i}", argv, env, ready_text=b"ready.").start(timeout=90)
        if self.beat:
            argv = [*celery, "beat", "--loglevel=INFO"]
            argv += [f"--schedule={self.run_dir / 'celerybeat-schedule'}"]
            self._proc("beat", argv, env, ready_text=b"beat: Starting").start(timeout=60)
        self.haproxy_start()

    def haproxy_start(self) -> None:
        binary = haproxy_binary()
        if binary is None:
            raise RuntimeError("HAProxy is not installed (apt-get install haproxy)")
        names = list(self.replica_ports)
        pins = "\n".join(
            f"    use-server {n} if {{ req.hdr(x-rig-pin) -m str {n} }}" for n in names
        )
        servers = "\n".join(f"    server {n} 127.0.0.1:{p}" for n, p in self.replica_ports.items())
        cfg = self.run_dir / "haproxy.cfg"
        cfg.write_text(
            HAPROXY_CFG.format(
                port=self.lb_port, stats_port=self.stats_port, pins=pins, servers=servers
            )
        )
        argv = [binary, "-db", "-f", str(cfg)]
        self._proc("haproxy", argv, dict(os.environ), port=self.lb_port).start()

    def stats(self) -> dict[str, int]:
        """Requests each replica served since HAProxy started (its `stot` counter)."""
        text = requests.get(f"http://127.0.0.1:{self.stats_port}/stats;csv", timeout=5).text
        header = text.splitlines()[0].lstrip("# ").split(",")
        counts = {}
        for line in text.splitlines()[1:]:
            row = dict(zip(header, line.split(","), strict=False))
            if row.get("pxname") == "replicas" and row.get("svname") in self.replica_ports:
                counts[row["svname"]] = int(row["stot"] or 0)
        return counts

    def stop(self) -> None:
        for proc in reversed(list(self.procs.values())):
            proc.stop()
