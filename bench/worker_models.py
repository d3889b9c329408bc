# ruff: noqa: S603  (subprocesses are this repository's own tools, argument lists)
"""Verify throughput of gunicorn's worker models, measured in the same run (docs/performance.md,
"Worker model"): `python -m bench.worker_models` (~3 min; BENCH_ROUNDS, BENCH_DURATION).

Two servers at once, each `gunicorn -c gunicorn.conf.py keyservice.wsgi` with 2 workers on a
loopback port, the same production settings (DEBUG off, persistent connections, the verify
cache with leases), differing only in GUNICORN_WORKER_CLASS: `sync` (before issue 22) and
`gevent` (now). One seeded key, project and service token in a fresh database. wrk (-t1 -c8)
runs each target on each server, targets and servers shuffled in every round:

- verify: `POST /internal/v1/verify` on kept-alive connections (what a client or the proxy
  does; the sync worker closes every connection after its answer);
- verify, `Connection: close`: a new connection per request;
- verify, cache off (`KEYSERVICE_LEASED_CACHE=false` on a second pair of servers): one query
  per request, through the pool under gevent, a persistent connection under sync.

Reported per target: req/s, p50/p99, and the CPU time the gunicorn processes spent per request
(/proc: the load-independent figure on a shared machine), with gevent ÷ sync per round and the
median. PostgreSQL and Redis: DATABASE_URL/REDIS_URL, else this checkout's private servers.
"""

from __future__ import annotations

import json
import os
import random
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "bench" / "out"
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))
DURATION = int(os.environ.get("BENCH_DURATION", "4"))
MODELS = ["sync", "gevent"]
DB = "keyservice_bench_workers"


def log(message: str) -> None:
    print(f"[worker-models {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def prepare() -> tuple[dict[str, str], str, str]:
    """Environment for the servers, the verify body and the service token (a fresh database)."""
    sys.path.insert(0, str(ROOT))
    os.chdir(ROOT)
    from devstack import stack_attach

    stack_attach(os.environ)
    import psycopg

    pg = urlsplit(os.environ["DATABASE_URL"])
    redis_url = urlsplit(os.environ["REDIS_URL"])._replace(path="/9").geturl()
    with psycopg.connect(pg._replace(path="/postgres").geturl(), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB}")
        admin.execute(f"CREATE DATABASE {DB}")
    env = {
        "DJANGO_SETTINGS_MODULE": "keyservice.settings",
        "KEYSERVICE_ENV_FILE": "",
        "DJANGO_DEBUG": "false",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "KEYSERVICE_ENCRYPTION_KEY": secrets.token_hex(32),
        "KEYSERVICE_DIGEST_SECRET": secrets.token_urlsafe(48),
        "DATABASE_URL": pg._replace(path="/" + DB).geturl(),
        "CACHE_URL": redis_url,
        "REDIS_URL": redis_url,
        "DJANGO_TRUST_X_FORWARDED_PROTO": "true",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    os.environ.update(env)
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], check=True)
    import django

    django.setup()
    import redis
    from django.db import connection

    from accounts.models import User
    from apikeys.service_tokens import service_token_create
    from apikeys.services import apikey_issue
    from projects.models import Project

    redis.Redis.from_url(redis_url).flushdb()
    owner = User.objects.create_user(email="bench-owner@example.com", password=None)
    project = Project.objects.create(owner=owner, name="Bench")
    body = json.dumps(
        {
            "apiKey": apikey_issue(user=owner).plaintext,
            "userId": owner.public_id,
            "projectId": project.public_id,
        }
    )
    token = service_token_create(name="bench").plaintext
    connection.close()
    return {**os.environ, **env}, body, token


def request_file(name: str, body: str, token: str, close: bool) -> Path:
    """bench/lua/requests.lua's format: headers, then the one request."""
    lines = [
        "H\tContent-Type: application/json",
        "H\tX-Forwarded-Proto: https",
        f"H\tAuthorization: Bearer {token}",
        *(["H\tConnection: close"] if close else []),
        f"R\tPOST\t/internal/v1/verify\t{body}",
    ]
    path = OUT / f"requests-workers-{name}.txt"
    path.write_text("\n".join(lines) + "\n")
    return path


class Server:
    def __init__(self, env: dict[str, str], model: str, cache: str) -> None:
        self.model = model
        self.port = free_port()
        self.env = {
            **env,
            "GUNICORN_BIND": f"127.0.0.1:{self.port}",
            "GUNICORN_WORKERS": "2",
            "GUNICORN_WORKER_CLASS": model,
            "KEYSERVICE_LEASED_CACHE": cache,
        }
        self.log = OUT / f"gunicorn-workers-{model}-{cache}.log"
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", "keyservice.wsgi"],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def cpu_seconds(self) -> float:
        """User + system CPU of the master and its workers so far."""
        assert self.proc is not None
        pid = self.proc.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        total = 0
        for process in [str(pid), *children]:
            fields = Path(f"/proc/{process}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        return total / os.sysconf("SC_CLK_TCK")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def wrk(port: int, requests: Path, duration: int) -> dict:
    cmd = ["wrk", "-t1", "-c8", f"-d{duration}s", "--timeout", "10s"]
    cmd += ["-s", str(ROOT / "bench" / "lua" / "requests.lua"), f"http://127.0.0.1:{port}"]
    out = subprocess.run([*cmd, "--", str(requests)], capture_output=True, text=True, check=True)
    line = next(x for x in out.stdout.splitlines() if x.startswith("BENCHJSON "))
    result = json.loads(line.removeprefix("BENCHJSON "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    result["errors"] = sum(
        result[k] for k in ("connect_errors", "read_errors", "status_errors", "timeouts")
    )
    return result


def wait_ready(server: Server, body: str, token: str) -> None:
    import requests

    headers = {
        "Content-Type": "application/json",
        "X-Forwarded-Proto": "https",
        "Authorization": f"Bearer {token}",
    }
    url = f"http://127.0.0.1:{server.port}/internal/v1/verify"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            if requests.post(url, data=body, headers=headers, timeout=5).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{server.model} did not answer:\n{server.log.read_text()[-3000:]}")


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    env, body, token = prepare()
    files = {close: request_file(str(close), body, token, close) for close in (False, True)}
    targets = {  # name: (cache, Connection: close)
        "verify": ("on", False),
        "verify, Connection: close": ("on", True),
        "verify, cache off": ("false", False),
    }
    servers = {(m, c): Server(env, m, c) for m in MODELS for c in ("on", "false")}
    results: dict[str, dict[str, list[dict]]] = {t: {m: [] for m in MODELS} for t in targets}
    try:
        for server in servers.values():
            server.start()
        for server in servers.values():
            wait_ready(server, body, token)
        log(f"{ROUNDS} rounds of {DURATION} s per target and model, shuffled")
        for (cache, close), server in ((t, s) for t in targets.values() for s in servers.values()):
            if server.env["KEYSERVICE_LEASED_CACHE"] == cache:
                wrk(server.port, files[close], 2)  # warm-up
        for number in range(ROUNDS):
            runs = [(t, m) for t in targets for m in MODELS]
            random.shuffle(runs)
            for target, model in runs:
                cache, close = targets[target]
                server = servers[(model, cache)]
                before = server.cpu_seconds()
                result = wrk(server.port, files[close], DURATION)
                result["cpu_us"] = (server.cpu_seconds() - before) / result["requests"] * 1e6
                results[target][model].append(result)
                log(
                    f"round {number + 1} {model:6} {target}: {result['rps']:.0f} req/s, "
                    f"{result['cpu_us']:.0f} µs CPU/request, errors {result['errors']}"
                )
    finally:
        for server in servers.values():
            server.stop()
    report(results)


def report(results: dict[str, dict[str, list[dict]]]) -> None:
    summary = {}
    print(
        "\n| target | sync req/s | gevent req/s | gevent ÷ sync (per round) | median "
        "| CPU µs/request sync → gevent | p99 ms sync → gevent |"
    )
    print("| --- | ---: | ---: | --- | ---: | --- | --- |")
    for target, by_model in results.items():
        sync, gevent = by_model["sync"], by_model["gevent"]
        ratios = [g["rps"] / s["rps"] for s, g in zip(sync, gevent, strict=True)]
        row = {
            model: {
                "rps": statistics.median(r["rps"] for r in runs),
                "cpu_us": statistics.median(r["cpu_us"] for r in runs),
                "p99_ms": statistics.median(r["p99_us"] for r in runs) / 1000,
                "errors": sum(r["errors"] for r in runs),
            }
            for model, runs in by_model.items()
        }
        summary[target] = {**row, "ratios": ratios, "median_ratio": statistics.median(ratios)}
        print(
            f"| {target} | {row['sync']['rps']:.0f} | {row['gevent']['rps']:.0f} | "
            f"{', '.join(f'{r:.2f}' for r in ratios)} | **{statistics.median(ratios):.2f}** | "
            f"{row['sync']['cpu_us']:.0f} → {row['gevent']['cpu_us']:.0f} | "
            f"{row['sync']['p99_ms']:.1f} → {row['gevent']['p99_ms']:.1f} |"
        )
    (OUT / "worker-models.json").write_text(json.dumps({"summary": summary, "runs": results}))


if __name__ == "__main__":
    main()
